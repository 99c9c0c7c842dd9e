"""`smartnode doctor`: each thing an operator must get right, checked, with what to do.

Read-only: nothing is written (the identity check runs in a transaction rolled back). Each
check ends in OK, WARN or FAIL and one sentence; a check that cannot run (the database is
unreachable) says so instead of raising.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from smartnode.actors.identity import check_node_identity
from smartnode.config import Settings
from smartnode.errors import SmartnodeError
from smartnode.federation.keys import decrypt_private_key, load_private_key
from smartnode.ops.heartbeat import STALE_AFTER, last_beat
from smartnode.ops.peer_reach import peer_reachability
from smartnode.storage.db import Database
from smartnode.storage.models import Actor
from smartnode.storage.queue_report import queue_depths
from smartnode.storage.revisions import code_heads, database_heads, known_revisions

OK, WARN, FAIL = "OK", "WARN", "FAIL"
#: Free space under which the data folder is a warning, and a failure.
DISK_WARN, DISK_FAIL = 2 * 1024**3, 200 * 1024**2
#: A queue whose oldest due row waited this long is behind.
QUEUE_BEHIND = timedelta(minutes=5)
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the diagnosis."""

    name: str
    level: str
    message: str


async def diagnose(settings: Settings, now: datetime) -> list[Check]:
    """Every check, in the order an operator fixes them."""
    checks = [configuration(settings), disk(settings)]
    if not await _database_exists(settings, checks):
        return checks
    db = Database(settings)
    try:
        for check in (_database, _migrations, _identity, _node_keys, _queues, _worker):
            found = await _guarded(check, db, settings, now)
            checks.append(found)
            if found.name in ("database", "migrations") and found.level == FAIL:
                return checks  # the rest needs a reachable database with the current tables
        checks.extend(await _peers(db, settings))
    finally:
        await db.dispose()
    return checks


def configuration(settings: Settings) -> Check:
    """Served over https (or on loopback), and mail goes out."""
    base = urlsplit(settings.base_url)
    if base.scheme != "https" and base.hostname not in LOOPBACK:
        return Check("configuration", WARN, f"{settings.base_url} is not https: serve the node "
                     "behind TLS and set SMARTNODE_BASE_URL=https://…")  # fmt: skip
    if settings.smtp_url is None:
        return Check("configuration", WARN, "no mail server: invitations and resets are only "
                     "logged; set SMARTNODE_SMTP_URL")  # fmt: skip
    return Check("configuration", OK, f"{settings.base_url}, handles @…@{settings.domain}")


def disk(settings: Settings) -> Check:
    """Free space where the data (and a SQLite file) live."""
    folders = {settings.data_dir}
    sqlite = sqlite_file(settings.database_url)
    if sqlite is not None:
        folders.add(sqlite.parent)
    worst: tuple[int, Path] | None = None
    for folder in folders:
        existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("/"))
        free = shutil.disk_usage(existing).free
        if worst is None or free < worst[0]:
            worst = (free, folder)
    assert worst is not None
    free, folder = worst
    words = f"{free / 1024**3:.1f} GiB free for {folder}"
    if free < DISK_FAIL:
        return Check("disk", FAIL, f"{words}: free space now, or the database stops writing")
    if free < DISK_WARN:
        return Check("disk", WARN, f"{words}: free some space soon")
    return Check("disk", OK, words)


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite database URL (None for PostgreSQL or memory)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database))


async def _database_exists(settings: Settings, checks: list[Check]) -> bool:
    sqlite = sqlite_file(settings.database_url)
    if sqlite is not None and not sqlite.exists():
        checks.append(Check("database", FAIL, f"no database at {sqlite}: run `smartnode init`"))
        return False
    return True


Probe = Callable[[Database, Settings, datetime], Awaitable[Check]]


async def _guarded(check: Probe, db: Database, settings: Settings, now: datetime) -> Check:
    name = check.__name__.strip("_").replace("_", " ")
    try:
        return await check(db, settings, now)
    except SmartnodeError as error:
        return Check(name, FAIL, error.message)
    except Exception as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return Check(name, FAIL, f"{type(error).__name__}: {first[:200]}")


