"""/api/v1/statuses/:id/favourite, /unfavourite, /reblog, /unreblog, favourited_by,
reblogged_by and /api/v1/favourites: stored as the member's reactions, counted on the status,
and on the wire a Like / Announce (and their Undo) addressed as Mastodon addresses them."""

from __future__ import annotations

from sqlalchemy import select

from smartnode.federation.vocab import PUBLIC
from smartnode.storage.models import Actor, ContentObject, Reaction
from tests.conftest import make_member
from tests.content import activities, add_follower, fan_out, make_post
from tests.mastodon import assert_account, assert_status, bearer
from tests.mastodon.conftest import ALICE
from tests.mastodon.test_timelines_api import link_of, remote_post


async def reactions(db) -> list[tuple[int, int, str, str]]:
    async with db.session() as s:
        rows = await s.scalars(select(Reaction).order_by(Reaction.id))
        return [(r.object_id, r.actor_id, r.kind, r.uri) for r in rows.all()]


async def counts(db, object_id: int) -> tuple[int, int]:
    async with db.session() as s:
        obj = await s.get(ContentObject, object_id)
        assert obj is not None
        return obj.likes_count, obj.announces_count


async def alice(db) -> Actor:
    """Alice, stored when she followed Anna."""
    async with db.session() as s:
        found = await s.scalar(select(Actor).where(Actor.uri == ALICE))
    assert found is not None
    return found


async def test_liking_a_remote_status_stores_it_counts_it_and_sends_a_like(
    api, db, settings, anna, world
) -> None:
    await add_follower(db, anna, ALICE, shared_inbox="https://mastodon.example/inbox")
    note = await remote_post(db, (await alice(db)).id, 1)
    headers = await bearer(db, anna, "write:favourites read")
    response = await api.post(f"/api/v1/statuses/{note.id}/favourite", headers=headers)
    assert response.status_code == 200, response.text
    out = response.json()
    assert_status(out, viewer=True)
    assert (out["favourited"], out["favourites_count"], out["id"]) == (True, 1, str(note.id))
    [(object_id, actor_id, kind, uri)] = await reactions(db)
    assert (object_id, actor_id, kind) == (note.id, anna.id, "like")
    [like] = await activities(db, "Like")
    assert like.document["id"] == uri and like.document["actor"] == anna.uri
    assert like.document["object"] == note.uri and like.document["to"] == [ALICE]
    assert await fan_out(db, settings, like) == ["https://mastodon.example/inbox"]
    again = await api.post(f"/api/v1/statuses/{note.id}/favourite", headers=headers)
    assert again.json()["favourites_count"] == 1 and len(await activities(db, "Like")) == 1
    read = await api.get(f"/api/v1/statuses/{note.id}", headers=headers)
    assert read.json()["favourited"] is True and read.json()["favourites_count"] == 1

    undone = await api.post(f"/api/v1/statuses/{note.id}/unfavourite", headers=headers)
    assert undone.status_code == 200
    assert (undone.json()["favourited"], undone.json()["favourites_count"]) == (False, 0)
    assert await reactions(db) == [] and await counts(db, note.id) == (0, 0)
    [undo] = await activities(db, "Undo")
    assert undo.document["object"] == {"id": uri, "type": "Like", "actor": anna.uri,
                                       "object": note.uri}  # fmt: skip
    assert undo.document["to"] == [ALICE]
    assert await fan_out(db, settings, undo) == ["https://mastodon.example/inbox"]


async def test_liking_a_local_status_federates_nothing_and_lists_the_liker(
    api, db, settings, anna, bo
) -> None:
    post = await make_post(db, settings, bo)
    headers = await bearer(db, anna, "write:favourites read:favourites read:accounts")
    response = await api.post(f"/api/v1/statuses/{post.id}/favourite", headers=headers)
    assert response.status_code == 200 and response.json()["favourited"] is True
    assert await activities(db, "Like") == [] and await counts(db, post.id) == (1, 0)
    by = await api.get(f"/api/v1/statuses/{post.id}/favourited_by")
    assert by.status_code == 200
    [account] = by.json()
    assert_account(account)
    assert account["id"] == str(anna.id) and "link" in by.headers
    mine = await api.get("/api/v1/favourites", headers=headers)
    assert mine.status_code == 200
    [status] = mine.json()
    assert_status(status, viewer=True)
    assert status["id"] == str(post.id) and status["favourited"] is True
    assert "max_id=" in link_of(mine, "next")
    older = link_of(mine, "next").rpartition("=")[2]
    after = await api.get("/api/v1/favourites", headers=headers, params={"max_id": older})
    assert after.json() == []


async def test_favourite_scopes_and_unknown_statuses(api, db, settings, anna, bo) -> None:
    post = await make_post(db, settings, bo)
    statuses_only = await bearer(db, anna, "write:statuses read:statuses")
    response = await api.post(f"/api/v1/statuses/{post.id}/favourite", headers=statuses_only)
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}
    assert (await api.get("/api/v1/favourites", headers=statuses_only)).status_code == 403
    assert (await api.post(f"/api/v1/statuses/{post.id}/favourite")).status_code == 401
    likes = await bearer(db, anna, "write:favourites")
    for missing in ("999999", "abc"):
        response = await api.post(f"/api/v1/statuses/{missing}/favourite", headers=likes)
        assert response.status_code == 404 and response.json() == {"error": "Record not found"}
    private = await make_post(db, settings, bo, visibility="followers")
    response = await api.post(f"/api/v1/statuses/{private.id}/favourite", headers=likes)
    assert response.status_code == 404  # anna does not follow bo: she may not read it
    assert await reactions(db) == []


