"""/api/v1/statuses/:id/bookmark, /unbookmark, /api/v1/bookmarks (private: nothing federated),
/pin and /unpin (the member's own public or unlisted statuses, at most five; Add and Remove on
the `featured` collection), the account's `pinned=true` statuses and the actor's `featured`."""

from __future__ import annotations

from sqlalchemy import select

from smartnode.federation.vocab import PUBLIC
from smartnode.storage.models import Activity
from smartnode.storage.models_marks import Bookmark, Pin
from tests.content import activities, make_post
from tests.mastodon import assert_status, bearer
from tests.mastodon.test_timelines_api import link_of

AP = {"Accept": "application/activity+json"}


async def marks(db, model) -> list[tuple[int, int]]:
    async with db.session() as s:
        rows = await s.scalars(select(model).order_by(model.id))
        return [(row.actor_id, row.object_id) for row in rows.all()]


async def all_activities(db) -> list[Activity]:
    return await activities(db)


async def test_bookmarks_are_the_members_own_and_federate_nothing(
    api, db, settings, anna, bo
) -> None:
    first, second = await make_post(db, settings, bo), await make_post(db, settings, bo)
    headers = await bearer(db, anna, "write:bookmarks read:bookmarks read:statuses")
    before = len(await all_activities(db))
    for post in (first, second, first):
        response = await api.post(f"/api/v1/statuses/{post.id}/bookmark", headers=headers)
        assert response.status_code == 200, response.text
        assert_status(response.json(), viewer=True)
        assert response.json()["bookmarked"] is True
    assert await marks(db, Bookmark) == [(anna.id, first.id), (anna.id, second.id)]
    assert len(await all_activities(db)) == before
    page = await api.get("/api/v1/bookmarks", headers=headers, params={"limit": 1})
    assert [s["id"] for s in page.json()] == [str(second.id)]
    older = await api.get(link_of(page, "next"), headers=headers)
    assert [s["id"] for s in older.json()] == [str(first.id)]
    read = await api.get(f"/api/v1/statuses/{first.id}", headers=headers)
    assert read.json()["bookmarked"] is True
    bos = await bearer(db, bo, "read")
    assert (await api.get(f"/api/v1/statuses/{first.id}", headers=bos)).json()[
        "bookmarked"
    ] is False
    assert (await api.get("/api/v1/bookmarks", headers=bos)).json() == []

    response = await api.post(f"/api/v1/statuses/{first.id}/unbookmark", headers=headers)
    assert response.status_code == 200 and response.json()["bookmarked"] is False
    assert await marks(db, Bookmark) == [(anna.id, second.id)]


async def test_bookmark_scopes(api, db, settings, anna, bo) -> None:
    post = await make_post(db, settings, bo)
    wrong = await bearer(db, anna, "write:favourites read:favourites")
    response = await api.post(f"/api/v1/statuses/{post.id}/bookmark", headers=wrong)
    assert response.status_code == 403
    assert (await api.get("/api/v1/bookmarks", headers=wrong)).status_code == 403
    assert (await api.get("/api/v1/bookmarks")).status_code == 401
    assert await marks(db, Bookmark) == []


async def test_a_pinned_status_is_listed_first_and_featured(api, db, settings, anna, bo) -> None:
    post = await make_post(db, settings, anna, content="Pinned")
    headers = await bearer(db, anna, "write:accounts read")
    response = await api.post(f"/api/v1/statuses/{post.id}/pin", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["pinned"] is True
    assert await marks(db, Pin) == [(anna.id, post.id)]
    [add] = await activities(db, "Add")
    assert add.document["object"] == post.uri and add.document["to"] == [PUBLIC]
    assert add.document["target"] == f"{anna.uri}/featured"
    pinned = await api.get(f"/api/v1/accounts/{anna.id}/statuses", params={"pinned": "true"})
    assert [s["id"] for s in pinned.json()] == [str(post.id)]
    featured = await api.get(f"{anna.uri}/featured", headers=AP)
    assert featured.status_code == 200
    doc = featured.json()
    assert doc["totalItems"] == 1 and doc["orderedItems"][0]["id"] == post.uri
    assert doc["orderedItems"][0]["type"] == "Note"

    response = await api.post(f"/api/v1/statuses/{post.id}/unpin", headers=headers)
    assert response.status_code == 200 and response.json()["pinned"] is False
    [remove] = await activities(db, "Remove")
    assert remove.document["object"] == post.uri
    assert await marks(db, Pin) == []
    assert (await api.get(f"{anna.uri}/featured", headers=AP)).json()["totalItems"] == 0


async def test_only_own_public_statuses_and_at_most_five_are_pinned(
    api, db, settings, anna, bo
) -> None:
    headers = await bearer(db, anna, "write:accounts")
    others = await make_post(db, settings, bo)
    private = await make_post(db, settings, anna, visibility="followers")
    for post in (others, private):
        response = await api.post(f"/api/v1/statuses/{post.id}/pin", headers=headers)
        assert response.status_code == 422
        assert response.json()["error"].startswith("Validation failed")
    posts = [await make_post(db, settings, anna) for _ in range(6)]
    for post in posts[:5]:
        response = await api.post(f"/api/v1/statuses/{post.id}/pin", headers=headers)
        assert response.status_code == 200
    response = await api.post(f"/api/v1/statuses/{posts[5].id}/pin", headers=headers)
    assert response.status_code == 422 and "maximum" in response.json()["error"]
    assert len(await marks(db, Pin)) == 5
    deleted = await api.delete(f"/api/v1/statuses/{posts[0].id}",
                               headers=await bearer(db, anna, "write:statuses"))  # fmt: skip
    assert deleted.status_code == 200  # a deleted status's pin no longer counts
    response = await api.post(f"/api/v1/statuses/{posts[5].id}/pin", headers=headers)
    assert response.status_code == 200
    pinned = await api.get(f"/api/v1/accounts/{anna.id}/statuses", params={"pinned": "true"})
    assert [s["id"] for s in pinned.json()] == [str(p.id) for p in posts[:0:-1]]
    statuses_only = await bearer(db, anna, "write:statuses")
    response = await api.post(f"/api/v1/statuses/{posts[1].id}/unpin", headers=statuses_only)
    assert response.status_code == 403
