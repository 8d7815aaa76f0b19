"""One data request, one exchange: the pipeline from token to audited answer (pipeline.py) and
its steps, each in a module of its own: request validation, the decision and masking, quotas,
regions, the fan-out and the records check, paging and cursors, the audit record, the answer
and its CSV form."""
