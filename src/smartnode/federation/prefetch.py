"""Fetch first, then a short write (DESIGN.md rule 11) for code that fetches as it goes.

A handler runs inside a database transaction and may find, half-way, that it needs a remote
document. With `Prefetched` in place of the Fetcher it never waits on the network there: an
answer already fetched is replayed, anything else raises `NeedsFetch`. The caller rolls the
transaction back, fetches what was asked with no transaction open, and runs the handler again;
a slow or dead origin then delays only the messages that need it, and holds no lock.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from smartnode.federation.fetch import (
    ACCEPT_AP,
    FetchBudget,
    FetchedDocument,
    Fetcher,
    FetchError,
)


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """One outbound GET a handler asked for."""

    url: str
    jrd: bool = False
    signer: httpx.Auth | None = None
    accept: str = ACCEPT_AP
    allow_local: bool = False

    @property
    def key(self) -> tuple[str, bool, str, bool]:
        return (self.url, self.jrd, self.accept, self.allow_local)


class NeedsFetch(Exception):
    """The handler needs `request` fetched; roll back, fetch it, run the handler again.

    Not a FetchError: handlers that take a failed fetch in their stride must not swallow it."""

    def __init__(self, request: FetchRequest) -> None:
        super().__init__(request.url)
        self.request = request


class Prefetched:
    """The Fetcher's reading methods, answered from what was fetched beforehand."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self._answers: dict[tuple[str, bool, str, bool], FetchedDocument | FetchError] = {}

    def _replay(self, request: FetchRequest) -> FetchedDocument:
        answer = self._answers.get(request.key)
        if answer is None:
            raise NeedsFetch(request)
        if isinstance(answer, FetchError):
            raise answer
        return answer

    async def fetch_json(
        self,
        url: str,
        *,
        signer: httpx.Auth | None = None,
        accept: str = ACCEPT_AP,
        budget: FetchBudget | None = None,
        allow_local: bool = False,
    ) -> FetchedDocument:
        """The document fetched beforehand, or NeedsFetch (the budget is spent by `fetch`)."""
        return self._replay(FetchRequest(url, False, signer, accept, allow_local))

    async def fetch_jrd(
        self, url: str, *, budget: FetchBudget | None = None, allow_local: bool = False
    ) -> FetchedDocument:
        return self._replay(FetchRequest(url, True, None, ACCEPT_AP, allow_local))

    async def fetch(self, request: FetchRequest, budget: FetchBudget) -> None:
        """Fetch `request` for real (call it with no transaction open); keep the answer or the
        error for the next run."""
        try:
            if request.jrd:
                found = await self.fetcher.fetch_jrd(
                    request.url, budget=budget, allow_local=request.allow_local
                )
            else:
                found = await self.fetcher.fetch_json(
                    request.url, signer=request.signer, accept=request.accept, budget=budget,
                    allow_local=request.allow_local,
                )  # fmt: skip
        except FetchError as error:
            self._answers[request.key] = error
            return
        self._answers[request.key] = found

    async def aclose(self) -> None:
        """Nothing to close: the Fetcher belongs to the caller."""
