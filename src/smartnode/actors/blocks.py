"""Domain blocks: refuse a domain and its subdomains everywhere (inbox, fetch, delivery)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.errors import ValidationFailed
from smartnode.federation.addresses import normalise_host
from smartnode.storage.db import Database
from smartnode.storage.models import DomainBlock


def host_of(uri: str) -> str:
    """Lower-case host of a URI ('' when there is none)."""
    try:
        return (urlsplit(uri).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def is_blocked(host: str, blocked: Iterable[str]) -> bool:
    """A host is blocked when it or any parent domain is."""
    return any(host == d or host.endswith("." + d) for d in blocked)


def clean_domain(domain: str) -> str:
    """Validate a domain an operator typed."""
    value = domain.strip().lower().removeprefix("https://").removeprefix("http://").strip("/")
    try:
        value = normalise_host(value)
    except ValueError:
        raise ValidationFailed(f"{domain!r} is not a domain name") from None
    if not value or "/" in value or "@" in value or " " in value:
        raise ValidationFailed(f"{domain!r} is not a domain name")
    return value


async def block_domain(session: AsyncSession, domain: str, reason: str, now: datetime) -> str:
    """Block a domain (idempotent); returns the normalised domain."""
    value = clean_domain(domain)
    row = await session.get(DomainBlock, value)
    if row is None:
        session.add(DomainBlock(domain=value, reason=reason, created_at=now))
    else:
        row.reason = reason or row.reason
    return value


async def unblock_domain(session: AsyncSession, domain: str) -> bool:
    result = await session.execute(
        delete(DomainBlock).where(DomainBlock.domain == clean_domain(domain))
    )
    return bool(getattr(result, "rowcount", 0))


class BlockList:
    """The blocked domains, kept in memory and reloaded every `ttl` seconds (edge hot path)."""

    def __init__(self, db: Database, ttl: float = 30.0) -> None:
        self.db = db
        self.ttl = ttl
        self._domains: frozenset[str] = frozenset()
        self._loaded_at = float("-inf")

    async def domains(self) -> frozenset[str]:
        if time.monotonic() - self._loaded_at > self.ttl:
            async with self.db.session() as session:
                self._domains = frozenset((await session.scalars(select(DomainBlock.domain))).all())
            self._loaded_at = time.monotonic()
        return self._domains

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    async def blocks_any(self, uris: Iterable[str]) -> str | None:
        """The first blocked host among the URIs' hosts, or None."""
        domains = await self.domains()
        if not domains:
            return None
        for uri in uris:
            host = host_of(uri)
            if host and is_blocked(host, domains):
                return host
        return None