async def test_a_reblog_is_an_announce_to_the_followers_and_the_author(
    api, db, settings, anna, bo
) -> None:
    await add_follower(db, anna, ALICE, shared_inbox="https://mastodon.example/inbox")
    post = await make_post(db, settings, bo)
    headers = await bearer(db, anna, "write:statuses read")
    response = await api.post(f"/api/v1/statuses/{post.id}/reblog", headers=headers)
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["reblog"]["id"] == str(post.id) and out["reblog"]["reblogged"] is True
    assert out["reblog"]["reblogs_count"] == 1 and out["account"]["id"] == str(anna.id)
    assert_status(out["reblog"], viewer=True)
    [(object_id, actor_id, kind, uri)] = await reactions(db)
    assert (object_id, actor_id, kind) == (post.id, anna.id, "announce")
    [announce] = await activities(db, "Announce")
    assert announce.document["id"] == uri == out["uri"]
    assert announce.document["object"] == post.uri and announce.document["to"] == [PUBLIC]
    assert announce.document["cc"] == [bo.uri, f"{anna.uri}/followers"]
    assert await fan_out(db, settings, announce) == ["https://mastodon.example/inbox"]
    by = await api.get(f"/api/v1/statuses/{post.id}/reblogged_by")
    assert [a["id"] for a in by.json()] == [str(anna.id)]

    undone = await api.post(f"/api/v1/statuses/{post.id}/unreblog", headers=headers)
    assert undone.status_code == 200
    assert (undone.json()["reblogged"], undone.json()["reblogs_count"]) == (False, 0)
    [undo] = await activities(db, "Undo")
    assert undo.document["object"] == {"id": uri, "type": "Announce", "actor": anna.uri,
                                       "object": post.uri}  # fmt: skip
    assert undo.document["to"] == [PUBLIC]
    assert await reactions(db) == [] and await counts(db, post.id) == (0, 0)


async def test_a_remote_authors_status_reblogged_unlisted_is_sent_to_them(
    api, db, settings, anna
) -> None:
    await add_follower(db, anna, "https://other.example/users/o",
                       shared_inbox="https://other.example/inbox")  # fmt: skip
    await add_follower(db, anna, ALICE, shared_inbox="https://mastodon.example/inbox")
    note = await remote_post(db, (await alice(db)).id, 2)
    async with db.session() as s, s.begin():
        row = await s.get(ContentObject, note.id)
        assert row is not None
        row.visibility = "unlisted"
    headers = await bearer(db, anna, "write:statuses")
    response = await api.post(f"/api/v1/statuses/{note.id}/reblog", headers=headers)
    assert response.status_code == 200, response.text
    [announce] = await activities(db, "Announce")
    assert announce.document["to"] == [f"{anna.uri}/followers"]
    assert announce.document["cc"] == [PUBLIC, ALICE]
    assert await fan_out(db, settings, announce) == [
        "https://mastodon.example/inbox",
        "https://other.example/inbox",
    ]


async def test_only_public_and_unlisted_statuses_can_be_reblogged(api, db, settings, anna) -> None:
    own = await make_post(db, settings, anna, visibility="followers")
    headers = await bearer(db, anna, "write:statuses")
    response = await api.post(f"/api/v1/statuses/{own.id}/reblog", headers=headers)
    assert response.status_code == 422
    assert response.json()["error"].startswith("Validation failed")
    favourites_only = await bearer(db, anna, "write:favourites")
    public = await make_post(db, settings, anna)
    response = await api.post(f"/api/v1/statuses/{public.id}/reblog", headers=favourites_only)
    assert response.status_code == 403
    assert await reactions(db) == [] and await activities(db, "Announce") == []


async def test_a_reblog_reaches_the_home_of_the_boosters_followers(
    api, db, settings, anna, bo
) -> None:
    carl = await make_member(db, settings, "carl")
    bos = await bearer(db, bo, "read write:follows")
    followed = await api.post(f"/api/v1/accounts/{anna.id}/follow", headers=bos)
    assert followed.status_code == 200  # bo follows anna, not carl
    post = await make_post(db, settings, carl, content="Carl's")
    private = await make_post(db, settings, carl, visibility="followers")
    anna_headers = await bearer(db, anna, "write:statuses")
    response = await api.post(f"/api/v1/statuses/{post.id}/reblog", headers=anna_headers)
    assert response.status_code == 200
    home = await api.get("/api/v1/timelines/home", headers=bos)
    assert home.status_code == 200
    [boost] = home.json()
    assert boost["account"]["id"] == str(anna.id) and boost["reblog"]["id"] == str(post.id)
    assert (
        boost["reblog"]["account"]["id"] == str(carl.id) and boost["uri"] == response.json()["uri"]
    )
    assert_status(boost["reblog"], viewer=True)
    assert all(s["id"] != str(private.id) for s in home.json())
    await api.post(f"/api/v1/statuses/{post.id}/unreblog", headers=anna_headers)
    assert (await api.get("/api/v1/timelines/home", headers=bos)).json() == []
