"""The instance documents Mastodon apps read first (/api/v1/instance, /api/v2/instance), the
domains this node knows (/api/v1/instance/peers), rules and custom emojis: Mastodon 4.3's
shapes and types, on the wire, from the database's figures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smartnode import __version__
from smartnode.actors.blocks import block_domain
from smartnode.actors.peers import add_peer
from smartnode.storage.models import ContentObject
from tests.conftest import make_member
from tests.content import remote_person

V2_KEYS = {
    "domain", "title", "version", "source_url", "description", "usage", "thumbnail", "icon",
    "languages", "configuration", "registrations", "api_versions", "contact", "rules",
}  # fmt: skip
V1_KEYS = {
    "uri", "title", "short_description", "description", "email", "version", "urls", "stats",
    "thumbnail", "languages", "registrations", "approval_required", "invites_enabled",
    "configuration", "contact_account", "rules",
}  # fmt: skip


async def _remote(db, uri: str) -> None:
    async with db.session() as s, s.begin():
        s.add(remote_person(uri))


async def _local_post(db, author) -> None:
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        s.add(
            ContentObject(
                uri=f"https://se.smart.test/posts/{now.timestamp()}", local=True,
                actor_id=author.id, ap_type="Note", kind="announcement", content="<p>Hej</p>",
                visibility="public", published_at=now, updated_at=now,
            )
        )  # fmt: skip


async def test_v2_has_mastodon_43s_fields_and_types(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    response = await client.get("/api/v2/instance")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["access-control-allow-origin"] == "*"
    doc = response.json()
    assert set(doc) == V2_KEYS
    assert doc["domain"] == "se.smart.test"
    assert doc["title"] == "Smart Sverige"
    assert doc["version"] == f"4.3.0 (compatible; smartnode {__version__})"
    assert doc["description"] == settings.node_description
    assert doc["usage"] == {"users": {"active_month": 1}}
    assert doc["thumbnail"]["url"] == "https://se.smart.test/static/instance-preview.png"
    assert doc["languages"][0] == "en" and set(doc["languages"]) == {
        "en", "sv", "fr", "nl", "de", "it", "es"
    }  # fmt: skip
    config = doc["configuration"]
    assert config["urls"]["streaming"] == "wss://se.smart.test"  # apps add /api/v1/streaming
    assert config["statuses"] == {
        "max_characters": 20_000, "max_media_attachments": 4, "characters_reserved_per_url": 23,
    }  # fmt: skip
    media = config["media_attachments"]
    assert "image/jpeg" in media["supported_mime_types"]
    assert all(isinstance(media[k], int) for k in media if k != "supported_mime_types")
    assert media["description_limit"] == 1500
    assert media["image_size_limit"] == settings.media_max_bytes  # what an upload may really be
    assert media["image_matrix_limit"] == settings.media_max_pixels
    assert config["accounts"]["max_pinned_statuses"] == 5
    assert config["polls"]["max_options"] == 0  # no polls
    assert config["translation"] == {"enabled": False}
    registrations = doc["registrations"]
    assert registrations["enabled"] is False and registrations["approval_required"] is False
    assert registrations["message"] == (
        "<p>Members join Smart Sverige by invitation of the cooperative; there is no sign-up "
        "form.</p>"
    )
    assert doc["api_versions"] == {"mastodon": 2}
    assert doc["contact"] == {"email": "", "account": None}
    assert doc["rules"] == []


async def test_the_thumbnail_is_served(client) -> None:
    doc = (await client.get("/api/v2/instance")).json()
    image = await client.get(doc["thumbnail"]["url"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


async def test_v1_has_the_older_shape_with_stats(client, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    await make_member(db, settings, "bo")
    await _local_post(db, anna)
    await _remote(db, "https://be.smart.test/members/bram")
    response = await client.get("/api/v1/instance")
    assert response.status_code == 200
    doc = response.json()
    assert set(doc) == V1_KEYS
    assert doc["uri"] == "se.smart.test"
    assert doc["title"] == "Smart Sverige"
    assert doc["version"].startswith("4.3.0 (compatible; smartnode ")
    assert doc["urls"] == {"streaming_api": "wss://se.smart.test"}
    assert doc["stats"] == {"user_count": 2, "status_count": 1, "domain_count": 1}
    assert doc["thumbnail"] == "https://se.smart.test/static/instance-preview.png"
    assert doc["registrations"] is False and doc["invites_enabled"] is False
    assert doc["approval_required"] is False
    assert doc["contact_account"] is None and doc["rules"] == []
    assert set(doc["configuration"]) == {"accounts", "statuses", "media_attachments", "polls"}


@pytest.mark.parametrize("path", ["/api/v1/instance/", "/api/v2/instance/"])
async def test_the_trailing_slash_paths_apps_send_answer_the_same(client, path) -> None:
    response = await client.get(path)
    assert response.status_code == 200  # not a redirect
    assert response.json() == (await client.get(path.rstrip("/"))).json()


async def test_the_registrations_message_speaks_the_readers_language(client) -> None:
    doc = (await client.get("/api/v2/instance", headers={"Accept-Language": "sv"})).json()
    message = doc["registrations"]["message"]
    assert message.startswith("<p>") and "Smart Sverige" in message
    assert "invitation" not in message  # Swedish, not English
    english = (await client.get("/api/v2/instance", headers={"Accept-Language": "en"})).json()
    assert "invitation" in english["registrations"]["message"]


async def test_peers_lists_peer_nodes_and_remote_domains_never_blocked_ones(
    client, db, settings
) -> None:
    assert (await client.get("/api/v1/instance/peers")).json() == []
    await _remote(db, "https://mastodon.example/users/alice")
    await _remote(db, "https://mastodon.example/users/bob")
    await _remote(db, "https://spam.bad.example/users/x")
    async with db.session() as s, s.begin():
        await add_peer(s, "https://be.smart.test", datetime.now(UTC))
        await block_domain(s, "bad.example", "spam", datetime.now(UTC))
    response = await client.get("/api/v1/instance/peers")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json() == ["be.smart.test", "mastodon.example"]


async def test_rules_and_custom_emojis_are_empty_lists(client) -> None:
    for path in ("/api/v1/instance/rules", "/api/v1/custom_emojis"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.json() == [], path


async def test_the_instance_routes_stay_out_of_the_native_openapi(client) -> None:
    paths = (await client.get("/api/smart/v1/openapi.json")).json()["paths"]
    assert not [p for p in paths if "instance" in p or "markers" in p or "preferences" in p]
