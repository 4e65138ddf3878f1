"""The socio-economic component: the indicators of the province's monthly socio-economic
report (``pack.yaml``) and its demo data generator (``demo``)."""
