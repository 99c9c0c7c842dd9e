"""Tables. One `actors` table holds local actors (node, members, projects) and, later, cached
remote ones; kind-specific facts live in side tables keyed by the actor id (models_profiles.py).
The other models_*.py modules register their tables on the same `Base` (imported below)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from smartnode.storage.types import BigId, Json, JsonDocument, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Actor(Base):
    """An ActivityPub actor. Local actors have `local=True`, a username and a private key."""

    __tablename__ = "actors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uri: Mapped[str] = mapped_column(Text, unique=True)
    local: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(16))  # node | member | project | remote
    ap_type: Mapped[str] = mapped_column(String(32))  # Person | Group | Application | ...
    username: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str | None] = mapped_column(String(255), nullable=True)  # None when local
    name: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    summary_map: Mapped[dict[str, str]] = mapped_column(JsonDocument, default=dict)
    language: Mapped[str] = mapped_column(String(16), default="en")
    icon_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    image_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    inbox_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    shared_inbox_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    public_key_pem: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str | None] = mapped_column(Text, nullable=True, unique=True)
    followers_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)  # remote profile page
    also_known_as: Mapped[list[str]] = mapped_column(Json, default=list)
    #: A remote actor's profile as shown to coordinators: {"fields": [{name, value}], "skills":
    #: [{name, uri}]} (actors/remote.py); empty for ours.
    remote_profile: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    moved_to_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    private_key_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    manually_approves_followers: Mapped[bool] = mapped_column(Boolean, default=False)
    discoverable: Mapped[bool] = mapped_column(Boolean, default=False)
    indexable: Mapped[bool] = mapped_column(Boolean, default=False)
    hide_network: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        # Usernames are never reused on this node, even after deletion (Mastodon does the same).
        Index(
            "uq_actors_local_username",
            "username",
            unique=True,
            sqlite_where=text("local"),
            postgresql_where=text("local"),
        ),
    )


class Follow(Base):
    """A follow relation; collections show only `accepted` ones."""

    __tablename__ = "follows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uri: Mapped[str | None] = mapped_column(Text, unique=True, nullable=True)
    follower_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    followed_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))  # pending | accepted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("follower_id", "followed_id"),
        Index("ix_follows_followed_state", "followed_id", "state", "id"),
        Index("ix_follows_follower_state", "follower_id", "state", "id"),
    )


_LEASED = "state = 'pending' AND locked_until IS NOT NULL"


class InboxMessage(Base):
    """A verified incoming activity, stored before 202 and processed by the worker.

    One row per (activity id, inbox): a retried delivery is a no-op (idempotent inbox).
    """

    __tablename__ = "inbox_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    activity_uri: Mapped[str] = mapped_column(Text)
    inbox: Mapped[str] = mapped_column(Text)  # the inbox URI it was posted to
    actor_uri: Mapped[str] = mapped_column(Text)
    activity_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(Json)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | failed
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        UniqueConstraint("activity_uri", "inbox"),
        Index("ix_inbox_messages_claim", "state", "run_at"),
        # The claim's "no earlier message of this actor in flight" rule (inbox/lane.py) reads
        # only the leased messages: a few hundred, however long the backlog.
        Index(
            "ix_inbox_messages_leased",
            "actor_uri",
            "id",
            sqlite_where=text(_LEASED),
            postgresql_where=text(_LEASED),
        ),
    )


class Activity(Base):
    """An activity we published (our outbox); its id is the AS2 `id`."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uri: Mapped[str] = mapped_column(Text, unique=True)
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    activity_type: Mapped[str] = mapped_column(String(64))
    object_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_activities_actor_public", "actor_id", "public", "id"),)


class Job(Base):
    """A unit of background work (e.g. fan-out of one activity), claimed with a lease."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | failed
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_jobs_claim", "state", "run_at"),)


class Delivery(Base):
    """One activity to one inbox; retried on its own. Doubles as the delivery log."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    activity_id: Mapped[int] = mapped_column(BigId, ForeignKey("activities.id", ondelete="CASCADE"))
    inbox_uri: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|done|gone|failed
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("activity_id", "inbox_uri"),
        Index("ix_deliveries_claim", "state", "run_at"),
        Index("ix_deliveries_host", "host", "state"),
    )


