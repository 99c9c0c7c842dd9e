"""Rendered documents kept as bytes, so hot GETs (actors, WebFinger) skip the database.

Writes through this process call `clear()`; on PostgreSQL `on_clear` tells the other API
processes too (ops/cache_bus.py: LISTEN/NOTIFY), which `forget()` theirs. Changes made where no
API process hears of them (the CLI) show within `ttl_seconds` (SMARTNODE_DOCUMENT_CACHE_SECONDS).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.responses import Response


@dataclass(slots=True)
class CachedResponse:
    """A response ready to send again."""

    body: bytes
    media_type: str
    status_code: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    expires_at: float = 0.0

    def to_response(self) -> Response:
        """A fresh starlette Response carrying the stored bytes (no re-serialisation)."""
        return Response(
            self.body,
            status_code=self.status_code,
            headers=self.headers,
            media_type=self.media_type,
        )


class DocumentCache:
    """A bounded, time-limited map from a request key to a rendered response."""

    def __init__(self, ttl_seconds: float, max_entries: int = 20_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, CachedResponse] = {}
        #: Called after each `clear()` (the other processes' caches are told).
        self.on_clear: Callable[[], None] | None = None

    def get(self, key: str) -> CachedResponse | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at < time.monotonic():
            self._entries.pop(key, None)
            return None
        return entry

    def put(self, key: str, entry: CachedResponse) -> CachedResponse:
        if self.ttl_seconds <= 0:
            return entry
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # crude but bounded; a full cache refills from the database
        entry.expires_at = time.monotonic() + self.ttl_seconds
        self._entries[key] = entry
        return entry

    def clear(self) -> None:
        """Forget everything (call after any write that may change a served document)."""
        self._entries.clear()
        if self.on_clear is not None:
            self.on_clear()

    def forget(self) -> None:
        """Forget everything, telling no one (another process changed something)."""
        self._entries.clear()
