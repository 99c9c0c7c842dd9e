"""The inbox claim keeps one actor's order by asking, of each candidate, whether an earlier
message of its actor is in flight. That probe must read the partial index of leased messages
(a few hundred rows, however long the backlog), in every plan the database may choose."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from smartnode.inbox.lane import _not_behind_a_leased_message
from smartnode.storage import queue
from smartnode.storage.models import InboxMessage, table

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
LEASED_INDEX = "ix_inbox_messages_leased"


def _candidates() -> object:
    inbox = table(InboxMessage)
    return (
        select(inbox.c.id)
        .where(inbox.c.state == queue.PENDING)
        .where(_not_behind_a_leased_message(NOW))
    )


async def test_the_in_flight_probe_reads_the_leased_index(db) -> None:
    statement = _candidates()
    async with db.session() as session, session.begin():
        conn = await session.connection()
        if conn.dialect.name == "sqlite":
            compiled = statement.compile(conn.engine)  # with its parameters, as it is sent
            params = tuple(compiled.params[name] for name in compiled.positiontup or ())
            plan = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)).all()
            lines = [str(row[-1]) for row in plan]
        else:
            # A prepared statement's generic plan knows no parameter's value: the index's
            # condition must be provable without them. Sequential scans are priced out so
            # that the plan shows which index can serve the probe, not what a tiny table
            # would rather do.
            compiled = statement.compile(dialect=postgresql.asyncpg.dialect())  # type: ignore[attr-defined]
            await conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
            await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            await conn.exec_driver_sql(f"PREPARE claim_probe AS {compiled}")
            plan = (await conn.exec_driver_sql(
                "EXPLAIN EXECUTE claim_probe('pending', '2026-12-04T12:00:00+00')"
            )).all()  # fmt: skip
            lines = [str(row[0]) for row in plan]
    scans = [line for line in lines if "SCAN" in line.upper() or "SEARCH" in line]
    probe = [line for line in scans if " earlier" in line]
    assert probe and all(LEASED_INDEX in line for line in probe), "\n".join(lines)
