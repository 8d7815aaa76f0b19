"""One data request, one exchange: the pipeline from token to audited answer, its page cursors
and CSV rendering."""
