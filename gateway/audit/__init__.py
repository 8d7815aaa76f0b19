"""The compliance trail: hash-chained records of every exchange and action, signed checkpoints,
reading, verification and export bundles."""
