"""/api/v1/statuses: post (stored, queued for the followers), read, thread, delete; scopes,
Idempotency-Key; our calls and events as a Mastodon server shows them, and a direct reply to a
call from an app applies to it as a remote reply does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from smartnode.storage.models import Activity, ContentObject
from smartnode.storage.models_work import Application
from tests.accounts.test_oauth_grants import grant
from tests.accounts.test_oauth_support import browse_as, register, signed_in_member
from tests.conftest import make_project
from tests.content import activities, add_follower, fan_out, objects
from tests.mastodon import assert_status, bearer
from tests.mastodon.conftest import ALICE


async def post(api, headers: dict, **body) -> dict:
    response = await api.post("/api/v1/statuses", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_posted_status_is_stored_and_queued_for_the_followers(
    api, db, settings, anna
) -> None:
    await add_follower(db, anna, ALICE, shared_inbox="https://mastodon.example/inbox")
    headers = await bearer(db, anna, "write:statuses read:statuses")
    out = await post(api, headers, status="Hej #jazz @bo!", language="sv", visibility="public",
                     spoiler_text="konsert")  # fmt: skip
    assert_status(out, viewer=True)
    [row] = await objects(db)
    assert out["id"] == str(row.id) and out["uri"] == row.uri and out["visibility"] == "public"
    assert (out["spoiler_text"], out["sensitive"], out["language"]) == ("konsert", True, "sv")
    assert out["tags"] == [{"name": "jazz", "url": f"{settings.base_url}/tags/jazz"}]
    assert out["mentions"] == [] and "@bo!" in out["content"]  # no such account: plain text
    assert out["account"]["acct"] == "anna" and out["pinned"] is False
    assert row.summary == "konsert" and row.sensitive is True
    [create] = await activities(db, "Create")
    assert create.document["object"]["summary"] == "konsert"
    assert await fan_out(db, settings, create) == ["https://mastodon.example/inbox"]


async def test_mentions_in_the_text_are_linked_and_addressed(api, db, anna, bo) -> None:
    headers = await bearer(db, anna, "write")
    out = await post(api, headers, status="Till @bo och @alice@mastodon.example",
                     visibility="direct")  # fmt: skip
    assert out["visibility"] == "direct"
    assert sorted(m["acct"] for m in out["mentions"]) == ["alice@mastodon.example", "bo"]
    [row] = await objects(db)
    assert sorted(row.audience["to"]) == sorted([ALICE, bo.uri])


async def test_a_read_token_cannot_post_and_no_token_is_401(api, db, anna) -> None:
    read_only = await bearer(db, anna, "read")
    response = await api.post("/api/v1/statuses", json={"status": "x"}, headers=read_only)
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}
    response = await api.post("/api/v1/statuses", json={"status": "x"})
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}
    assert await objects(db) == []


async def test_bad_statuses_are_422_and_store_nothing(api, db, anna) -> None:
    headers = await bearer(db, anna, "write")
    bad = ({"status": "  "}, {"status": "x", "visibility": "team"},
           {"status": "x", "language": "klingon"})  # fmt: skip
    for body in bad:
        response = await api.post("/api/v1/statuses", json=body, headers=headers)
        assert response.status_code == 422, body
        assert set(response.json()) == {"error"}
        assert response.json()["error"].startswith("Validation failed"), body
    body = {"status": "x", "media_ids": ["1"]}  # Mastodon's words (no "Validation failed")
    response = await api.post("/api/v1/statuses", json=body, headers=headers)
    assert response.status_code == 422
    assert response.json() == {"error": "Media 1 not found or already attached to another post"}
    assert await objects(db) == []


async def test_the_same_idempotency_key_gives_back_the_same_status(api, db, anna) -> None:
    headers = {**await bearer(db, anna, "write"), "Idempotency-Key": "abc-1"}
    first = await post(api, headers, status="Once")
    again = await post(api, headers, status="Once")
    other = await post(api, {**headers, "Idempotency-Key": "abc-2"}, status="Once")
    assert first["id"] == again["id"] != other["id"]
    assert len(await objects(db)) == 2
    async with db.session() as s, s.begin():
        row = await s.get(ContentObject, int(first["id"]))
        assert row is not None
        row.published_at -= timedelta(days=2)  # a key is remembered for a day
    later = await post(api, headers, status="Once")
    assert later["id"] not in (first["id"], other["id"])


async def test_get_a_status_its_context_and_who_may_read_it(api, db, anna, bo) -> None:
    headers = await bearer(db, anna, "read write")
    root = await post(api, headers, status="Root")
    reply = await post(api, headers, status="Reply", in_reply_to_id=root["id"])
    assert (reply["in_reply_to_id"], reply["in_reply_to_account_id"]) == (root["id"], str(anna.id))
    private = await post(api, headers, status="Only followers", visibility="private")
    assert private["visibility"] == "private"
    anonymous = await api.get(f"/api/v1/statuses/{root['id']}")
    assert anonymous.status_code == 200
    assert_status(anonymous.json())
    assert "favourited" not in anonymous.json()
    assert (await api.get(f"/api/v1/statuses/{private['id']}")).status_code == 404
    bo_reads = await api.get(f"/api/v1/statuses/{private['id']}",
                             headers=await bearer(db, bo, "read"))  # fmt: skip
    assert bo_reads.status_code == 404
    own = await api.get(f"/api/v1/statuses/{private['id']}", headers=headers)
    assert own.status_code == 200
    context = (await api.get(f"/api/v1/statuses/{reply['id']}/context")).json()
    assert [s["id"] for s in context["ancestors"]] == [root["id"]] and context["descendants"] == []
    down = (await api.get(f"/api/v1/statuses/{root['id']}/context")).json()
    assert [s["id"] for s in down["descendants"]] == [reply["id"]]


async def test_delete_answers_the_status_with_its_text_and_sends_delete(api, db, anna, bo) -> None:
    headers = await bearer(db, anna, "write:statuses")
    out = await post(api, headers, status="Oops")
    theirs = await api.delete(f"/api/v1/statuses/{out['id']}", headers=await bearer(db, bo))
    assert theirs.status_code in (403, 404) and set(theirs.json()) == {"error"}
    gone = await api.delete(f"/api/v1/statuses/{out['id']}", headers=headers)
    assert gone.status_code == 200, gone.text
    assert gone.json()["id"] == out["id"] and gone.json()["text"] == "Oops"
    assert len(await activities(db, "Delete")) == 1
    assert (await api.get(f"/api/v1/statuses/{out['id']}")).status_code == 404


async def publish_call(api, db, project, anna) -> dict:
    member = await bearer(db, anna)
    response = await api.post(
        f"/api/smart/v1/actors/{project.username}/calls", headers=member,
        json={"title": "Drummer for Jazz", "description": "We need a drummer.", "remote": True},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    async with db.session() as s:
        call = await s.scalar(select(ContentObject).where(ContentObject.kind == "call"))
    assert call is not None
    return {"id": call.id, "uri": call.uri, "content": call.content}


async def test_an_open_call_is_a_status_with_the_apply_line(api, db, settings, anna) -> None:
    jazz = await make_project(db, settings, "Jazz", "anna")
    call = await publish_call(api, db, jazz, anna)
    out = (await api.get(f"/api/v1/statuses/{call['id']}")).json()
    assert_status(out)
    assert out["content"] == call["content"] and "To apply from Mastodon" in out["content"]
    assert out["account"]["acct"] == "jazz" and out["account"]["group"] is True
    assert out["spoiler_text"] == "" and out["uri"] == call["uri"]


async def test_an_event_is_shown_as_mastodon_shows_a_converted_event(
    api, db, settings, anna
) -> None:
    soon = datetime.now(UTC) + timedelta(days=9)
    response = await api.post(
        "/api/smart/v1/actors/anna/events", headers=await bearer(db, anna),
        json={"name": "Jazzkväll", "content": "Kom!", "starts_at": soon.isoformat(),
              "timezone": "Europe/Stockholm", "place": {"name": "Malmö Opera",
                                                        "country": "SE", "locality": "Malmö"}},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    async with db.session() as s:
        event = await s.scalar(select(ContentObject).where(ContentObject.kind == "event"))
    assert event is not None and event.summary
    out = (await api.get(f"/api/v1/statuses/{event.id}")).json()
    assert out["content"] == (
        f"<p><strong>Jazzkväll</strong></p>{event.summary}"
        f'<p><a href="{event.url}">{event.url}</a></p>'
    )


async def test_a_direct_reply_to_a_call_from_an_app_is_an_application(
    api, db, settings, anna, bo
) -> None:
    jazz = await make_project(db, settings, "Jazz", "anna")
    call = await publish_call(api, db, jazz, anna)
    headers = await bearer(db, bo, "read write")
    out = await post(api, headers, status=f"@jazz@{settings.domain} I play the drums!",
                     visibility="direct", in_reply_to_id=str(call["id"]))  # fmt: skip
    assert out["in_reply_to_id"] == str(call["id"])
    assert [m["acct"] for m in out["mentions"]] == ["jazz"]
    async with db.session() as s:
        [app] = (await s.scalars(select(Application))).all()
        reply = await s.get(ContentObject, int(out["id"]))
    assert reply is not None
    assert (app.uri, app.applicant_id, app.project_id, app.via, app.state) == (
        reply.uri,
        bo.id,
        jazz.id,
        "reply",
        "pending",
    )
    assert "I play the drums!" in app.motivation
    # a public reply is only a reply
    await post(api, await bearer(db, anna, "write"), status="Nice call",
               in_reply_to_id=str(call["id"]))  # fmt: skip
    async with db.session() as s:
        assert len((await s.scalars(select(Application))).all()) == 1
        creates = await s.scalars(select(Activity).where(Activity.activity_type == "Create"))
        assert len(creates.all()) >= 3


async def test_an_oauth_app_granted_read_reads_but_cannot_post(api, db, settings) -> None:
    cleo = await signed_in_member(db, settings, "cleo")
    app = await register(api)
    token = await grant(api, cleo, app, "read")
    browse_as(api, None)
    headers = {"Authorization": f"Bearer {token}"}
    me = await api.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert me.status_code == 200 and me.json()["acct"] == "cleo"
    assert (await api.get("/api/v1/timelines/home", headers=headers)).status_code == 200
    refused = await api.post("/api/v1/statuses", json={"status": "Hi"}, headers=headers)
    assert refused.status_code == 403
    assert refused.json() == {"error": "This action is outside the authorized scopes"}
    assert await objects(db) == []
