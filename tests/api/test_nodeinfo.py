"""NodeInfo contract (PROTOCOL.md "Discovery", FEP-f1d5): discovery document and NodeInfo 2.1."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from smartnode import __version__
from smartnode.actors.members import delete_actor
from smartnode.federation.nodeinfo import Software, Usage, nodeinfo_document
from smartnode.federation.uris import ActorKind
from smartnode.storage.models import Actor
from tests.conftest import make_member, make_project

SCHEMA_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"


async def test_well_known_nodeinfo_links_to_the_21_document(client) -> None:
    response = await client.get("/.well-known/nodeinfo")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json() == {
        "links": [{"rel": SCHEMA_21, "href": "https://se.smart.test/nodeinfo/2.1"}]
    }


async def test_nodeinfo_21_document_describes_the_node(client, settings) -> None:
    response = await client.get("/nodeinfo/2.1")
    assert response.status_code == 200
    assert response.headers["content-type"] == f'application/json; profile="{SCHEMA_21}#"'
    assert response.headers["access-control-allow-origin"] == "*"
    doc = response.json()
    assert doc["version"] == "2.1"
    assert doc["software"]["name"] == "smartnode"
    assert re.fullmatch(r"[a-z0-9-]+", doc["software"]["name"])
    assert doc["software"]["version"] == __version__
    assert doc["protocols"] == ["activitypub"]
    assert doc["services"] == {"inbound": [], "outbound": []}
    assert doc["openRegistrations"] is False
    assert doc["usage"]["localPosts"] == 0
    assert doc["metadata"] == {
        "nodeName": "Smart Sverige",
        "nodeDescription": settings.node_description,
        "country": "SE",
    }


async def test_usage_counts_live_members_only(client, app, db, settings) -> None:
    """Projects, the node actor, deleted members and remote actors are not users."""
    await make_member(db, settings, "anna")
    await make_member(db, settings, "bo")
    await make_member(db, settings, "cleo")
    await make_member(db, settings, "dan")
    await make_project(db, settings, "Malmö Opera", coordinator="anna")
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        await delete_actor(s, ActorKind.MEMBER, "dan", now)
        await s.execute(  # bo last changed their profile 3 months ago, cleo a year ago
            update(Actor).where(Actor.username == "bo").values(updated_at=now - timedelta(90))
        )
        await s.execute(
            update(Actor).where(Actor.username == "cleo").values(updated_at=now - timedelta(365))
        )
    app.state.documents.clear()
    users = (await client.get("/nodeinfo/2.1")).json()["usage"]["users"]
    assert users == {"total": 3, "activeMonth": 1, "activeHalfyear": 2}


async def test_nodeinfo_is_cached_until_cleared(client, app, db, settings) -> None:
    before = (await client.get("/nodeinfo/2.1")).json()["usage"]["users"]["total"]
    await make_member(db, settings, "anna")
    assert (await client.get("/nodeinfo/2.1")).json()["usage"]["users"]["total"] == before
    app.state.documents.clear()
    assert (await client.get("/nodeinfo/2.1")).json()["usage"]["users"]["total"] == before + 1


def test_repository_and_homepage_are_published_when_known() -> None:
    doc = nodeinfo_document(
        Software("1.2.3", repository="https://example.org/smartnode.git", homepage=None),
        Usage(5, 2, 3),
        node_name="n",
        node_description="d",
        country="BE",
    )
    assert doc["software"] == {
        "name": "smartnode",
        "version": "1.2.3",
        "repository": "https://example.org/smartnode.git",
    }
    assert doc["usage"]["users"] == {"total": 5, "activeMonth": 2, "activeHalfyear": 3}
