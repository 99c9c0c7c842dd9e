"""Another process writing to a node's database as a `smartnode worker` process does: its own
engine and the session listeners that process installs, storing a peer's call or changing a
stored one. Run as `python -m tests.web.other_process DATABASE_URL ACTION URI [VALUE]`:

- `store URI ACTOR_URI`: a peer's open call (the worker stores one when a peer announces it);
- `state URI STATE`: a stored call's state (a peer's Update closing it, say).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from smartnode.config import load_settings
from smartnode.federation.vocab import PUBLIC
from smartnode.storage.db import Database
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.written import install_listeners

ROOT = Path(__file__).resolve().parents[2]


async def _store(db: Database, uri: str, actor_uri: str) -> None:
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        actor = await s.scalar(select(Actor).where(Actor.uri == actor_uri))
        assert actor is not None, actor_uri
        s.add(ContentObject(
            uri=uri, local=False, actor_id=actor.id, project_id=None, ap_type="Note",
            kind="call", name="Stage manager", content="<p>Stage manager</p>",
            content_map={"fr": "x"}, language="fr", url=uri, visibility="public",
            audience={"to": [PUBLIC]}, sensitive=False, attachments=[], tags=[],
            extra={"call": {"title": "Stage manager"}}, state="open", published_at=now,
            updated_at=now,
        ))  # fmt: skip


async def _state(db: Database, uri: str, state: str) -> None:
    async with db.session() as s, s.begin():
        call = await s.scalar(select(ContentObject).where(ContentObject.uri == uri))
        assert call is not None, uri
        call.state = state
        call.updated_at = datetime.now(UTC)


async def _main(database_url: str, action: str, uri: str, value: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(load_settings(database_url=database_url, data_dir=Path(folder)))
        install_listeners()  # as `smartnode worker` does
        try:
            await (_store if action == "store" else _state)(db, uri, value)
        finally:
            await db.dispose()


async def run_elsewhere(database_url: str, action: str, uri: str, value: str) -> None:
    """Run one write in a process of its own, to its end."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTNODE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *sys.path])
    command = [sys.executable, "-m", "tests.web.other_process", database_url, action, uri, value]
    done = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


if __name__ == "__main__":
    asyncio.run(_main(*sys.argv[1:5]))