class Host(Base):
    """What we know of a remote host: failures, breaker, availability, signature scheme."""

    __tablename__ = "hosts"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    failure_days: Mapped[list[str]] = mapped_column(Json, default=list)  # distinct ISO dates
    unavailable: Mapped[bool] = mapped_column(Boolean, default=False)
    breaker_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    supports_rfc9421: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DomainBlock(Base):
    """A domain this node refuses to talk to (and its subdomains)."""

    __tablename__ = "domain_blocks"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Peer(Base):
    """A trusted peer node of the federation (its node actor is followed), and where the
    follows between our node actor and its stand (actors/peer_states.py)."""

    __tablename__ = "peers"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    actor_uri: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # ours → theirs: pending | accepted | refused | unreachable
    ours_state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    ours_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # theirs → ours: not asked | accepted (a trusted peer's Follow is accepted at once)
    theirs_state: Mapped[str] = mapped_column(
        String(16), default="not asked", server_default="not asked"
    )
    theirs_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    backfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NodeIdentity(Base):
    """The handle domain and base URL this database was initialised with (one row).

    Every id this node mints carries them, and ids never change: a process started with other
    values refuses to run (actors/identity.py)."""

    __tablename__ = "node_identity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(255))
    base_url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeletedObject(Base):
    """A remote object deleted before (or after) we saw it; a late Create is ignored."""

    __tablename__ = "deleted_objects"

    uri: Mapped[str] = mapped_column(Text, primary_key=True)
    actor_uri: Mapped[str] = mapped_column(Text)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KeyFailure(Base):
    """Negative cache: a key id we failed to fetch, not retried before `retry_at`."""

    __tablename__ = "key_failures"

    key_id: Mapped[str] = mapped_column(Text, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    retry_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeadInbox(Base):
    """An inbox that answered 404/410: nothing is sent there until its actor shows life again."""

    __tablename__ = "dead_inboxes"

    inbox_uri: Mapped[str] = mapped_column(Text, primary_key=True)
    status: Mapped[int] = mapped_column(Integer)
    gone_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContentObject(Base):
    """A piece of content, ours or remote: announcement (Note/Article), event, call, reply.

    `extra` holds what only some kinds have (event times and place, a call's FEP-0837 terms).
    """

    __tablename__ = "objects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uri: Mapped[str] = mapped_column(Text, unique=True)
    local: Mapped[bool] = mapped_column(Boolean)
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("actors.id", ondelete="SET NULL"), nullable=True
    )
    ap_type: Mapped[str] = mapped_column(String(32))  # Note | Article | Event | Page | Question
    kind: Mapped[str] = mapped_column(String(16))  # announcement | event | call | reply
    name: Mapped[str | None] = mapped_column(Text, nullable=True)
    content: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    content_map: Mapped[dict[str, str]] = mapped_column(JsonDocument, default=dict)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    in_reply_to_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    visibility: Mapped[str] = mapped_column(String(16))  # public|unlisted|followers|team|direct
    audience: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)  # to / cc as sent
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    tags: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    state: Mapped[str | None] = mapped_column(String(16), nullable=True)  # call: open|closed|filled
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # event, call
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # a deadline
    replies_count: Mapped[int] = mapped_column(Integer, default=0)
    likes_count: Mapped[int] = mapped_column(Integer, default=0)
    announces_count: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index("ix_objects_actor", "actor_id", "id"),
        Index("ix_objects_project", "project_id", "id"),
        Index("ix_objects_kind", "kind", "published_at"),
        Index("ix_objects_in_reply_to", "in_reply_to_uri", "id"),
        Index("ix_objects_kind_state", "kind", "state", "closes_at", "id"),
        Index("ix_objects_board", "kind", "state", "published_at", "id"),
    )


class Reaction(Base):
    """A Like or Announce of an object, by any actor; counted on the object."""

    __tablename__ = "reactions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uri: Mapped[str] = mapped_column(Text, unique=True)  # the Like/Announce activity id
    object_id: Mapped[int] = mapped_column(BigId, ForeignKey("objects.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("actors.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # like | announce
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("object_id", "actor_id", "kind"),)


def table(model: type[Base]) -> Table:
    """The Core table of a model: hot paths (queues, bulk inserts) use Core, not the ORM."""
    return cast(Table, model.__table__)


from smartnode.storage import models_accounts as models_accounts  # noqa: E402  (register tables)
from smartnode.storage import models_blocks as models_blocks  # noqa: E402  (register tables)
from smartnode.storage import models_lists as models_lists  # noqa: E402  (register tables)
from smartnode.storage import models_marks as models_marks  # noqa: E402  (register tables)
from smartnode.storage import models_matching as models_matching  # noqa: E402  (register tables)
from smartnode.storage import models_media as models_media  # noqa: E402  (register tables)
from smartnode.storage import models_ops as models_ops  # noqa: E402  (register tables)
from smartnode.storage import models_passkeys as models_passkeys  # noqa: E402  (register tables)
from smartnode.storage import models_profiles as models_profiles  # noqa: E402  (register tables)
from smartnode.storage import models_search as models_search  # noqa: E402  (register tables)
from smartnode.storage import models_work as models_work  # noqa: E402  (register tables)
