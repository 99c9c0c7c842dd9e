"""The files of stored pictures under SMARTNODE_MEDIA_DIR, kept in step with the transaction
that records them: a file written in a transaction that does not commit is removed, and a
file discarded in one is removed only once it commits.

File names are random tokens with the format's extension (`FILE_NAME`); a name that does not
have that shape never reaches the file system, so no path can leave the directory.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from smartnode.config import Settings

#: The shape of every stored file's name: 32 URL-safe random characters and an extension.
FILE_NAME = re.compile(r"\A[A-Za-z0-9_-]{32}\.(jpg|png|webp)\Z")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
_PENDING = "smartnode.media.pending"


def new_file_name(extension: str) -> str:
    """A fresh random name (never the upload's)."""
    name = f"{secrets.token_urlsafe(24)}.{extension}"
    if not FILE_NAME.match(name):
        raise ValueError(f"no stored picture is a .{extension}")
    return name


def file_path(settings: Settings, name: str) -> Path | None:
    """Where the file `name` is, when `name` is a stored file's name (None otherwise)."""
    if not FILE_NAME.match(name):
        return None
    return settings.media_dir / name


def content_type_of(name: str) -> str:
    """The content type of a stored file, by its (checked) extension."""
    return CONTENT_TYPES[name.rsplit(".", 1)[1]]


def write_file(settings: Settings, name: str, data: bytes) -> None:
    """Write a new file whole (a partial file is never visible under its name)."""
    path = file_path(settings, name)
    if path is None:
        raise ValueError(f"{name!r} is not a stored file's name")
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{name}.part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def remove_files(settings: Settings, names: list[str]) -> None:
    """Remove stored files (those already gone are no error)."""
    for name in names:
        path = file_path(settings, name)
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


def _pending(session: Session) -> dict[str, Any]:
    found: dict[str, Any] = session.info.setdefault(
        _PENDING, {"settings": None, "written": [], "discarded": []}
    )
    return found


def written_in(session: Session, settings: Settings, name: str) -> None:
    """`name` was written in the session's transaction: removed unless it commits."""
    pending = _pending(session)
    pending["settings"] = settings
    pending["written"].append(name)


def discarded_in(session: Session, settings: Settings, name: str) -> None:
    """`name` is no longer recorded: removed once the session's transaction commits."""
    pending = _pending(session)
    pending["settings"] = settings
    pending["discarded"].append(name)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is not None:
        remove_files(pending["settings"], pending["discarded"])


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint or a subtransaction: the outer transaction decides
    pending = session.info.pop(_PENDING, None)
    if pending is not None:  # ended without a commit: what it wrote goes
        remove_files(pending["settings"], pending["written"])
