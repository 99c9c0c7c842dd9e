"""GET /notes/{id} and /activities/{id}: AS2 with id == URL, pages for browsers, 410 Tombstones,
non-public objects only for a signed reader in their audience (404 for everyone else), and
the outbox listing public Creates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select, update

from smartnode.federation.keys import generate_rsa_keypair, load_private_key
from smartnode.federation.signatures import sign_request_cavage
from smartnode.storage.models import Activity, ContentObject
from tests.conftest import make_member
from tests.content import add_follower, member_headers, node_client
from tests.inbox import Fediverse

ALICE = "https://mastodon.example/users/alice"
MALLORY = "https://evil.example/users/mallory"
ALICE_KEY, ALICE_PUBLIC = generate_rsa_keypair()
MALLORY_KEY, MALLORY_PUBLIC = generate_rsa_keypair()
AP = {"Accept": "application/activity+json"}
HTML = {"Accept": "text/html"}
AP_TYPE = "application/activity+json; charset=utf-8"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(ALICE, pem=ALICE_PUBLIC)
    fediverse.actor(MALLORY, pem=MALLORY_PUBLIC)
    return fediverse


@pytest.fixture
async def api(settings, db, world) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


def signed(url: str, actor: str = ALICE) -> dict[str, str]:
    """Headers of a GET of `url` signed by `actor` (alice or mallory)."""
    key = ALICE_KEY if actor == ALICE else MALLORY_KEY
    added = sign_request_cavage(
        "GET", url, AP, None, f"{actor}#main-key", load_private_key(key), datetime.now(UTC)
    )
    return {**AP, **added}


async def publish(api, db, settings, username: str = "anna", **body) -> dict:
    member = await make_member(db, settings, username)
    headers = await member_headers(db, member)
    response = await api.post(f"/api/smart/v1/actors/{username}/posts", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return {**response.json(), "headers": headers, "member": member}


async def test_public_note_is_served_as_as2_with_id_equal_to_url(api, db, settings) -> None:
    posted = await publish(api, db, settings, content="Hej & välkommen")
    response = await api.get(f"/notes/{posted['id']}", headers=AP)
    assert response.status_code == 200
    assert response.headers["content-type"] == AP_TYPE and response.headers["vary"] == "Accept"
    doc = response.json()
    assert doc["id"] == str(response.url) == posted["uri"]
    assert doc["@context"][0] == "https://www.w3.org/ns/activitystreams"
    assert (
        doc["content"] == "<p>Hej &amp; välkommen</p>" and doc["attributedTo"] == posted["author"]
    )
    ld = await api.get(
        f"/notes/{posted['id']}",
        headers={"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'},
    )
    assert ld.status_code == 200 and ld.json() == doc


async def test_public_note_bytes_are_cached_until_a_write(api, db, settings) -> None:
    posted = await publish(api, db, settings, content="Första")
    first = await api.get(f"/notes/{posted['id']}", headers=AP)
    async with db.session() as s, s.begin():
        await s.execute(update(ContentObject).values(content="<p>changed behind our back</p>"))
    cached = await api.get(f"/notes/{posted['id']}", headers=AP)
    assert cached.content == first.content
    edit = await api.patch(
        f"/api/smart/v1/posts/{posted['id']}", json={"content": "Andra"}, headers=posted["headers"]
    )
    assert edit.status_code == 200
    fresh = await api.get(f"/notes/{posted['id']}", headers=AP)
    assert fresh.json()["content"] == "<p>Andra</p>"


async def test_browsers_get_the_page_with_escaped_text(api, db, settings) -> None:
    posted = await publish(api, db, settings, name="<Premiär>", content="Kom #Jazz")
    page = await api.get(f"/notes/{posted['id']}", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "&lt;Premiär&gt;" in page.text and "<Premiär>" not in page.text
    assert "#<span>Jazz</span>" in page.text
    assert f'<link rel="alternate" type="application/activity+json" href="{posted["uri"]}">' in (
        page.text
    )
    assert page.headers["vary"] == "Accept, Accept-Language, Cookie"


async def test_unknown_and_malformed_notes_are_404(api, db, settings) -> None:
    await make_member(db, settings, "anna")
    for path in ("/notes/0123456789abcdef", "/notes/NOT-A-TOKEN", "/activities/abc"):
        assert (await api.get(path, headers=AP)).status_code == 404
    assert (await api.get("/notes/0123456789abcdef", headers=HTML)).status_code == 404


async def test_deleted_note_is_410_for_machines_and_people(api, db, settings) -> None:
    posted = await publish(api, db, settings, content="Snart borta")
    await api.delete(f"/api/smart/v1/posts/{posted['id']}", headers=posted["headers"])
    gone = await api.get(f"/notes/{posted['id']}", headers=AP)
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
    assert gone.json()["formerType"] == "Note" and gone.json()["id"] == posted["uri"]
    page = await api.get(f"/notes/{posted['id']}", headers=HTML)
    assert page.status_code == 410 and "Snart borta" not in page.text


async def test_followers_only_note_is_served_only_to_a_signed_follower(api, db, settings) -> None:
    posted = await publish(api, db, settings, content="Bara för er", visibility="followers")
    url = posted["uri"]
    path = f"/notes/{posted['id']}"
    assert (await api.get(path, headers=AP)).status_code == 404
    assert (await api.get(path, headers=HTML)).status_code == 404
    assert (await api.get(path, headers=signed(url))).status_code == 404  # not a follower yet
    await add_follower(db, posted["member"], ALICE)
    response = await api.get(path, headers=signed(url))
    assert response.status_code == 200 and response.json()["content"] == "<p>Bara för er</p>"
    assert response.headers["cache-control"] == "private, no-store"
    assert (await api.get(path, headers=signed(url, MALLORY))).status_code == 404
    forged = signed(f"{settings.base_url}/notes/other")  # signed for another URL
    assert (await api.get(path, headers=forged)).status_code == 404
    assert (await api.get(path, headers=AP)).status_code == 404  # nothing cached for others


async def test_direct_note_is_served_to_the_mentioned_actor_only(api, db, settings) -> None:
    posted = await publish(api, db, settings, content="Hej", visibility="direct", mentions=[ALICE])
    url, path = posted["uri"], f"/notes/{posted['id']}"
    assert (await api.get(path, headers=signed(url))).status_code == 200
    assert (await api.get(path, headers=signed(url, MALLORY))).status_code == 404
    create = await api.get(posted["uri"].replace("/notes/", "/activities/"), headers=AP)
    assert create.status_code == 404  # not the activity's id either


async def test_create_activity_is_served_with_the_note_as_it_is_now(api, db, settings) -> None:
    posted = await publish(api, db, settings, content="Före")
    async with db.session() as s:
        create = await s.scalar(select(Activity).where(Activity.activity_type == "Create"))
    path = "/activities/" + create.uri.rsplit("/", 1)[-1]
    first = await api.get(path, headers=AP)
    assert first.status_code == 200 and first.json()["id"] == create.uri
    assert first.json()["object"]["content"] == "<p>Före</p>"
    await api.patch(
        f"/api/smart/v1/posts/{posted['id']}", json={"content": "Efter"}, headers=posted["headers"]
    )
    assert (await api.get(path, headers=AP)).json()["object"]["content"] == "<p>Efter</p>"
    await api.delete(f"/api/smart/v1/posts/{posted['id']}", headers=posted["headers"])
    gone = await api.get(path, headers=AP)
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
    assert "Efter" not in gone.text


async def test_followers_only_activity_needs_a_signed_follower(api, db, settings) -> None:
    posted = await publish(api, db, settings, content="Privat", visibility="followers")
    await add_follower(db, posted["member"], ALICE)
    async with db.session() as s:
        create = await s.scalar(select(Activity).where(Activity.activity_type == "Create"))
    path = "/activities/" + create.uri.rsplit("/", 1)[-1]
    assert (await api.get(path, headers=AP)).status_code == 404
    assert (await api.get(path, headers=signed(create.uri, MALLORY))).status_code == 404
    allowed = await api.get(path, headers=signed(create.uri))
    assert allowed.status_code == 200 and allowed.json()["object"]["content"] == "<p>Privat</p>"


async def test_outbox_lists_public_creates_of_live_notes_newest_first(api, db, settings) -> None:
    posted = await publish(api, db, settings, content="ett")
    headers = posted["headers"]
    made = []
    for body in ({"content": "två"}, {"content": "tre", "visibility": "unlisted"},
                 {"content": "privat", "visibility": "followers"}):  # fmt: skip
        response = await api.post("/api/smart/v1/actors/anna/posts", json=body, headers=headers)
        made.append(response.json())
    await api.delete(f"/api/smart/v1/posts/{made[0]['id']}", headers=headers)
    outbox = (await api.get("/members/anna/outbox", headers=AP)).json()
    assert outbox["totalItems"] == 2
    page = (await api.get(outbox["first"], headers=AP)).json()
    async with db.session() as s:
        rows = (await s.scalars(select(Activity).where(Activity.activity_type == "Create"))).all()
    by_object = {row.object_uri: row.uri for row in rows}
    assert page["orderedItems"] == [by_object[made[1]["uri"]], by_object[posted["uri"]]]


async def test_authorized_fetch_needs_a_signature_even_for_public_notes(
    db, settings, world
) -> None:
    locked = settings.model_copy(update={"authorized_fetch": True})
    async with node_client(locked, world) as api:
        posted = await publish(api, db, locked, content="Hej")
        path = f"/notes/{posted['id']}"
        assert (await api.get(path, headers=AP)).status_code == 401
        assert (await api.get(path, headers=signed(posted["uri"]))).status_code == 200
        assert (await api.get(path, headers=HTML)).status_code == 200
