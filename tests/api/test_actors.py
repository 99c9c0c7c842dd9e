"""Serving actors (PROTOCOL.md "Serving objects"): negotiation, shapes, ids, 404/410, caching."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import update

from smartnode.actors.inputs import MemberUpdate
from smartnode.actors.members import delete_actor, update_member
from smartnode.api.negotiation import wants_activity_json
from smartnode.federation.uris import ActorKind
from smartnode.storage.models import Actor
from tests.conftest import make_member, make_project

AS_JSON = "application/activity+json"
LD_AS = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
MASTODON = "application/activity+json, application/ld+json"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY = "https://w3id.org/security/v1"


@pytest.mark.parametrize(
    ("accept", "as_json"),
    [
        (AS_JSON, True),
        (LD_AS, True),
        ("application/json", True),
        (MASTODON, True),
        (f"{AS_JSON}, {LD_AS}, text/html;q=0.1", True),  # Mitra
        ("text/html;q=0.5, application/activity+json", True),
        (BROWSER, False),
        ("*/*", False),
        ("", False),
        ("text/html, application/activity+json", False),  # a tie goes to the first
        ("application/activity+json;q=0.5, text/html", False),
        ("application/activity+json;q=0", False),
        ("application/activity+json;q=nonsense", False),
        ("image/png", False),
    ],
)
def test_accept_header_negotiation(accept: str, as_json: bool) -> None:
    assert wants_activity_json(accept) is as_json


async def arrange(db, settings) -> None:
    await make_member(
        db,
        settings,
        "anna",
        name="Anna Lindqvist",
        summary="<p>Ljuddesign för scen</p>",
        summary_map={"en": "<p>Sound design for the stage</p>"},
        language="sv",
        country="SE",
        city="Malmö",
        languages=["sv", "en"],
        skills=["sound design", "lighting"],
        links=[{"name": "Portfolio", "url": "https://anna.example/work"}],
        avatar_url="https://cdn.example/anna.png",
        header_url="https://cdn.example/anna-header.png",
        discoverable=True,
    )
    await make_project(
        db, settings, "Malmö Opera", coordinator="anna", sectors=["opera"], city="Malmö"
    )


ACTORS = [
    ("/members/anna", "Person"),
    ("/projects/malmo-opera", "Group"),
    ("/actor", "Application"),
]


@pytest.mark.parametrize(("path", "ap_type"), ACTORS)
@pytest.mark.parametrize("accept", [AS_JSON, LD_AS, "application/json", MASTODON])
async def test_actor_json_has_id_equal_to_the_url_and_the_as_content_type(
    client, db, settings, path, ap_type, accept
) -> None:
    await arrange(db, settings)
    response = await client.get(path, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/activity+json; charset=utf-8"
    assert response.headers["vary"] == "Accept"
    actor = response.json()
    assert actor["id"] == str(response.url) == f"https://se.smart.test{path}"
    assert actor["type"] == ap_type


@pytest.mark.parametrize(("path", "ap_type"), ACTORS)
async def test_browsers_get_the_html_page_at_the_same_url(
    client, db, settings, path, ap_type
) -> None:
    await arrange(db, settings)
    response = await client.get(path, headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["vary"] == "Accept, Accept-Language, Cookie"
    assert (
        f'<link rel="alternate" type="application/activity+json" '
        f'href="https://se.smart.test{path}">' in response.text
    )


@pytest.mark.parametrize(("path", "ap_type"), ACTORS)
async def test_actor_carries_every_field_mastodon_reads(
    client, db, settings, path, ap_type
) -> None:
    await arrange(db, settings)
    actor = (await client.get(path, headers={"Accept": AS_JSON})).json()
    uri = actor["id"]
    context = actor["@context"]
    assert context[:2] == [AS_CONTEXT, SECURITY] and isinstance(context[2], dict)
    assert {"toot", "discoverable", "PropertyValue", "featured"} <= set(context[2])
    for key in ("preferredUsername", "name", "summary", "url", "published"):
        assert isinstance(actor[key], str), key
    for name in ("inbox", "outbox", "followers", "following", "featured"):
        assert actor[name] == f"{uri}/{name}"
    assert actor["endpoints"] == {"sharedInbox": "https://se.smart.test/inbox"}
    assert isinstance(actor["manuallyApprovesFollowers"], bool)
    assert isinstance(actor["discoverable"], bool) and isinstance(actor["indexable"], bool)
    # Interop: Mastodon shows `url` only when it is on the actor's own host.
    assert urlsplit(actor["url"]).netloc == urlsplit(uri).netloc
    assert "movedTo" not in actor


@pytest.mark.parametrize(("path", "ap_type"), ACTORS)
async def test_public_key_is_rsa_2048_owned_by_the_actor(client, db, settings, path, ap_type):
    await arrange(db, settings)
    actor = (await client.get(path, headers={"Accept": AS_JSON})).json()
    key = actor["publicKey"]
    assert key["id"] == f"{actor['id']}#main-key"
    assert key["owner"] == actor["id"]
    public = serialization.load_pem_public_key(key["publicKeyPem"].encode())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048


async def test_member_profile_fields_images_hashtags_and_languages(client, db, settings) -> None:
    await arrange(db, settings)
    actor = (await client.get("/members/anna", headers={"Accept": AS_JSON})).json()
    assert actor["preferredUsername"] == "anna"
    assert actor["icon"] == {"type": "Image", "mediaType": "image/png",
                             "url": "https://cdn.example/anna.png"}  # fmt: skip
    assert actor["image"] == {"type": "Image", "mediaType": "image/png",
                              "url": "https://cdn.example/anna-header.png"}  # fmt: skip
    assert isinstance(actor["attachment"], list)
    assert all(f["type"] == "PropertyValue" for f in actor["attachment"])
    fields = {f["name"]: f["value"] for f in actor["attachment"]}
    assert fields["Based in"] == "Malmö, SE"
    assert fields["Languages"] == "Svenska, English"
    assert 'rel="nofollow noopener noreferrer me"' in fields["Portfolio"]
    tags = {t["name"]: t["href"] for t in actor["tag"] if t["type"] == "Hashtag"}
    assert tags == {
        "#SoundDesign": "https://se.smart.test/tags/SoundDesign",
        "#Lighting": "https://se.smart.test/tags/Lighting",
    }
    assert actor["summary"] == "<p>Ljuddesign för scen</p>"
    assert list(actor["summaryMap"]) == ["sv", "en"]  # the author's language first
    assert actor["discoverable"] is True


async def test_project_is_a_group_with_a_members_collection(client, db, settings) -> None:
    await arrange(db, settings)
    group = (await client.get("/projects/malmo-opera", headers={"Accept": AS_JSON})).json()
    assert group["members"] == "https://se.smart.test/projects/malmo-opera/members"
    assert group["@context"][2]["members"]["@id"] == "mz:members"
    assert {f["name"] for f in group["attachment"]} == {"Based in", "Sectors"}


async def test_also_known_as_and_moved_to_are_published_when_set(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        await s.execute(
            update(Actor)
            .where(Actor.username == "anna")
            .values(
                also_known_as=["https://mastodon.test/users/anna"],
                moved_to_uri="https://be.smart.test/members/anna",
            )
        )
    actor = (await client.get("/members/anna", headers={"Accept": AS_JSON})).json()
    assert actor["alsoKnownAs"] == ["https://mastodon.test/users/anna"]
    assert actor["movedTo"] == "https://be.smart.test/members/anna"


async def test_deleted_actor_answers_410_with_a_tombstone(client, db, settings) -> None:
    await arrange(db, settings)
    async with db.session() as s, s.begin():
        await delete_actor(s, ActorKind.MEMBER, "anna", datetime.now(UTC))
    response = await client.get("/members/anna", headers={"Accept": AS_JSON})
    assert response.status_code == 410
    assert response.headers["content-type"].startswith(AS_JSON)
    assert response.headers["vary"] == "Accept"
    tomb = response.json()
    assert tomb["type"] == "Tombstone"
    assert tomb["id"] == "https://se.smart.test/members/anna"
    assert tomb["formerType"] == "Person"
    assert tomb["deleted"].endswith("Z")
    page = await client.get("/members/anna", headers={"Accept": BROWSER})
    assert page.status_code == 410
    assert page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "path",
    ["/members/nobody", "/projects/nothing", "/projects/anna", "/members/malmo-opera",
     "/members/a%20b", "/members/" + "x" * 80],
)  # fmt: skip
async def test_unknown_actors_are_404(client, db, settings, path) -> None:
    await arrange(db, settings)
    response = await client.get(path, headers={"Accept": AS_JSON})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.headers["vary"] == "Accept"
    page = await client.get(path, headers={"Accept": BROWSER})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")


async def test_a_non_canonical_spelling_redirects_to_the_canonical_id(client, db, settings) -> None:
    """Every alias URL leads to the one id, so a fetcher's id check holds."""
    await arrange(db, settings)
    response = await client.get("/members/Anna", headers={"Accept": AS_JSON})
    assert response.status_code == 301
    assert response.headers["location"] == "https://se.smart.test/members/anna"
    assert response.headers["vary"] == "Accept"


