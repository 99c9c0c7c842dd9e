"""What a job that fetches gets from the worker, and how it asks to run again.

Such a job runs outside the worker's transaction: it fetches first and opens its own short
transactions around what it read (DESIGN.md rule 11), so a slow peer never holds a lock. It
returns None when it is done, or `Again` to run once more later; an exception leaves it to the
worker's retry with backoff.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from smartnode.config import Settings
from smartnode.federation.fetch import Fetcher
from smartnode.federation.uris import NodeUris
from smartnode.storage.db import Database


@dataclass(frozen=True, slots=True)
class JobRun:
    """One run of a fetching job: the worker's database, fetcher and signer, and the attempt."""

    db: Database
    settings: Settings
    uris: NodeUris
    fetcher: Fetcher
    signer: httpx.Auth | None
    rng: random.Random
    attempts: int  # this run included
    now: datetime


@dataclass(frozen=True, slots=True)
class Again:
    """Run the job again at `at`; `why` is kept as the job's last error."""

    at: datetime
    why: str


FetchingJob = Callable[[JobRun, dict[str, Any]], Awaitable[Again | None]]
