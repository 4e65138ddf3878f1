"""The citizen feedback component (phản ánh hiện trường): the report categories a province
starts with (``pack.yaml``), each with its extra questions, handling agency and deadlines."""
