"""GET /api/smart/v1/search on the wire: results, facets, filters, privacy, clear 422s."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_v1_auth import admin_headers
from tests.conftest import make_member
from tests.content import make_post
from tests.matching.search_arrange import (
    COMPOSE,
    LIVE_SOUND,
    call_row,
    project,
    publish_event,
    seven_members,
)


async def get(client: Any, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/smart/v1/search", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return dict(response.json())


async def test_a_french_query_finds_the_swedish_composer_with_facets(client, db, settings) -> None:
    members = await seven_members(db, settings)
    body = await get(client, q="composer de la musique", lang="fr")
    first = body["items"][0]
    assert first["uri"] == members["sv"].uri and first["kind"] == "member"
    assert first["title"] == "Astrid Ljung" and first["language"] == "sv"
    assert COMPOSE in first["skills"] and first["local"] is True
    skills = {f["value"]: f for f in body["facets"]["skill"]}
    assert skills[COMPOSE]["label"] == "composer de la musique"
    assert set(body["facets"]) == {"kind", "country", "remote", "language", "skill"}
    assert body["next"] is None and body["total"] == len(body["items"])


async def test_filters_and_the_accept_language_header(client, db, settings) -> None:
    members = await seven_members(db, settings)
    opera = await project(db, settings, "Malmö Opera", "astrid")
    call = await call_row(db, opera, {"country": "SE", "skills": [{"uri": COMPOSE}],
                                      "starts_on": "2027-03-01", "ends_on": "2027-03-31"},
                          name="Kompositör till Carmen", token="c1")  # fmt: skip
    response = await client.get(
        "/api/smart/v1/search", params={"skill": [COMPOSE, LIVE_SOUND], "kind": "member"},
        headers={"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"},
    )  # fmt: skip
    body = response.json()
    assert {i["uri"] for i in body["items"]} == {members["sv"].uri, members["nl"].uri}
    assert {f["value"]: f["label"] for f in body["facets"]["skill"]}[COMPOSE] == "komponera musik"
    body = await get(client, q="kompositör", kind=["call", "project"], country="se")
    assert [i["uri"] for i in body["items"]] == [call.uri]
    assert (await get(client, kind="call", **{"from": "2027-03-30", "to": "2027-06-01"}))[
        "total"
    ] == 1
    assert (await get(client, kind="call", **{"from": "2027-04-01"}))["total"] == 0
    assert (await get(client, q="opera", kind="project", origin="local"))["items"][0][
        "uri"
    ] == opera.uri
    assert (await get(client, q="opera", origin="remote"))["items"] == []
    page = await get(client, limit=5)
    rest = await get(client, limit=5, after=page["next"])
    assert page["total"] == 9 and len(page["items"]) == 5 and len(rest["items"]) == 4


async def test_members_who_opt_out_leave_the_results(client, db, settings) -> None:
    members = await seven_members(db, settings)
    assert [i["uri"] for i in (await get(client, q="ritrattista"))["items"]] == [members["it"].uri]
    admin = await admin_headers(db)
    response = await client.patch(
        "/api/smart/v1/members/giulia", json={"indexable": False}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert (await get(client, q="ritrattista"))["items"] == []
    assert "IT" not in {f["value"] for f in (await get(client))["facets"]["country"]}
    response = await client.delete("/api/smart/v1/members/camille", headers=admin)
    assert response.status_code in (200, 202, 204), response.text
    assert (await get(client, q="chorégraphe"))["items"] == []


@pytest.mark.parametrize(
    ("params", "mentions"),
    [
        ({"q": "x" * 201}, "q"),
        ({"limit": 0}, "limit"),
        ({"limit": 51}, "limit"),
        ({"kind": "robot"}, "kind"),
        ({"country": "SWE"}, "country"),
        ({"language": "EN!"}, "language"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2027-02-01", "to": "2027-01-01"}, "from"),
        ({"after": "x"}, "after"),
        ({"after": "123456789"}, "after"),
        ({"origin": "mars"}, "origin"),
        ({"remote": "perhaps"}, "remote"),
    ],
)  # fmt: skip
async def test_bad_input_is_a_clear_422(client, db, params, mentions: str) -> None:
    response = await client.get("/api/smart/v1/search", params=params)
    assert response.status_code == 422, response.text
    assert mentions in response.json()["error"]
    assert response.json()["code"] == "validation_failed"


async def test_hostile_queries_answer_200_or_422(client, db, settings) -> None:
    await seven_members(db, settings)
    for q in ['"', "NEAR(", "*", "-", "a AND OR NOT b", "'; DROP TABLE actors; --", "a:*",
              "<script>", "((", "\\", "%_", "tekniker*", "title:x", "x" * 200]:  # fmt: skip
        response = await client.get("/api/smart/v1/search", params={"q": q})
        assert response.status_code == 200, (q, response.text)
        assert isinstance(response.json()["items"], list)
    assert (await client.get("/api/smart/v1/search", params={"q": "\x00"})).status_code in (
        200,
        422,
    )
    assert len((await get(client))["items"]) == 7


async def test_events_and_posts_by_kind_and_an_events_dates(client, db, settings) -> None:
    anna = await make_member(db, settings, "anna", language="sv", indexable=True)
    post = await make_post(db, settings, anna, content="Zorblax på turné i vår.")
    event = await publish_event(db, settings, anna, content="Zorblax spelar på nyårsnatten.")
    body = await get(client, q="zorblax")
    assert {(i["uri"], i["kind"]) for i in body["items"]} == {(post.uri, "post"),
                                                             (event.uri, "event")}  # fmt: skip
    assert {f["value"]: f["count"] for f in body["facets"]["kind"]} == {"event": 1, "post": 1}
    assert [i["uri"] for i in (await get(client, q="zorblax", kind="post"))["items"]] == [post.uri]
    [item] = (await get(client, kind="event", **{"from": "2031-01-01", "to": "2031-01-01"}))[
        "items"
    ]
    assert (item["uri"], item["title"], item["country"]) == (event.uri, "Nyårsjazz", "SE")
    assert (await get(client, kind=["event", "post"], country="se"))["total"] == 1
    assert (await get(client, kind="event", **{"from": "2031-01-02"}))["items"] == []
