"""Discovery contract (PROTOCOL.md "Discovery"): WebFinger, host-meta, FEP-d556, loop-back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree

import httpx
import pytest

from smartnode.actors.members import delete_actor
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.federation.uris import ActorKind
from smartnode.storage.models import Actor
from tests.conftest import make_member, make_project

WEBFINGER = "/.well-known/webfinger"
SELF = "self"
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
SUBSCRIBE = "http://ostatus.org/schema/1.0/subscribe"
SERVICE = "https://www.w3.org/ns/activitystreams#Service"
AS_JSON = "application/activity+json"


def links_by_rel(jrd: dict) -> dict[str, dict]:
    return {link["rel"]: link for link in jrd["links"]}


async def finger(client: httpx.AsyncClient, resource: str, **params: str) -> httpx.Response:
    return await client.get(WEBFINGER, params={"resource": resource, **params})


def assert_jrd_answer(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/jrd+json")
    assert response.headers["access-control-allow-origin"] == "*"
    return response.json()


async def test_member_handle_gives_jrd_with_self_profile_page_and_subscribe(
    client, db, settings
) -> None:
    await make_member(db, settings, "anna")
    jrd = assert_jrd_answer(await finger(client, "acct:anna@se.smart.test"))
    assert jrd["subject"] == "acct:anna@se.smart.test"
    assert jrd["aliases"] == ["https://se.smart.test/members/anna"]
    links = links_by_rel(jrd)
    assert links[SELF] == {
        "rel": SELF,
        "type": AS_JSON,
        "href": "https://se.smart.test/members/anna",
    }
    assert links[PROFILE_PAGE]["type"] == "text/html"
    assert links[PROFILE_PAGE]["href"] == "https://se.smart.test/members/anna"
    assert links[SUBSCRIBE]["template"] == "https://se.smart.test/authorize_interaction?uri={uri}"


async def test_project_handle_gives_its_group_actor(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    await make_project(db, settings, "Malmö Opera", coordinator="anna")
    jrd = assert_jrd_answer(await finger(client, "acct:malmo-opera@se.smart.test"))
    assert jrd["subject"] == "acct:malmo-opera@se.smart.test"
    assert links_by_rel(jrd)[SELF]["href"] == "https://se.smart.test/projects/malmo-opera"


@pytest.mark.parametrize(
    "resource",
    [
        "anna@se.smart.test",  # no acct: scheme, as some clients send
        "acct:@anna@se.smart.test",
        "acct:ANNA@SE.SMART.TEST",
        "https://se.smart.test/members/anna",  # our own actor id
    ],
)
async def test_other_spellings_of_a_member_resolve_to_the_same_actor(
    client, db, settings, resource
) -> None:
    await make_member(db, settings, "anna")
    jrd = assert_jrd_answer(await finger(client, resource))
    assert jrd["subject"] == "acct:anna@se.smart.test"
    assert links_by_rel(jrd)[SELF]["href"] == "https://se.smart.test/members/anna"


async def test_project_actor_url_as_resource(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    await make_project(db, settings, "Kulturhuset", coordinator="anna")
    jrd = assert_jrd_answer(await finger(client, "https://se.smart.test/projects/kulturhuset"))
    assert jrd["subject"] == "acct:kulturhuset@se.smart.test"


@pytest.mark.parametrize(
    "resource",
    [
        "acct:nobody@se.smart.test",
        "acct:anna@mastodon.social",  # not our domain: we describe only our own
        "https://mastodon.social/users/anna",
        "https://se.smart.test/members/nobody",
        "https://se.smart.test/members/anna/outbox",  # ours, but not an actor
        "https://se.smart.test/projects/anna",  # anna is a member, not a project
    ],
)
async def test_unknown_resources_are_404_with_cors(client, db, settings, resource) -> None:
    await make_member(db, settings, "anna")
    response = await finger(client, resource)
    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({}, "resource parameter is required"),
        ({"resource": ""}, "resource parameter is required"),
        ({"resource": "anna"}, "acct:user@host"),
        ({"resource": "acct:anna"}, "acct:user@host"),
        ({"resource": "acct:@se.smart.test"}, "acct:user@host"),
        ({"resource": "mailto:anna@se.smart.test"}, "unsupported resource scheme"),
        ({"resource": "acct:" + "a" * 1100 + "@se.smart.test"}, "longer than"),
    ],
)
async def test_missing_or_malformed_resource_is_400_with_a_clear_json_error(
    client, params, says
) -> None:
    response = await client.get(WEBFINGER, params=params)
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == "*"
    body = response.json()
    assert body["code"] == "bad_request" and says in body["error"]


async def test_deleted_member_is_410(client, app, db, settings) -> None:
    await make_member(db, settings, "anna")
    async with db.session() as s, s.begin():
        await delete_actor(s, ActorKind.MEMBER, "anna", datetime.now(UTC))
    for resource in ("acct:anna@se.smart.test", "https://se.smart.test/members/anna"):
        response = await finger(client, resource)
        assert response.status_code == 410
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.json()["code"] == "gone"


@pytest.mark.parametrize(
    "resource",
    [
        "https://se.smart.test/",  # FEP-d556
        "https://se.smart.test",
        "acct:se.smart.test@se.smart.test",  # the node's own handle, as Mastodon does it
        "https://se.smart.test/actor",
    ],
)
async def test_node_actor_is_found_by_base_url_and_by_handle(client, resource) -> None:
    jrd = assert_jrd_answer(await finger(client, resource))
    assert jrd["subject"] == "acct:se.smart.test@se.smart.test"
    links = links_by_rel(jrd)
    assert links[SELF] == {"rel": SELF, "type": AS_JSON, "href": "https://se.smart.test/actor"}
    assert links[SERVICE]["href"] == "https://se.smart.test/actor"
    assert links[PROFILE_PAGE]["href"] == "https://se.smart.test/about"
    assert SUBSCRIBE not in links


async def test_node_actor_is_fetchable_without_a_signature(client) -> None:
    response = await client.get("/actor", headers={"Accept": AS_JSON})
    assert response.status_code == 200
    assert "signature" not in {k.lower() for k in response.request.headers}
    actor = response.json()
    assert actor["id"] == "https://se.smart.test/actor"
    assert actor["type"] == "Application"


async def test_rel_parameter_filters_links_but_keeps_subject(client, db, settings) -> None:
    await make_member(db, settings, "anna")
    jrd = assert_jrd_answer(await finger(client, "acct:anna@se.smart.test", rel=SELF))
    assert jrd["subject"] == "acct:anna@se.smart.test"
    assert [link["rel"] for link in jrd["links"]] == [SELF]


async def test_refinger_of_preferred_username_at_actor_host_loops_back(
    client, db, settings
) -> None:
    """Mastodon checks the actor's own host: preferredUsername@host must give the same actor."""
    await make_member(db, settings, "anna")
    await make_project(db, settings, "Malmö Opera", coordinator="anna")
    for path in ("/members/anna", "/projects/malmo-opera", "/actor"):
        actor = (await client.get(path, headers={"Accept": AS_JSON})).json()
        host = urlsplit(actor["id"]).netloc
        jrd = assert_jrd_answer(await finger(client, f"acct:{actor['preferredUsername']}@{host}"))
        assert links_by_rel(jrd)[SELF]["href"] == actor["id"]
        again = assert_jrd_answer(await finger(client, jrd["subject"]))
        assert links_by_rel(again)[SELF]["href"] == actor["id"]


