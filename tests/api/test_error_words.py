"""API errors in words: which field is wrong and why, never pydantic's `Value error, …` nor a bare
offset, in the one shape `{"error": …, "code": …}` (unknown paths and methods too)."""

from __future__ import annotations

from typing import Any

import pytest

from smartnode.validation_words import field_path, validation_message
from tests.api.test_v1_auth import admin_headers, count_actors
from tests.conftest import make_member, make_project
from tests.content import member_headers

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"username": "anna",, "name": "Anna"}', "body is not valid JSON (line 1, column 21)"),
        (b'{"username": "anna",\n "name": Anna}', "body is not valid JSON (line 2, column 10)"),
        (b'{"username": "anna", "name": "Anna', "body is not valid JSON (line 1, column 30)"),
    ],
)
async def test_malformed_json_is_400_with_line_and_column(client, db, body, error) -> None:
    response = await client.post(
        "/api/smart/v1/members", content=body, headers={**await admin_headers(db), **JSON}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert response.json()["error"].startswith(f"{error}: ")
    assert await count_actors(db, "member") == 0


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"username": "anna", "name": ""}, "name: must not be empty"),
        ({"name": "Anna"}, "username: is required"),
        (
            {"username": "anna", "name": "A", "colour": "red"},
            "colour: is not a field of this request",
        ),
        (
            {"username": "anna", "name": "A", "skills": [f"s{i}" for i in range(51)]},
            "skills: must have at most 50 items (51 given)",
        ),
        (
            {"username": "anna", "name": "A", "links": [{"name": "x", "url": "not a url"}]},
            "links[0].url: must be a valid URL",
        ),
        ({"username": "anna", "name": 5}, "name: must be a valid string"),
    ],
)  # fmt: skip
async def test_invalid_fields_are_named_with_what_is_wrong(client, db, body, error) -> None:
    response = await client.post(
        "/api/smart/v1/members", json=body, headers=await admin_headers(db)
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert response.json()["error"].startswith(error), response.json()["error"]
    assert "Value error" not in response.json()["error"]


async def test_a_check_across_fields_names_its_field_without_pydantic_words(
    client, db, settings
) -> None:
    anna = await make_member(db, settings, "anna")
    await make_project(db, settings, "opera", coordinator="anna")
    call = {"title": "Sound", "description": "Mix it", "remote": False}
    response = await client.post(
        "/api/smart/v1/actors/opera/calls", json=call, headers=await member_headers(db, anna)
    )
    assert response.status_code == 422
    assert response.json()["error"] == "place: give a place (country, city) or set remote to true"


async def test_an_edit_that_breaks_a_check_across_fields_says_so_in_words(
    client, db, settings
) -> None:
    anna = await make_member(db, settings, "anna")
    await make_project(db, settings, "opera", coordinator="anna")
    headers = await member_headers(db, anna)
    call = {"title": "Sound", "description": "Mix it", "place": {"country": "SE"}}
    created = await client.post("/api/smart/v1/actors/opera/calls", json=call, headers=headers)
    assert created.status_code == 201, created.text
    response = await client.patch(
        f"/api/smart/v1/calls/{created.json()['id']}", json={"place": None}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["error"] == "place: give a place (country, city) or set remote to true"


async def test_a_missing_body_and_a_body_that_is_not_json_are_said_so(client, db) -> None:
    admin = await admin_headers(db)
    missing = await client.post("/api/smart/v1/members", headers=admin)
    assert missing.status_code == 422
    assert missing.json()["error"] == "the request has no JSON body"
    text = await client.post(
        "/api/smart/v1/members",
        content=b"name=anna",
        headers={**admin, "Content-Type": "text/plain"},
    )
    assert text.status_code == 422
    assert text.json()["error"] == "the body must be a JSON object sent as application/json"


async def test_query_parameters_are_named(client) -> None:
    response = await client.get("/api/smart/v1/members", params={"limit": "many"})
    assert response.status_code == 422
    assert (
        response.json()["error"]
        == "limit: must be a valid integer, unable to parse string as an integer"
    )


async def test_unknown_paths_and_methods_answer_in_the_same_shape(client) -> None:
    missing = await client.get("/api/smart/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {"error": "not found", "code": "not_found"}
    wrong = await client.delete("/api/smart/v1/skills")  # GET only
    assert wrong.status_code == 405
    assert wrong.json() == {"error": "method not allowed", "code": "method_not_allowed"}
    assert "GET" in wrong.headers["allow"]


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("body", "skills", 2, "uri"), "skills[2].uri"),
        (("body", "place", "country"), "place.country"),
        (("body", "starts_on", "function-after[_moment(), datetime]"), "starts_on"),
        (("body", "content_map", "xx", "[key]"), "content_map.xx"),
        (("body", "value", "str"), "value"),
        (("query", "after"), "after"),
        (("body",), ""),
    ],
)
def test_field_paths_read_as_people_write_them(loc: tuple[Any, ...], path: str) -> None:
    assert field_path(loc) == path


def test_many_problems_are_capped() -> None:
    errors = [
        {"type": "missing", "loc": ("body", f"f{i}"), "msg": "Field required"} for i in range(15)
    ]
    message = validation_message(errors)
    assert message.count("is required") == 10 and message.endswith("(and 5 more)")
