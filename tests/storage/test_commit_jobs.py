"""Jobs about new rows are written at commit: one INSERT for the transaction's lot, none for a
row a savepoint's rollback took back, none after a rollback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select

from smartnode.actors.records import node_uris
from smartnode.config import Settings
from smartnode.matching.notify import MATCH_CALL, enqueue_call_matching
from smartnode.outbox.publish import FANOUT, publish
from smartnode.storage.db import Database
from smartnode.storage.models import Activity, ContentObject, Job
from tests.conftest import make_member, make_project

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _call(project_id: int, n: int) -> ContentObject:
    uri = f"https://se.smart.test/calls/c{n}"
    return ContentObject(
        uri=uri, local=True, actor_id=project_id, project_id=project_id, ap_type="Note",
        kind="call", state="open", name=f"Call {n}", content="<p>Sound engineer</p>", url=uri,
        visibility="public", audience={}, extra={}, published_at=NOW, updated_at=NOW,
    )  # fmt: skip


async def _jobs(db: Database) -> list[tuple[str, dict[str, Any]]]:
    async with db.session() as session:
        rows = await session.execute(select(Job.kind, Job.payload).order_by(Job.id))
    return [(kind, payload) for kind, payload in rows.all()]


async def test_the_jobs_of_a_transaction_are_one_insert_at_commit(
    db: Database, settings: Settings
) -> None:
    await make_member(db, settings, "anna")
    opera = await make_project(db, settings, "Malmö Opera", "anna")
    inserts: list[int] = []

    def seen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if statement.startswith("INSERT INTO jobs"):
            inserts.append(len(params) if many else 1)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with db.session() as session, session.begin():
            calls = [_call(opera.id, n) for n in range(3)]
            session.add_all(calls)
            await session.flush()
            for call in calls:
                enqueue_call_matching(session, call, NOW)
            accept = await publish(session, node_uris(settings), opera, "Accept",
                                   obj="https://remote.example/follows/1",
                                   to=["https://remote.example/users/bo"], now=NOW)  # fmt: skip
            assert await session.scalar(select(Job.id)) is None  # not before the commit
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    assert inserts == [4]
    assert await _jobs(db) == [
        *((MATCH_CALL, {"call_id": call.id}) for call in calls),
        (FANOUT, {"activity_id": accept.id}),
    ]


async def test_a_row_a_savepoint_took_back_gets_no_job_and_a_rollback_writes_none(
    db: Database, settings: Settings
) -> None:
    await make_member(db, settings, "anna")
    opera = await make_project(db, settings, "Malmö Opera", "anna")
    async with db.session() as session, session.begin():
        kept = _call(opera.id, 1)
        session.add(kept)
        await session.flush()
        enqueue_call_matching(session, kept, NOW)
        savepoint = await session.begin_nested()
        dropped = _call(opera.id, 2)
        session.add(dropped)
        await session.flush()
        enqueue_call_matching(session, dropped, NOW)
        inner = await session.begin_nested()
        await inner.commit()  # a savepoint's commit writes no job yet
        await savepoint.rollback()
    async with db.session() as session:
        await session.begin()
        lost = _call(opera.id, 3)
        session.add(lost)
        await session.flush()
        enqueue_call_matching(session, lost, NOW)
        await session.rollback()
        async with session.begin():  # the same session's next transaction writes nothing of it
            session.add(_call(opera.id, 4))
    assert await _jobs(db) == [(MATCH_CALL, {"call_id": kept.id})]
    async with db.session() as session:
        uris = (await session.scalars(select(ContentObject.uri).order_by(ContentObject.id))).all()
        assert await session.scalar(select(Activity.id)) is None
    assert [uri.rsplit("/", 1)[1] for uri in uris if "/calls/" in uri] == ["c1", "c4"]
