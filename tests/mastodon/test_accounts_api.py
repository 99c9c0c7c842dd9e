"""/api/v1/accounts/…: the member's own account, any account by id or acct, relationships,
and the Mastodon error shapes and scopes around them."""

from __future__ import annotations

from sqlalchemy import select

from smartnode.storage.models import Activity, Actor
from tests.content import add_follower, make_post
from tests.mastodon import RELATIONSHIP, assert_account, assert_shape, bearer
from tests.mastodon.conftest import ALICE


async def test_verify_credentials_is_the_members_account_with_its_source(
    api, db, settings, anna
) -> None:
    headers = await bearer(db, anna, "read:accounts")
    response = await api.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert response.status_code == 200, response.text
    me = response.json()
    assert_account(me)
    assert (me["id"], me["username"], me["acct"]) == (str(anna.id), "anna", "anna")
    assert me["display_name"] == "Anna Lindqvist" and me["url"] == anna.uri
    assert me["created_at"].endswith("T00:00:00.000Z")
    assert me["avatar"].startswith(settings.base_url)
    assert me["source"] == {
        "privacy": "public", "sensitive": False, "language": "sv", "note": "", "fields": [],
        "follow_requests_count": 0, "hide_collections": False, "discoverable": False,
        "indexable": False, "attribution_domains": [],
    }  # fmt: skip
    assert me["role"]["permissions"] == "0"


async def test_without_a_token_or_with_a_bad_one_it_is_401_in_mastodons_words(api) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        response = await api.get("/api/v1/accounts/verify_credentials", headers=headers)
        assert response.status_code == 401, headers
        assert response.json() == {"error": "The access token is invalid"}
        assert response.headers["www-authenticate"].startswith("Bearer")
    # a bad token is refused even where no token is needed, as Mastodon does
    response = await api.get("/api/v1/timelines/public", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401


async def test_a_token_without_the_scope_is_403_in_mastodons_words(api, db, anna) -> None:
    headers = await bearer(db, anna, "write:statuses")
    response = await api.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}
    assert (await api.get(f"/api/v1/accounts/{anna.id}", headers=headers)).status_code == 403


async def test_unknown_routes_and_records_answer_record_not_found(api) -> None:
    for path in ("/api/v1/nothing/here", "/api/v2/nothing", "/api/v1/accounts/99999",
                 "/api/v1/accounts/abc", "/api/v1/statuses/12345"):  # fmt: skip
        response = await api.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"error": "Record not found"}, path


