"""inbox.handlers package."""
