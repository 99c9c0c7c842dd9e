"""The node's own JSON API (OpenAPI at /docs)."""
