"""/api/v2/search and /api/v1/accounts/search: accounts (members who opted in, exact handles,
remote actors resolved by WebFinger or their URL and stored), public statuses by their words
and any the reader may read by their URL, hashtags of public statuses; scopes, and Mastodon's
401 for resolve or offset without a token."""

from __future__ import annotations

from sqlalchemy import select

from smartnode.storage.models import Actor, ContentObject
from tests.conftest import make_member, make_project
from tests.content import add_follower, make_post, remote_note
from tests.mastodon import assert_account, assert_status, bearer
from tests.mastodon.conftest import ALICE
from tests.mastodon.test_statuses_api import publish_call
from tests.matching.search_arrange import publish_event

URL = "/api/v2/search"
ZOE = "https://remote.example/users/zoe"
YAN = "https://remote.example/users/yan"


async def _stored(db, uri: str) -> Actor | None:
    async with db.session() as s:
        return await s.scalar(select(Actor).where(Actor.uri == uri))


async def test_accounts_opted_in_by_name_and_anyone_by_exact_handle(api, db, settings) -> None:
    await make_member(db, settings, "anna", name="Anna Lindqvist", discoverable=True,
                      indexable=True)  # fmt: skip
    bo = await make_member(db, settings, "bo", name="Bo Lindqvist")  # not searchable
    alice = await add_follower(db, bo, ALICE)
    found = await api.get(URL, params={"q": "Lindqvist", "type": "accounts"})
    assert found.status_code == 200, found.text
    assert set(found.json()) == {"accounts", "statuses", "hashtags"}
    assert [a["acct"] for a in found.json()["accounts"]] == ["anna"]
    assert_account(found.json()["accounts"][0])
    exact = (await api.get(URL, params={"q": "@bo"})).json()["accounts"]
    assert [a["id"] for a in exact] == [str(bo.id)]
    remote = await api.get("/api/v1/accounts/search", params={"q": "@alice@mastodon.example"})
    assert remote.status_code == 200
    assert [a["id"] for a in remote.json()] == [str(alice.id)]
    none = await api.get("/api/v1/accounts/search", params={"q": "@zoe@remote.example"})
    assert none.json() == []


async def test_resolve_with_a_token_fingers_and_stores_the_actor(api, db, world, anna) -> None:
    world.actor(ZOE, name="Zoe Remote", preferredUsername="zoe")
    world.actor(YAN, name="Yan Remote", preferredUsername="yan")
    headers = await bearer(db, anna, "read:search")
    unresolved = await api.get(URL, params={"q": "@zoe@remote.example"}, headers=headers)
    assert unresolved.json()["accounts"] == [] and await _stored(db, ZOE) is None
    anonymous = await api.get(URL, params={"q": "@zoe@remote.example", "resolve": "true"})
    assert anonymous.status_code == 401 and set(anonymous.json()) == {"error"}
    assert await _stored(db, ZOE) is None
    resolved = await api.get(URL, params={"q": "@zoe@remote.example", "resolve": "true"},
                             headers=headers)  # fmt: skip
    assert resolved.status_code == 200, resolved.text
    [zoe] = resolved.json()["accounts"]
    assert_account(zoe)
    stored = await _stored(db, ZOE)
    assert stored is not None and zoe["id"] == str(stored.id)
    assert (zoe["acct"], zoe["display_name"], stored.name) == (
        "zoe@remote.example", "Zoe Remote", "Zoe Remote")  # fmt: skip
    by_url = await api.get("/api/v1/accounts/search", params={"q": YAN, "resolve": "true"},
                           headers=headers)  # fmt: skip
    [yan] = by_url.json()
    stored_yan = await _stored(db, YAN)
    assert stored_yan is not None and yan["id"] == str(stored_yan.id)
    nobody = await api.get(URL, params={"q": "@nobody@remote.example", "resolve": "true"},
                           headers=headers)  # fmt: skip
    assert nobody.status_code == 200 and nobody.json()["accounts"] == []


async def test_statuses_the_reader_may_read_and_calls_from_the_index(
    api, db, settings, anna, bo
) -> None:
    public = await make_post(db, settings, anna, content="Kom på jazzkväll i Malmö")
    hidden = await make_post(db, settings, anna, content="Hemlig jazzkväll",
                             visibility="followers")  # fmt: skip
    await make_post(db, settings, bo, content="Min jazzkväll")
    found = await api.get(URL, params={"q": "JAZZKVÄLL", "type": "statuses",
                                       "account_id": str(anna.id)})  # fmt: skip
    assert found.status_code == 200, found.text
    statuses = found.json()["statuses"]
    assert [s["id"] for s in statuses] == [str(public.id)]
    assert_status(statuses[0])
    assert found.json()["accounts"] == [] and found.json()["hashtags"] == []
    jazz = await make_project(db, settings, "Jazz", "anna")
    call = await publish_call(api, db, jazz, anna)
    calls = (await api.get(URL, params={"q": "drummer", "type": "statuses"})).json()
    assert [s["id"] for s in calls["statuses"]] == [str(call["id"])]
    two = await api.get(URL, params={"q": "jazzkväll", "type": "statuses", "limit": 1,
                                     "offset": 1}, headers=await bearer(db, anna))  # fmt: skip
    assert [s["id"] for s in two.json()["statuses"]] == [str(public.id)]
    by_url = (await api.get(URL, params={"q": public.uri, "type": "statuses"})).json()
    assert [s["id"] for s in by_url["statuses"]] == [str(public.id)]
    assert (await api.get(URL, params={"q": hidden.uri})).json()["statuses"] == []
    mine = await api.get(URL, params={"q": hidden.uri}, headers=await bearer(db, anna))
    assert [s["id"] for s in mine.json()["statuses"]] == [str(hidden.id)]


