"""inbox package."""
