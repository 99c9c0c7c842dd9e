"""The routers of events and posts in the browser: creating, editing, joining, writing and replying
(one registration in app.py)."""

from __future__ import annotations

from fastapi import FastAPI

from smartnode.web import event_forms, participation_pages, post_edit, post_forms, remote_events


def include(app: FastAPI) -> None:
    """Add these routes to the app."""
    app.include_router(event_forms.router)  # /new/event, /events/{id}/edit and /cancel
    app.include_router(participation_pages.router)  # join, leave, the organisers' list
    app.include_router(remote_events.router)  # /events, other servers' events: join, leave
    app.include_router(post_forms.router)  # /new/post (and replies), /notes/{id}/delete
    app.include_router(post_edit.router)  # /notes/{id}/edit
