"""`smartnode serve`: the node's HTTP server, in one process or, on PostgreSQL, in several."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

import typer

from smartnode.cli_support import err, fail, guarded, run
from smartnode.config import Settings

#: The factory each API process calls when there are several (settings from SMARTNODE_*).
APP_FACTORY = "smartnode.app:app_from_env"
#: Seconds a new API process may take to import the node and answer uvicorn's first health
#: check before it is killed as hung (uvicorn's default, 5, is less than an import takes on a
#: busy machine: the processes were killed and started again in a loop).
START_SECONDS = 60


class LogLevel(StrEnum):
    """Levels of the server log."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


def serve_command(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to bind.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="API processes sharing the port (more than one: PostgreSQL only)."
        ),
    ] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
    log_level: Annotated[LogLevel, typer.Option(help="Server log level.")] = LogLevel.INFO,
) -> None:
    """Serve the node (API, pages, ActivityPub): one process, or `--workers N` on PostgreSQL."""
    import uvicorn

    from smartnode.app import serving_app
    from smartnode.logs import server_log_config

    async def ready(settings: Settings) -> Settings:
        return settings

    settings = run(ready)
    if workers > 1 and not urlsplit(settings.database_url).scheme.startswith("postgresql"):
        fail(
            [
                f"--workers {workers} needs PostgreSQL: SQLite takes one writer at a time, so "
                "serve it with one process (move with `smartnode migrate-to-postgres`)."
            ],
            2,
        )
    if access_log:  # one line per request, ours (ops/request_log.py), in the chosen format
        settings = settings.model_copy(update={"request_log": True})
        os.environ["SMARTNODE_REQUEST_LOG"] = "true"  # the same for every API process
    base = urlsplit(settings.base_url)
    if base.hostname in ("127.0.0.1", "localhost") and (base.port or 80) != port:
        err().print(
            f"Note: ids and handles use {settings.base_url} (SMARTNODE_BASE_URL, SMARTNODE_DOMAIN)"
            f" but this serves port {port}."
        )
    several = workers > 1  # uvicorn starts them; each builds the app from the environment
    application = (
        APP_FACTORY if several else guarded(lambda: serving_app(settings), settings.database_url)
    )
    uvicorn.run(
        application,
        factory=several,
        workers=workers,
        timeout_worker_healthcheck=START_SECONDS,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,  # requests are logged by the app (ops/request_log.py)
        log_level=log_level.value,
        log_config=server_log_config(log_level.value, settings.log_format),
    )
