"""THE one place that builds and parses this node's URIs.

Layout: /actor (node), /members/{username}, /projects/{slug}, /feeds/{slug}, /inbox (shared),
and per actor …/inbox, …/outbox, …/followers, …/following, …/featured; /projects/{slug}/members;
/notes/{token} (Note, Article), /events/{token}, /calls/{token} and /activities/{token};
each note, event and call has its replies at …/replies. Actor ids double as profile page URLs
(content negotiation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote, urlsplit


class ActorKind(StrEnum):
    """Kinds of local actor, each with its own URL prefix."""

    NODE = "node"
    MEMBER = "member"
    PROJECT = "project"
    FEED = "feed"


_PREFIX = {ActorKind.MEMBER: "members", ActorKind.PROJECT: "projects", ActorKind.FEED: "feeds"}
_BY_PREFIX = {v: k for k, v in _PREFIX.items()}
_LOCAL_PATH = re.compile(r"^/(members|projects|feeds)/([a-z0-9_.-]+)$")
_TOKEN = re.compile(r"^[0-9a-f]{1,64}$")
COLLECTIONS = ("inbox", "outbox", "followers", "following", "featured", "members", "board")


@dataclass(frozen=True, slots=True)
class LocalRef:
    """A parsed local actor URI."""

    kind: ActorKind
    name: str


@dataclass(frozen=True, slots=True)
class NodeUris:
    """Builds every URI of this node from its base URL and handle domain."""

    base_url: str
    domain: str

    @property
    def node_actor(self) -> str:
        return f"{self.base_url}/actor"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base_url}/inbox"

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    def actor(self, kind: ActorKind, name: str) -> str:
        """Id of a local actor; the node actor ignores `name`."""
        if kind is ActorKind.NODE:
            return self.node_actor
        return f"{self.base_url}/{_PREFIX[kind]}/{quote(name, safe='')}"

    def member(self, username: str) -> str:
        return self.actor(ActorKind.MEMBER, username)

    def project(self, slug: str) -> str:
        return self.actor(ActorKind.PROJECT, slug)

    @staticmethod
    def collection(actor_uri: str, name: str) -> str:
        """inbox/outbox/followers/following/featured/members of an actor."""
        if name not in COLLECTIONS:
            raise ValueError(f"unknown collection {name!r}")
        return f"{actor_uri}/{name}"

    @staticmethod
    def collection_page(
        collection_uri: str, *, max_id: int | None = None, min_id: int | None = None
    ) -> str:
        """A page of a collection: newest first, or keyset after `max_id` / before `min_id`."""
        if max_id is not None:
            return f"{collection_uri}?page=true&max_id={max_id}"
        if min_id is not None:
            return f"{collection_uri}?page=true&min_id={min_id}"
        return f"{collection_uri}?page=true"

    @staticmethod
    def key_id(actor_uri: str) -> str:
        return f"{actor_uri}#main-key"

    def acct(self, username: str) -> str:
        return f"acct:{username}@{self.domain}"

    def webfinger_template(self) -> str:
        return f"{self.base_url}/.well-known/webfinger?resource={{uri}}"

    def authorize_interaction_template(self) -> str:
        return f"{self.base_url}/authorize_interaction?uri={{uri}}"

    def activity(self, token: str) -> str:
        """Id of an activity we publish."""
        return f"{self.base_url}/activities/{token}"

    def note(self, token: str) -> str:
        """Id (and page) of a Note or Article we publish."""
        return f"{self.base_url}/notes/{token}"

    def note_token(self, uri: str) -> str | None:
        """The token of one of our note ids, or None."""
        return self._token(uri, "/notes/")

    def activity_token(self, uri: str) -> str | None:
        """The token of one of our activity ids, or None."""
        return self._token(uri, "/activities/")

    def event(self, token: str) -> str:
        """Id (and page) of an Event we publish."""
        return f"{self.base_url}/events/{token}"

    def event_token(self, uri: str) -> str | None:
        """The token of one of our event ids, or None."""
        return self._token(uri, "/events/")

    def call(self, token: str) -> str:
        """Id (and page) of an open call we publish."""
        return f"{self.base_url}/calls/{token}"

    def call_token(self, uri: str) -> str | None:
        """The token of one of our call ids, or None."""
        return self._token(uri, "/calls/")

    @staticmethod
    def replies(object_uri: str) -> str:
        """The replies collection of one of our notes, events or calls."""
        return f"{object_uri}/replies"

    def agreement(self, token: str) -> str:
        """Id of an Agreement (an application's terms); shown only to its two parties."""
        return f"{self.base_url}/agreements/{token}"

    def agreement_token(self, uri: str) -> str | None:
        """The token of one of our Agreement ids, or None."""
        return self._token(uri, "/agreements/")

    def syndication(self, feed_slug: str, fmt: str) -> str:
        """RSS (`rss`) or Atom (`atom`) document of a topic feed."""
        return f"{self.actor(ActorKind.FEED, feed_slug)}.{fmt}"

    def calendar(self, actor_uri: str) -> str:
        """iCalendar feed of an actor's events."""
        return f"{actor_uri}/events.ics"

    def _token(self, uri: str, prefix: str) -> str | None:
        if not self.is_local(uri):
            return None
        parts = urlsplit(uri)
        token = parts.path.removeprefix(prefix)
        if parts.query or parts.fragment or token == parts.path or not _TOKEN.match(token):
            return None
        return token

    def tag(self, name: str) -> str:
        """Page of a hashtag (skills, sectors)."""
        return f"{self.base_url}/tags/{quote(name, safe='')}"

    def nodeinfo(self) -> str:
        return f"{self.base_url}/nodeinfo/2.1"

    def is_local(self, uri: str) -> bool:
        """True when `uri` is on this node's origin (scheme and host)."""
        try:
            parts = urlsplit(uri)
        except ValueError:
            return False
        base = urlsplit(self.base_url)
        return parts.scheme == base.scheme and parts.netloc.lower() == base.netloc.lower()

    def parse_actor(self, uri: str) -> LocalRef | None:
        """The local actor a URI names, or None. Accepts the bare id (no query, no fragment)."""
        if not self.is_local(uri):
            return None
        parts = urlsplit(uri)
        if parts.query or parts.fragment:
            return None
        if parts.path == "/actor":
            return LocalRef(ActorKind.NODE, "")
        match = _LOCAL_PATH.match(parts.path)
        if match is None:
            return None
        return LocalRef(_BY_PREFIX[match.group(1)], match.group(2))

    def parse_acct(self, resource: str) -> str | None:
        """Username from `acct:user@domain` (or `user@domain`) on this node's domain, else None."""
        value = resource[5:] if resource.lower().startswith("acct:") else resource
        value = value.lstrip("@")
        user, sep, domain = value.rpartition("@")
        if not sep or not user or domain.lower() not in (self.domain, self.host.lower()):
            return None
        return user.lower()