async def test_public_posts_and_events_the_index_finds_are_statuses(api, db, settings, bo) -> None:
    cora = await make_member(db, settings, "cora", language="sv", indexable=True)
    post = await make_post(db, settings, cora, content="Jazz i kväll på Folkets park i Malmö")
    event = await publish_event(db, settings, cora, content="Jazz hela natten i Malmö.")
    await make_post(db, settings, bo, content="Jazz i Malmö?", in_reply_to=post.uri)
    # The words apart: only the index finds them (a reply is never in it).
    found = await api.get(URL, params={"q": "jazz Malmö", "type": "statuses"})
    assert found.status_code == 200, found.text
    statuses = found.json()["statuses"]
    assert {s["id"] for s in statuses} == {str(post.id), str(event.id)}
    for status in statuses:
        assert_status(status)


async def test_hashtags_of_public_statuses(api, db, settings, anna) -> None:
    await make_post(db, settings, anna, content="Kom! #Jazz #jazzfunk")
    await make_post(db, settings, anna, content="Igen #jazz")
    await make_post(db, settings, anna, content="Tyst #jazzhemlig", visibility="followers")
    found = (await api.get(URL, params={"q": "#jaz", "type": "hashtags"})).json()["hashtags"]
    assert [t["name"] for t in found] == ["jazz", "jazzfunk"]
    assert found[0] == {"name": "jazz", "url": f"{settings.base_url}/tags/jazz", "history": []}


async def test_scopes_and_bad_input(api, db, anna) -> None:
    statuses_only = await bearer(db, anna, "read:statuses")
    refused = await api.get(URL, params={"q": "x"}, headers=statuses_only)
    assert refused.status_code == 403
    assert refused.json() == {"error": "This action is outside the authorized scopes"}
    assert (await api.get(URL, params={"q": "x", "type": "polls"})).status_code == 422
    assert (await api.get(URL)).status_code == 422
    paged = await api.get(URL, params={"q": "x", "offset": 5})
    assert paged.status_code == 401 and "pagination" in paged.json()["error"]
    bad_token = {"Authorization": "Bearer nope"}
    assert (await api.get(URL, params={"q": "x"}, headers=bad_token)).status_code == 401


async def test_resolve_fetches_and_stores_a_public_status_of_its_origin(
    api, db, world, anna
) -> None:
    world.actor(ZOE, name="Zoe Remote", preferredUsername="zoe")
    note = remote_note(f"{ZOE}/statuses/1", ZOE, content="<p>Hej från Zoe</p>")
    world.serve(note["id"], note)
    quiet = remote_note(f"{ZOE}/statuses/2", ZOE, to=[f"{ZOE}/followers"], cc=[])
    world.serve(quiet["id"], quiet)
    forged = remote_note("https://remote.example/notes/3", ALICE)  # another origin's author
    world.serve(forged["id"], forged)
    headers = await bearer(db, anna, "read:search")
    resolved = await api.get(URL, params={"q": note["id"], "resolve": "true"}, headers=headers)
    assert resolved.status_code == 200, resolved.text
    [status] = resolved.json()["statuses"]
    assert_status(status)
    stored = await _object(db, note["id"])
    assert stored is not None and status["id"] == str(stored.id)
    assert status["account"]["acct"] == "zoe@remote.example" and "Hej från Zoe" in status["content"]
    again = await api.get(URL, params={"q": note["id"], "resolve": "true"}, headers=headers)
    assert [s["id"] for s in again.json()["statuses"]] == [status["id"]]
    for refused in (quiet["id"], forged["id"]):
        answer = await api.get(URL, params={"q": refused, "resolve": "true"}, headers=headers)
        assert answer.status_code == 200 and answer.json()["statuses"] == []
        assert await _object(db, refused) is None
    unresolved = await api.get(URL, params={"q": f"{ZOE}/statuses/9"}, headers=headers)
    assert unresolved.json()["statuses"] == []


async def _object(db, uri: str) -> ContentObject | None:
    async with db.session() as s:
        return await s.scalar(select(ContentObject).where(ContentObject.uri == uri))
