"""What a transaction keeps for its commit: items noted while it runs, taken just before its
outer commit, and forgotten with the savepoint or transaction that noted them.

SQLAlchemy fires `before_commit` for a savepoint's commit too, and `after_soft_rollback` for a
savepoint's rollback: an item is noted with the innermost savepoint open at the time, a
savepoint's commit takes nothing, and a rollback forgets what was noted inside what it ended
(a savepoint released into one that is then rolled back included). Used by the jobs about new
rows (storage/commit_jobs.py), the kept notifications (content/notices.py) and the reaction
counters (content/reactions.py).
"""

from __future__ import annotations

from typing import Generic, NamedTuple, TypeVar

from sqlalchemy.orm import Session, SessionTransaction

T = TypeVar("T")


class _Noted(NamedTuple, Generic[T]):
    savepoint: SessionTransaction | None  # the innermost savepoint open when it was noted
    item: T


class KeptForCommit(Generic[T]):
    """Items of type T kept in a session's `info` under `key` until its outer commit."""

    def __init__(self, key: str) -> None:
        self.key = key

    def note(self, session: Session, item: T) -> None:
        """Keep `item` for the commit of the transaction under way."""
        noted = _Noted(session.get_nested_transaction(), item)
        session.info.setdefault(self.key, []).append(noted)

    def take(self, session: Session) -> list[T]:
        """In `before_commit`: the items kept, in the order noted, now no longer kept; none at
        a savepoint's commit, which leaves them to the transaction's."""
        if session.in_nested_transaction():
            return []
        noted: list[_Noted[T]] = session.info.pop(self.key, [])
        return [one.item for one in noted]

    def forget(self, session: Session, previous: SessionTransaction) -> None:
        """In `after_soft_rollback`: forget what was noted in the transaction or savepoint
        that ended."""
        if previous.parent is None:
            session.info.pop(self.key, None)
            return
        noted: list[_Noted[T]] = session.info.get(self.key, [])
        if noted:
            session.info[self.key] = [one for one in noted if not _inside(one.savepoint, previous)]


def _inside(savepoint: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while savepoint is not None:
        if savepoint is ended:
            return True
        savepoint = savepoint.parent
    return False