async def test_update_credentials_changes_the_profile_and_tells_the_followers(
    api, db, anna
) -> None:
    await add_follower(db, anna, ALICE, shared_inbox="https://mastodon.example/inbox")
    headers = await bearer(db, anna, "read write")
    response = await api.patch(
        "/api/v1/accounts/update_credentials", headers=headers,
        data={"display_name": "Anna L.", "note": "Cellist <b>in</b> Malmö",
              "fields_attributes[0][name]": "Site",
              "fields_attributes[0][value]": "https://anna.example/"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["display_name"] == "Anna L."
    assert me["note"] == "<p>Cellist &lt;b&gt;in&lt;/b&gt; Malmö</p>"
    assert me["source"]["note"] == "Cellist <b>in</b> Malmö"
    assert me["fields"][-1]["name"] == "Site" and "anna.example" in me["fields"][-1]["value"]
    assert me["source"]["fields"][-1]["value"] == "anna.example"
    async with db.session() as s:
        row = await s.get(Actor, anna.id)
        updates = await s.scalars(select(Activity).where(Activity.activity_type == "Update"))
        assert row is not None and row.name == "Anna L."
        assert len(updates.all()) == 1


async def test_update_credentials_refuses_a_field_that_is_no_link(api, db, anna) -> None:
    headers = await bearer(db, anna, "write:accounts")
    response = await api.patch(
        "/api/v1/accounts/update_credentials", headers=headers,
        json={"fields_attributes": [{"name": "Pronouns", "value": "she/her"}]},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["error"].startswith("Validation failed: fields_attributes")
    assert set(response.json()) == {"error"}
    read_only = await bearer(db, anna, "read")
    response = await api.patch("/api/v1/accounts/update_credentials", headers=read_only,
                               json={"display_name": "X"})  # fmt: skip
    assert response.status_code == 403


async def test_accounts_by_id_and_lookup_local_and_remote(api, db, anna) -> None:
    alice = await add_follower(db, anna, ALICE)
    local = (await api.get(f"/api/v1/accounts/{anna.id}")).json()
    assert_account(local)
    assert local["acct"] == "anna" and local["followers_count"] == 1
    assert local["noindex"] is True
    remote = (await api.get(f"/api/v1/accounts/{alice.id}")).json()
    assert_account(remote)
    assert remote["acct"] == "alice@mastodon.example" and remote["following_count"] == 1
    assert "noindex" not in remote
    found = await api.get("/api/v1/accounts/lookup", params={"acct": "alice@mastodon.example"})
    assert found.json()["id"] == str(alice.id)
    assert (await api.get("/api/v1/accounts/lookup", params={"acct": "@anna"})).json()["id"] == str(
        anna.id
    )
    missing = await api.get("/api/v1/accounts/lookup", params={"acct": "nobody"})
    assert missing.status_code == 404 and missing.json() == {"error": "Record not found"}


async def test_followers_and_following_are_paged_with_a_link_header(
    api, db, settings, anna, bo
) -> None:
    alice = await add_follower(db, anna, ALICE)
    headers = await bearer(db, bo, "read write follow")
    assert (
        await api.post(f"/api/v1/accounts/{anna.id}/follow", headers=headers)
    ).status_code == 200
    first = await api.get(f"/api/v1/accounts/{anna.id}/followers", params={"limit": 1})
    assert [a["id"] for a in first.json()] == [str(bo.id)]
    link = first.headers["link"]
    assert link.startswith(f"<{settings.base_url}/api/v1/accounts/{anna.id}/followers?limit=1")
    assert 'rel="next"' in link and 'rel="prev"' in link
    next_url = link.split(";")[0].strip("<>")
    second = await api.get(next_url.removeprefix(settings.base_url))
    assert [a["id"] for a in second.json()] == [str(alice.id)]
    following = await api.get(f"/api/v1/accounts/{bo.id}/following")
    assert [a["acct"] for a in following.json()] == ["anna"]


async def test_follow_unfollow_and_relationships(api, db, anna, bo) -> None:
    headers = await bearer(db, bo, "read write")
    followed = await api.post(f"/api/v1/accounts/{anna.id}/follow", headers=headers)
    assert followed.status_code == 200, followed.text
    assert_shape(followed.json(), RELATIONSHIP)
    assert followed.json()["following"] is True
    asked = [("id[]", str(anna.id)), ("id[]", "424242")]
    both = await api.get("/api/v1/accounts/relationships", params=asked, headers=headers)
    assert [(r["id"], r["following"]) for r in both.json()] == [(str(anna.id), True)]
    seen_by_anna = await api.get(
        "/api/v1/accounts/relationships", params={"id[]": bo.id},
        headers=await bearer(db, anna, "read:follows"),
    )  # fmt: skip
    assert seen_by_anna.json()[0]["followed_by"] is True
    undone = await api.post(f"/api/v1/accounts/{anna.id}/unfollow", headers=headers)
    assert undone.json()["following"] is False
    again = await api.post(f"/api/v1/accounts/{anna.id}/unfollow", headers=headers)
    assert again.status_code == 200 and again.json()["following"] is False


async def test_following_a_remote_account_is_requested_until_it_accepts(api, db, anna) -> None:
    alice = await add_follower(db, anna, ALICE)
    headers = await bearer(db, anna, "follow")
    response = await api.post(f"/api/v1/accounts/{alice.id}/follow", headers=headers)
    assert response.status_code == 200, response.text
    assert (response.json()["following"], response.json()["requested"]) == (False, True)
    async with db.session() as s:
        sent = (await s.scalars(select(Activity).where(Activity.activity_type == "Follow"))).all()
    assert len(sent) == 1


async def test_follow_requests_are_listed_authorized_and_rejected(
    api, db, settings, anna, bo
) -> None:
    async with db.session() as s, s.begin():
        row = await s.get(Actor, anna.id)
        assert row is not None
        row.manually_approves_followers = True
    carl_headers = await bearer(db, bo, "write:follows")
    asked = await api.post(f"/api/v1/accounts/{anna.id}/follow", headers=carl_headers)
    assert asked.json()["requested"] is True
    headers = await bearer(db, anna, "read write")
    listed = await api.get("/api/v1/follow_requests", headers=headers)
    assert [a["id"] for a in listed.json()] == [str(bo.id)]
    me = (await api.get("/api/v1/accounts/verify_credentials", headers=headers)).json()
    assert me["locked"] is True and me["source"]["follow_requests_count"] == 1
    accepted = await api.post(f"/api/v1/follow_requests/{bo.id}/authorize", headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["followed_by"] is True
    assert (await api.get("/api/v1/follow_requests", headers=headers)).json() == []
    unknown = await api.post(f"/api/v1/follow_requests/{bo.id}/reject", headers=headers)
    assert unknown.status_code == 404 and set(unknown.json()) == {"error"}


async def test_an_accounts_statuses_with_mastodons_filters(api, db, settings, anna, bo) -> None:
    first = await make_post(db, settings, anna, content="Hej #jazz")
    reply = await make_post(db, settings, anna, content="Svar", in_reply_to=first.uri)
    await make_post(db, settings, anna, content="Till Bo", visibility="direct", mentions=[bo.uri])
    path = f"/api/v1/accounts/{anna.id}/statuses"
    everything = (await api.get(path, headers=await bearer(db, bo, "read"))).json()
    assert [s["id"] for s in everything] == [str(reply.id), str(first.id)]  # no direct ones
    no_replies = (await api.get(path, params={"exclude_replies": "true"})).json()
    assert [s["id"] for s in no_replies] == [str(first.id)]
    tagged = (await api.get(path, params={"tagged": "Jazz"})).json()
    assert [s["id"] for s in tagged] == [str(first.id)]
    assert (await api.get(path, params={"pinned": "true"})).json() == []
    assert (await api.get(path, params={"only_media": "true"})).json() == []
