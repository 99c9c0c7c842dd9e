"""Operating a node: health and readiness, metrics, the worker's heartbeat, doctor, backups."""