@pytest.fixture
async def split_node(settings: Settings, db) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """A node whose handle domain (smart.test) differs from where it is served (se.smart.test)."""
    split = settings.model_copy(update={"domain": "smart.test"})
    application = create_app(split)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=split.base_url) as c:
            yield c, split


async def test_split_domain_handle_and_base_host_both_resolve_to_the_handle(split_node, db) -> None:
    """Mastodon fingers user@actor-host, then re-fingers the subject: both must loop back."""
    client, split = split_node
    await make_member(db, split, "anna")
    for resource in ("acct:anna@se.smart.test", "acct:anna@smart.test"):
        jrd = assert_jrd_answer(await finger(client, resource))
        assert jrd["subject"] == "acct:anna@smart.test"
        assert links_by_rel(jrd)[SELF]["href"] == "https://se.smart.test/members/anna"
    actor = (await client.get("/members/anna", headers={"Accept": AS_JSON})).json()
    assert actor["preferredUsername"] == "anna"
    node = assert_jrd_answer(await finger(client, "https://se.smart.test/"))
    assert node["subject"] == "acct:smart.test@smart.test"
    again = assert_jrd_answer(await finger(client, "acct:smart.test@se.smart.test"))
    assert links_by_rel(again)[SELF]["href"] == "https://se.smart.test/actor"


async def test_host_meta_points_at_webfinger_with_an_lrdd_template(client) -> None:
    response = await client.get("/.well-known/host-meta")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xrd+xml")
    assert response.headers["access-control-allow-origin"] == "*"
    root = ElementTree.fromstring(response.content)
    assert root.tag == "{http://docs.oasis-open.org/ns/xri/xrd-1.0}XRD"
    link = root.find("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link is not None and link.get("rel") == "lrdd"
    template = link.get("template")
    assert template == "https://se.smart.test/.well-known/webfinger?resource={uri}"

    as_json = await client.get("/.well-known/host-meta.json")
    assert as_json.status_code == 200
    assert as_json.headers["access-control-allow-origin"] == "*"
    assert as_json.json()["links"][0] == {
        "rel": "lrdd",
        "type": "application/jrd+json",
        "template": template,
    }


async def test_cache_serves_old_bytes_until_cleared(client, app, db, settings) -> None:
    """A hit never reads the database: a change shows only after documents.clear()."""
    await make_member(db, settings, "anna")
    first = await finger(client, "acct:anna@se.smart.test")
    assert first.status_code == 200
    async with db.session() as s, s.begin():
        await delete_actor(s, ActorKind.MEMBER, "anna", datetime.now(UTC))
    cached = await finger(client, "acct:anna@se.smart.test")
    assert cached.status_code == 200 and cached.content == first.content
    app.state.documents.clear()
    assert (await finger(client, "acct:anna@se.smart.test")).status_code == 410


async def test_unknown_answers_are_not_cached(client, app, db, settings) -> None:
    assert (await finger(client, "acct:bo@se.smart.test")).status_code == 404
    await make_member(db, settings, "bo")
    assert (await finger(client, "acct:bo@se.smart.test")).status_code == 200


async def test_remote_actor_rows_are_never_described(client, db, settings) -> None:
    """A cached remote actor with a username like ours is not one of our accounts."""
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        s.add(
            Actor(
                uri="https://mastodon.test/users/zed",
                local=False,
                kind="remote",
                ap_type="Person",
                username="zed",
                domain="mastodon.test",
                public_key_pem="",
                created_at=now,
                updated_at=now,
            )
        )
    assert (await finger(client, "acct:zed@se.smart.test")).status_code == 404
