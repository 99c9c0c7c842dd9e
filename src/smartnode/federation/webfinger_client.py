"""WebFinger client: `acct:user@host` / `@user@host` → the actor document, loop-back checked.

Interop (Mastodon's check_webfinger!): the handle an actor claims (FEP-2c59 `webfinger`, else
`preferredUsername@actor-authority`, the port kept) is fingered; its `self` link must be the
actor id. When that answer's subject names another domain (handle domain ≠ actor host), the
subject is fingered once more, must answer with itself, and must point at the same actor: the
subject is then the actor's handle. Every request goes through the Fetcher (`fetch_jrd` for
the JRDs, `fetch_json` for the actor), so the SSRF guard and caps apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from smartnode.errors import BadRequest
from smartnode.federation.fetch import (
    DocumentSource,
    FetchBudget,
    FetchedDocument,
    FetchError,
    is_activity_media_type,
)
from smartnode.federation.signatures_core import authority_of
from smartnode.federation.vocab import as_list

_USER = re.compile(r"^[A-Za-z0-9_.~-]{1,200}$")
_HOST = re.compile(r"^[a-z0-9.-]{1,253}(:[0-9]{1,5})?$")


class WebFingerError(FetchError):
    """A WebFinger answer without a usable `self` link, or one that does not loop back."""

    code = "webfinger_failed"


@dataclass(frozen=True, slots=True)
class Handle:
    """`user@host` (host may carry a port)."""

    username: str
    host: str

    @property
    def acct(self) -> str:
        return f"acct:{self.username}@{self.host}"

    def same_as(self, other: Handle) -> bool:
        return self.username.lower() == other.username.lower() and self.host == other.host


@dataclass(frozen=True, slots=True)
class WebFingerResult:
    """The verified actor document and the handle it is known by."""

    actor: FetchedDocument
    handle: Handle


def parse_handle(value: str) -> Handle:
    """Read `acct:user@host`, `@user@host` or `user@host`; BadRequest when malformed."""
    text = value.strip()
    text = text[5:] if text.lower().startswith("acct:") else text
    user, sep, host = text.lstrip("@").rpartition("@")
    host = host.lower().rstrip(".")
    if not sep or not _USER.match(user) or not _HOST.match(host):
        raise BadRequest(f"{value!r} is not a handle like @user@host")
    return Handle(user, host)


def claimed_handle(doc: dict[str, Any], actor_uri: str) -> Handle | None:
    """The handle an actor document claims, still to be confirmed by WebFinger; None if none.

    Interop: FEP-2c59 `webfinger` first (as Mastodon reads it), else `preferredUsername` at the
    authority of the actor id (host, and port unless the scheme's default)."""
    claim = doc.get("webfinger")
    if isinstance(claim, str):
        try:
            return parse_handle(claim)
        except BadRequest:
            pass
    username = doc.get("preferredUsername")
    if not isinstance(username, str) or not _USER.match(username):
        return None
    try:
        return Handle(username, authority_of(actor_uri))
    except ValueError:
        return None


def webfinger_url(handle: Handle, scheme: str = "https") -> str:
    return (
        f"{scheme}://{handle.host}/.well-known/webfinger?resource={quote(handle.acct, safe=':@')}"
    )


def self_link(jrd: dict[str, Any]) -> str | None:
    """The `self` link of an ActivityPub media type (activity+json or AS ld+json)."""
    for link in as_list(jrd.get("links")):
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        href, media = link.get("href"), link.get("type")
        if isinstance(href, str) and isinstance(media, str) and is_activity_media_type(media):
            return href
    return None


def subject_handle(jrd: dict[str, Any], asked: Handle) -> Handle:
    """The handle the JRD's subject names (the asked one when absent or not an acct:)."""
    subject = jrd.get("subject")
    if isinstance(subject, str) and subject.lower().startswith("acct:"):
        try:
            return parse_handle(subject)
        except BadRequest:
            raise WebFingerError(f"{asked.acct}: the subject {subject!r} is malformed") from None
    return asked


class WebFingerClient:
    """Finger handles through a Fetcher; `scheme` is http only on a local demo network."""

    def __init__(
        self,
        fetcher: DocumentSource,
        *,
        scheme: str = "https",
        signer: httpx.Auth | None = None,
        budget: FetchBudget | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.scheme = scheme
        self.signer = signer
        self.budget = budget

    async def finger(self, handle: Handle) -> tuple[Handle, str]:
        """The subject and `self` href the handle's host answers."""
        jrd = await self.fetcher.fetch_jrd(webfinger_url(handle, self.scheme), budget=self.budget)
        href = self_link(jrd.data)
        if href is None:
            raise WebFingerError(f"{handle.acct} has no ActivityPub self link")
        return subject_handle(jrd.data, handle), href

    async def lookup(self, value: str) -> WebFingerResult:
        """The actor a handle names, fetched from its id and checked to loop back."""
        asked = parse_handle(value)
        subject, href = await self.finger(asked)
        if not subject.same_as(asked):
            again, href_again = await self.finger(subject)
            if not again.same_as(subject) or href_again != href:
                raise WebFingerError(f"{asked.acct}: the WebFinger subject does not settle")
        actor = await self.fetcher.fetch_json(href, signer=self.signer, budget=self.budget)
        uri = actor.url_final
        claim = claimed_handle(actor.data, uri)
        if claim is None:  # no name of its own: only its own host may name it
            if href == uri and subject.host == authority_of(uri):
                return WebFingerResult(actor, subject)
            raise WebFingerError(f"{href} claims no handle that could loop back")
        if subject.same_as(claim) and href == uri:
            return WebFingerResult(actor, subject)  # the answer above already looped back
        return WebFingerResult(actor, await self.loop_back(uri, claim))

    async def loop_back(self, actor_uri: str, local: Handle) -> Handle:
        """Check that the claimed handle leads back to `actor_uri`; the handle it settles on."""
        subject, href = await self.finger(local)
        if not subject.same_as(local):
            again, href = await self.finger(subject)
            if not again.same_as(subject):
                raise WebFingerError(f"{local.acct}: too many WebFinger redirects")
        if href != actor_uri:
            raise WebFingerError(f"{local.acct} does not loop back to {actor_uri}")
        return subject