async def test_cache_hit_serves_old_bytes_until_cleared(client, app, db, settings) -> None:
    """A hit does not read the database: a service-layer change shows only after clear()."""
    await arrange(db, settings)
    first = await client.get("/members/anna", headers={"Accept": AS_JSON})
    assert first.json()["name"] == "Anna Lindqvist"
    async with db.session() as s, s.begin():
        await update_member(s, "anna", MemberUpdate(name="Anna L."), datetime.now(UTC))
    again = await client.get("/members/anna", headers={"Accept": MASTODON})
    assert again.content == first.content
    page = await client.get("/members/anna", headers={"Accept": BROWSER})
    assert "Anna L." in page.text  # pages are rendered from the database every time
    app.state.documents.clear()
    fresh = await client.get("/members/anna", headers={"Accept": AS_JSON})
    assert fresh.json()["name"] == "Anna L."
    assert fresh.headers["content-type"] == "application/activity+json; charset=utf-8"


async def test_deletion_shows_after_clear(client, app, db, settings) -> None:
    await arrange(db, settings)
    assert (await client.get("/members/anna", headers={"Accept": AS_JSON})).status_code == 200
    async with db.session() as s, s.begin():
        await delete_actor(s, ActorKind.MEMBER, "anna", datetime.now(UTC))
    assert (await client.get("/members/anna", headers={"Accept": AS_JSON})).status_code == 200
    app.state.documents.clear()
    assert (await client.get("/members/anna", headers={"Accept": AS_JSON})).status_code == 410


@pytest.mark.parametrize(
    "path", ["/inbox", "/actor/inbox", "/members/anna/inbox", "/projects/malmo-opera/inbox"]
)
async def test_get_on_an_inbox_is_405_allowing_post(client, db, settings, path) -> None:
    await arrange(db, settings)
    response = await client.get(path, headers={"Accept": AS_JSON})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
