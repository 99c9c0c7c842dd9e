"""Persistence: engine and sessions, models, the job queue, Alembic migrations."""
