"""Every job ends: a job that raises never holds back the rest of its round, ends failed with its
reason after its attempts, and an operator can list and retry it (`smartnode jobs`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from smartnode.actors.node import ensure_node_actor, node_signer
from smartnode.federation.fetch import Fetcher
from smartnode.outbox.publish import FANOUT
from smartnode.storage.db import Database
from smartnode.storage.models import InboxMessage, Job
from smartnode.worker import MAX_JOB_ATTEMPTS, Worker
from tests.conftest import Invoke, query
from tests.inbox import Fediverse

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
async def worker(db, settings):
    async with db.session() as s, s.begin():
        node = await ensure_node_actor(s, settings, NOW)
    fetcher = Fetcher(settings, transport=httpx.MockTransport(Fediverse().handle))
    yield Worker(settings, db, fetcher, signer=node_signer(node, settings), deliverer=None)
    await fetcher.aclose()


async def _jobs(db, payloads: list[dict]) -> list[int]:
    async with db.session() as s, s.begin():
        rows = [Job(kind=FANOUT, payload=p, state="pending", run_at=NOW, attempts=0,
                    created_at=NOW) for p in payloads]  # fmt: skip
        s.add_all(rows)
        await s.flush()
        return [row.id for row in rows]


async def _job(db, job_id: int) -> Job:
    async with db.session() as s:
        found = await s.get(Job, job_id)
        assert found is not None
        return found


async def test_a_job_that_raises_ends_failed_and_spares_the_others(db, worker) -> None:
    """Before: the exception aborted the round (the jobs after it waited for the lease) and the
    job came back every five minutes forever."""
    broken, first, second = await _jobs(db, [{"activity": "no id"}, {"activity_id": 999_999},
                                             {"activity_id": 999_998}])  # fmt: skip
    done = await worker.run_once(NOW)
    assert done.fanout == 2
    assert [(await _job(db, i)).state for i in (first, second)] == ["done", "done"]
    job = await _job(db, broken)
    assert job.state == "pending" and job.attempts == 1 and job.run_at > NOW
    assert "KeyError" in (job.last_error or "")
    moment = NOW
    for _ in range(MAX_JOB_ATTEMPTS + 2):
        job = await _job(db, broken)
        if job.state != "pending":
            break
        moment = max(moment, job.run_at) + timedelta(seconds=1)
        await worker.run_once(moment)
    job = await _job(db, broken)
    assert job.state == "failed" and job.attempts == MAX_JOB_ATTEMPTS
    assert "KeyError" in (job.last_error or "") and job.locked_until is None


async def test_backoff_grows_and_differs_between_jobs(db, worker) -> None:
    ids = await _jobs(db, [{"bad": n} for n in range(6)])
    moment, delays = NOW, []
    for _ in range(3):
        await worker.run_once(moment)
        due = [(await _job(db, i)).run_at for i in ids]
        delays.append([at - moment for at in due])
        moment = max(due) + timedelta(seconds=1)
    assert min(delays[2]) > max(delays[0])  # the third wait is longer than any first one
    assert len(set(delays[0])) > 1  # jitter: not all at the same moment


def _arrange(settings, work) -> None:
    """Run `work(db)` on a database of its own (the CLI tests run outside an event loop)."""

    async def go() -> None:
        db = Database(settings)
        try:
            await work(db)
        finally:
            await db.dispose()

    asyncio.run(go())


async def _one_failed_job(db) -> None:
    [job_id] = await _jobs(db, [{"activity": "no id"}])
    async with db.session() as s, s.begin():
        row = await s.get(Job, job_id)
        row.state, row.attempts, row.last_error = "failed", 12, "KeyError: 'activity_id'"


def test_the_cli_lists_failed_jobs_with_their_reason_and_retries_them(
    settings, database_url: str, smartnode: Invoke
) -> None:
    _arrange(settings, _one_failed_job)
    [(job_id,)] = query(database_url, select(Job.id))
    listed = smartnode("jobs", "list")
    assert listed.exit_code == 0, listed.output
    assert "fanout" in listed.output and "failed" in listed.output
    failed = smartnode("jobs", "failed")
    assert failed.exit_code == 0 and str(job_id) in failed.output
    assert "KeyError: 'activity_id'" in failed.output
    retried = smartnode("jobs", "retry", str(job_id))
    assert retried.exit_code == 0 and "1 failed row of the jobs queue" in retried.output
    [(state, attempts)] = query(database_url, select(Job.state, Job.attempts))
    assert (state, attempts) == ("pending", 0)
    assert smartnode("jobs", "failed").output.startswith("No failed rows")


def test_the_cli_refuses_an_unknown_queue_in_one_line(smartnode: Invoke) -> None:
    result = smartnode("jobs", "failed", "--queue", "mailbox")
    assert result.exit_code == 1
    assert result.output.strip() == "unknown queue 'mailbox': use one of inbox, jobs, deliveries"


async def _failed_like(db) -> None:
    body = {"id": "https://x.example/a/1", "type": "Like", "actor": "https://x.example/u"}
    async with db.session() as s, s.begin():
        s.add(InboxMessage(
            activity_uri=body["id"], inbox="https://se.smart.test/inbox", actor_uri=body["actor"],
            activity_type="Like", body=body, received_at=NOW, state="failed", run_at=NOW,
            attempts=8, last_error="fetch failed: 503",
        ))  # fmt: skip


def test_failed_inbox_messages_can_be_retried_by_kind(
    settings, database_url: str, smartnode: Invoke
) -> None:
    _arrange(settings, _failed_like)
    assert smartnode("jobs", "retry", "--queue", "inbox", "--kind", "Announce").output.startswith(
        "0 failed rows"
    )
    result = smartnode("jobs", "retry", "--queue", "inbox", "--kind", "Like")
    assert result.exit_code == 0, result.output
    assert "1 failed row of the inbox queue" in result.output
    assert query(database_url, select(InboxMessage.state)) == [("pending",)]
