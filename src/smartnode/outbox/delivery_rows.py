"""What one delivery attempt came to, and writing a batch of them (rows and hosts) at once.

PERFORMANCE.md: batch writes. The finished rows of a `run_once` are written in a few statements
(rows that ended alike share one `UPDATE … WHERE id IN`); each host touched gets one row update
with its success, its failure day (unavailable after 7 distinct days), its breaker end and the
scheme it accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.federation.delivery import is_unavailable, record_failure_day
from smartnode.storage.in_lists import few_lengths
from smartnode.storage.models import DeadInbox, Delivery, Host, table
from smartnode.storage.upsert import insert_ignoring_conflicts


@dataclass(slots=True)
class Result:
    """The new state of one Delivery row, and what it tells about its host."""

    row_id: int
    host: str
    state: str  # pending | done | gone | failed
    attempts: int
    last_status: int | None
    last_error: str | None
    run_at: datetime | None = None  # None keeps the row's run_at
    delivered_at: datetime | None = None
    host_ok: bool = False  # a 2xx: the host is alive
    host_failed: bool = False  # no answer or 5xx
    learned: bool | None = None  # the host's answer to "takes RFC 9421?" learned by a 401
    breaker_until: datetime | None = None

    @classmethod
    def final(
        cls,
        row_id: int,
        host: str,
        state: str,
        attempts: int,
        last_status: int | None,
        last_error: str | None,
        *,
        learned: bool | None = None,
    ) -> Result:
        return cls(row_id, host, state, attempts, last_status, last_error, learned=learned)


async def write_results(session: AsyncSession, results: Sequence[Result], now: datetime) -> None:
    """Store a batch of results: rows that ended alike in one UPDATE … WHERE id IN (…), the
    rest (retries, rows pushed back) in one executemany, then the hosts they touched."""
    final: dict[tuple[Any, ...], list[int]] = {}
    again: list[Result] = []
    for r in results:
        if r.run_at is None:  # done, gone or failed: attempts stay as the claim counted them
            key = (r.state, r.last_status, _error(r), r.delivered_at)
            final.setdefault(key, []).append(r.row_id)
        else:
            again.append(r)
    for (state, status, error, delivered_at), ids in final.items():
        await complete_rows(session, ids, state, status, error, delivered_at)
        if state == "gone":
            await _mark_dead(session, ids, status or 410, now)
    if again:
        await _reschedule(session, again)
    await _write_hosts(session, results, now)


async def _mark_dead(session: AsyncSession, ids: list[int], status: int, now: datetime) -> None:
    """Inboxes that answered 404/410 get nothing more until their actor shows life again."""
    deliveries = table(Delivery)
    inboxes = (
        await session.scalars(
            select(deliveries.c.inbox_uri).where(deliveries.c.id.in_(few_lengths(ids)))
        )
    ).all()
    rows = [{"inbox_uri": inbox, "status": status, "gone_at": now} for inbox in set(inboxes)]
    await insert_ignoring_conflicts(session, table(DeadInbox), rows)


def _error(result: Result) -> str | None:
    return result.last_error[:2000] if result.last_error else None


async def complete_rows(
    session: AsyncSession,
    ids: list[int],
    state: str,
    status: int | None,
    error: str | None,
    delivered_at: datetime | None,
) -> None:
    """Rows that ended the same way, in one statement."""
    deliveries = table(Delivery)
    await session.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(few_lengths(ids)))
        .values(state=state, last_status=status, last_error=error, delivered_at=delivered_at,
                locked_until=None),
        execution_options={"synchronize_session": False},
    )  # fmt: skip


async def _reschedule(session: AsyncSession, results: Sequence[Result]) -> None:
    """Rows to run again (a retry, or given back untried), one parameter set each."""
    deliveries = table(Delivery)
    statement = (
        update(deliveries)
        .where(deliveries.c.id == bindparam("b_id"))
        .values(
            state=bindparam("b_state"),
            attempts=bindparam("b_attempts"),
            last_status=bindparam("b_status"),
            last_error=bindparam("b_error"),
            run_at=bindparam("b_run_at", type_=deliveries.c.run_at.type),
            locked_until=None,
        )
    )
    params = [
        {"b_id": r.row_id, "b_state": r.state, "b_attempts": r.attempts,
         "b_status": r.last_status, "b_error": _error(r), "b_run_at": r.run_at}
        for r in results
    ]  # fmt: skip
    await session.execute(statement, params, execution_options={"synchronize_session": False})


def _host_events(results: Sequence[Result]) -> dict[str, dict[str, Any]]:
    events: dict[str, dict[str, Any]] = {}
    for r in results:
        if not (r.host_ok or r.host_failed or r.learned is not None or r.breaker_until):
            continue
        event = events.setdefault(r.host, {"ok": False, "failed": False, "learned": None,
                                           "breaker": None})  # fmt: skip
        event["ok"] |= r.host_ok
        event["failed"] |= r.host_failed
        if r.learned is not None:
            event["learned"] = r.learned
        if r.breaker_until and (event["breaker"] is None or r.breaker_until > event["breaker"]):
            event["breaker"] = r.breaker_until
    return events


async def _write_hosts(session: AsyncSession, results: Sequence[Result], now: datetime) -> None:
    """Success clears failures and revives; a failure adds today; breaker and scheme kept."""
    events = _host_events(results)
    if not events:
        return
    hosts = table(Host)
    await insert_ignoring_conflicts(
        session,
        hosts,
        [{"host": h, "failure_days": [], "unavailable": False, "updated_at": now}
         for h in sorted(events)],
    )  # fmt: skip
    found = await session.execute(
        select(hosts.c.host, hosts.c.failure_days, hosts.c.supports_rfc9421, hosts.c.breaker_until,
               hosts.c.last_success_at).where(hosts.c.host.in_(few_lengths(sorted(events))))
    )  # fmt: skip
    params = [_host_values(row, events[row.host], now) for row in found.all()]
    statement = (
        update(hosts)
        .where(hosts.c.host == bindparam("b_host"))
        .values(
            failure_days=bindparam("b_days", type_=hosts.c.failure_days.type),
            unavailable=bindparam("b_unavailable"),
            supports_rfc9421=bindparam("b_rfc9421"),
            breaker_until=bindparam("b_breaker", type_=hosts.c.breaker_until.type),
            last_success_at=bindparam("b_success", type_=hosts.c.last_success_at.type),
            updated_at=bindparam("b_updated", type_=hosts.c.updated_at.type),
        )
    )
    if params:
        await session.execute(statement, params, execution_options={"synchronize_session": False})


def _host_values(row: Any, event: dict[str, Any], now: datetime) -> dict[str, Any]:
    days = list(row.failure_days or [])
    success = row.last_success_at
    breaker = event["breaker"] or (row.breaker_until if not event["ok"] else None)
    if event["ok"]:
        days, success = [], now
    elif event["failed"]:
        days = record_failure_day(days, now.date())
    learned = event["learned"]
    return {
        "b_host": row.host,
        "b_days": days,
        "b_unavailable": is_unavailable(days),
        "b_rfc9421": row.supports_rfc9421 if learned is None else learned,
        "b_breaker": breaker,
        "b_success": success,
        "b_updated": now,
    }