async def _database(db: Database, settings: Settings, now: datetime) -> Check:
    try:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        first = (str(getattr(error, "orig", None) or error).strip().splitlines() or ["?"])[0]
        return Check("database", FAIL, f"unreachable ({first[:200]}): check "
                     "SMARTNODE_DATABASE_URL and that the server runs")  # fmt: skip
    kind = "SQLite" if settings.is_sqlite else "PostgreSQL"
    return Check("database", OK, f"{kind} reachable")


async def _migrations(db: Database, settings: Settings, now: datetime) -> Check:
    async with db.engine.connect() as connection:
        current = await database_heads(connection)
    heads = code_heads(settings.database_url)
    if current == heads:
        return Check("migrations", OK, f"at the newest revision ({', '.join(sorted(heads))})")
    if not current:
        return Check("migrations", FAIL, "the database is empty: run `smartnode init`")
    if current - known_revisions(settings.database_url):
        return Check("migrations", FAIL, f"the database ({', '.join(sorted(current))}) is "
                     "newer than this smartnode: upgrade smartnode")  # fmt: skip
    return Check("migrations", FAIL, f"behind ({', '.join(sorted(current))} < "
                 f"{', '.join(sorted(heads))}): run `smartnode init`")  # fmt: skip


async def _identity(db: Database, settings: Settings, now: datetime) -> Check:
    async with db.session() as session:  # never committed: the check writes nothing
        await check_node_identity(session, settings, now)
    return Check("identity", OK, "the settings name the node this database belongs to")


async def _node_keys(db: Database, settings: Settings, now: datetime) -> Check:
    async with db.session() as session:
        node = await session.scalar(
            select(Actor).where(Actor.local.is_(True), Actor.kind == "node")
        )
    if node is None or not node.private_key_enc:
        return Check(
            "node keys", FAIL, "the node actor or its key is missing: run `smartnode init`"
        )
    where = "SMARTNODE_SECRET_KEY" if settings.secret_key else f"{settings.data_dir}/secret.key"
    load_private_key(decrypt_private_key(node.private_key_enc, settings.secret()))
    return Check("node keys", OK, f"the node's key opens with {where}: keep a copy of it apart")


async def _queues(db: Database, settings: Settings, now: datetime) -> Check:
    async with db.session() as session:
        depths = await queue_depths(session, now)
    failed = {d.queue: d.failed for d in depths if d.failed}
    behind = [d.queue for d in depths if d.oldest_due_seconds > QUEUE_BEHIND.total_seconds()]
    pending = ", ".join(f"{d.queue} {d.pending}" for d in depths)
    if behind:
        late = ", ".join(behind)
        return Check("queues", WARN, f"{late} behind by more than 5 minutes (pending: "
                     f"{pending}): is a worker running? `smartnode jobs list`")  # fmt: skip
    if failed:
        rows = ", ".join(f"{queue} {count}" for queue, count in failed.items())
        return Check("queues", WARN, f"failed rows ({rows}): `smartnode jobs failed --queue …` "
                     "says why, `smartnode jobs retry --queue …` runs them again")  # fmt: skip
    return Check("queues", OK, f"nothing behind, nothing failed (pending: {pending})")


async def _peers(db: Database, settings: Settings) -> list[Check]:
    """One line per trusted peer: reachable, slow or unreachable (ops/peer_reach.py)."""
    try:
        lines = await peer_reachability(db, settings)
    except SmartnodeError as error:
        return [Check("peers", WARN, error.message)]
    return [Check(name, level, message) for name, level, message in lines]


async def _worker(db: Database, settings: Settings, now: datetime) -> Check:
    async with db.session() as session:
        beat = await last_beat(session)
    if beat is None:
        level = WARN if settings.worker_expected else OK
        return Check("worker", level, "no worker is running: `smartnode serve` runs one inside, "
                     "`smartnode worker` runs one apart")  # fmt: skip
    age = int((now - beat).total_seconds())
    if now - beat > STALE_AFTER:
        return Check("worker", FAIL, f"the last worker heartbeat is {age} s old: the worker is "
                     "stuck or was killed; restart it")  # fmt: skip
    return Check("worker", OK, f"a worker's loop went round {max(age, 0)} s ago")
