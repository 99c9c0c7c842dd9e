"""Stored pictures at /media/{file}: straight from SMARTNODE_MEDIA_DIR, no database.

A file's name is random and its bytes never change, so it is cached for a year. The content
type comes from the name's extension, checked against the one shape stored names have (no
other name, and so no path, reaches the disk); the browser is told not to sniff, and a
picture opened on its own runs nothing.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response

from smartnode.config import Settings
from smartnode.errors import NotFound
from smartnode.media.storage import content_type_of, file_path
from smartnode.media.store import MEDIA_PATH

HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Access-Control-Allow-Origin": "*",
}


def add_routes(app: FastAPI) -> None:
    """/media/{file} as a plain route (GET and HEAD)."""
    app.router.add_route(
        f"{MEDIA_PATH}/{{file}}", media_file, methods=["GET", "HEAD"], include_in_schema=False
    )


async def media_file(request: Request) -> Response:
    """The stored picture `file`, or 404."""
    settings: Settings = request.app.state.settings
    name = str(request.path_params["file"])
    path = file_path(settings, name)
    if path is None or not path.is_file():
        raise NotFound("no such picture")
    return FileResponse(path, media_type=content_type_of(name), headers=HEADERS)
