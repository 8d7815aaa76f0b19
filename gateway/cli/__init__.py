"""The jjj-gateway command: serve, demo, administer, check."""
