"""Jobs about rows added in a transaction, written just before it commits.

A job that names a new row (an activity to fan out, a call to match) needs the row's id, which
the row gets when the session flushes. Instead of a flush and an INSERT per job, the jobs of a
transaction are written in one INSERT at its commit, after one flush: a worker's group of inbox
messages publishes tens of Accepts and stores tens of calls. A row that a savepoint's rollback
took back gets no job; a rollback forgets the jobs noted in what it ended (storage/kept.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import instance_state

from smartnode.storage.kept import KeptForCommit
from smartnode.storage.models import Activity, ContentObject, Job, table

_INSERT_JOBS = insert(table(Job))


#: The rows a job may name.
NamedRow = Activity | ContentObject


class _Pending(NamedTuple):
    kind: str
    row: NamedRow
    payload_key: str  # the payload is {payload_key: row.id}
    run_at: datetime


_PENDING: KeptForCommit[_Pending] = KeptForCommit("smartnode.commit_jobs")


def job_at_commit(
    session: AsyncSession, kind: str, row: NamedRow, payload_key: str, run_at: datetime
) -> None:
    """A `kind` job with payload `{payload_key: row.id}`, due at `run_at`, written at commit."""
    _PENDING.note(session.sync_session, _Pending(kind, row, payload_key, run_at))


def _write_jobs(session: Session) -> None:
    """before_commit: one flush (the rows' ids), then one INSERT for every job. A savepoint's
    commit (the event fires for it too) leaves them for the transaction's."""
    pending = _PENDING.take(session)
    if not pending:
        return
    session.flush()
    rows = [
        {"kind": job.kind, "payload": {job.payload_key: job.row.id}, "state": "pending",
         "run_at": job.run_at, "attempts": 0, "created_at": job.run_at}
        for job in pending
        if instance_state(job.row).persistent  # not one a savepoint's rollback took back
    ]  # fmt: skip
    if rows:
        session.execute(_INSERT_JOBS, rows)


def _forget_jobs(session: Session, previous: SessionTransaction) -> None:
    _PENDING.forget(session, previous)


def install_listeners() -> None:
    """Jobs are written just before each commit and forgotten on a rollback."""
    if not event.contains(Session, "before_commit", _write_jobs):
        event.listen(Session, "before_commit", _write_jobs)
        event.listen(Session, "after_soft_rollback", _forget_jobs)
