"""Server-rendered pages for people (Jinja2)."""
