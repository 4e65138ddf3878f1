"""Public specification material (schemas, descriptions) and helpers that check our answers
against it."""
