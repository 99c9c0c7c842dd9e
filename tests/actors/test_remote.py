"""Remote actor documents: what we accept, what we refuse, and how the row is kept."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from smartnode.actors.remote import BadActor, remote_actor_from_ap, store_remote_actor
from smartnode.errors import Forbidden
from smartnode.federation.keys import generate_rsa_keypair
from smartnode.storage.models import Actor
from tests.conftest import make_member

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
_, PEM = generate_rsa_keypair()
_, OTHER_PEM = generate_rsa_keypair()


def mastodon_actor(pem: str = PEM) -> dict[str, Any]:
    """An actor shaped as Mastodon serves it."""
    uri = "https://mastodon.example/users/alice"
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri,
        "type": "Person",
        "preferredUsername": "alice",
        "name": "Alice <b>Anders</b>",
        "summary": '<p>Hi<script>alert(1)</script> <a href="javascript:x">me</a></p>',
        "url": "https://mastodon.example/@alice",
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "followers": f"{uri}/followers",
        "endpoints": {"sharedInbox": "https://mastodon.example/inbox"},
        "icon": {"type": "Image", "mediaType": "image/png", "url": "https://files.example/a.png"},
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": pem},
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "alsoKnownAs": ["https://old.example/users/alice"],
    }


def test_mastodon_actor_is_read_with_tolerant_accessors() -> None:
    data = remote_actor_from_ap(mastodon_actor())
    assert data.uri == "https://mastodon.example/users/alice"
    assert data.domain == "mastodon.example" and data.username == "alice"
    assert data.shared_inbox_uri == "https://mastodon.example/inbox"
    assert data.icon_url == "https://files.example/a.png"
    assert data.key_id == "https://mastodon.example/users/alice#main-key"
    assert "<script>" not in data.summary and "javascript:" not in data.summary
    assert data.also_known_as == ["https://old.example/users/alice"]


def _short_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.update(type="Note"), "not an actor type"),
        (lambda d: d.pop("publicKey"), "no public key"),
        (lambda d: d["publicKey"].update(owner="https://evil.example/users/x"), "no public key"),
        (lambda d: d["publicKey"].update(id="https://evil.example/keys/1"), "another origin"),
        (lambda d: d["publicKey"].update(publicKeyPem="garbage"), "not a PEM"),
        (lambda d: d["publicKey"].update(publicKeyPem=_short_key_pem()), "2048"),
        (lambda d: d.update(inbox="javascript:alert(1)"), "inbox"),
        (lambda d: d.update(id="ftp://mastodon.example/users/alice"), "id"),
    ],
)
def test_bad_actor_documents_are_refused_with_a_reason(change: Any, reason: str) -> None:
    doc = copy.deepcopy(mastodon_actor())
    change(doc)
    with pytest.raises(BadActor, match=reason):
        remote_actor_from_ap(doc)


async def test_refresh_keeps_key_unless_it_is_a_rotation(db) -> None:
    async with db.session() as s, s.begin():
        await store_remote_actor(s, remote_actor_from_ap(mastodon_actor()), NOW)
    swapped = remote_actor_from_ap(mastodon_actor(OTHER_PEM))
    async with db.session() as s:
        with pytest.raises(Forbidden, match="swap its key"):
            async with s.begin():
                await store_remote_actor(s, swapped, NOW)
    async with db.session() as s:
        row = await s.scalar(select(Actor).where(Actor.uri == swapped.uri))
        assert row is not None and row.public_key_pem == PEM
    async with db.session() as s, s.begin():
        await store_remote_actor(s, swapped, NOW, key_rotation=True)
    async with db.session() as s:
        row = await s.scalar(select(Actor).where(Actor.uri == swapped.uri))
        assert row is not None and row.public_key_pem == OTHER_PEM and not row.local
        assert row.inbox_uri == "https://mastodon.example/users/alice/inbox"


async def test_remote_document_claiming_a_local_id_is_refused(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    doc = mastodon_actor()
    doc["id"] = anna.uri
    doc["publicKey"] = {"id": f"{anna.uri}#main-key", "owner": anna.uri, "publicKeyPem": PEM}
    async with db.session() as s:
        with pytest.raises(Forbidden):
            async with s.begin():
                await store_remote_actor(s, remote_actor_from_ap(doc), NOW)
    async with db.session() as s:
        row = await s.scalar(select(Actor).where(Actor.uri == anna.uri))
        assert row is not None and row.local and row.public_key_pem != PEM


async def test_discoverable_and_indexable_are_kept_as_the_actor_says(db) -> None:
    doc = {**mastodon_actor(), "discoverable": False, "indexable": True}
    async with db.session() as s, s.begin():
        await store_remote_actor(s, remote_actor_from_ap(doc), NOW)
    async with db.session() as s:
        row = await s.scalar(select(Actor).where(Actor.uri == doc["id"]))
        assert row is not None and (row.discoverable, row.indexable) == (False, True)
    withdrawn = {**doc, "indexable": "yes"}  # only a JSON true counts
    async with db.session() as s, s.begin():
        await store_remote_actor(s, remote_actor_from_ap(withdrawn), NOW)
    async with db.session() as s:
        row = await s.scalar(select(Actor).where(Actor.uri == doc["id"]))
        assert row is not None and row.indexable is False
