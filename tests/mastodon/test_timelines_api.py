"""/api/v1/timelines/…: home, public (local, remote) and a hashtag's, newest first, paged as
Mastodon pages them (limit, max_id, since_id, min_id and the Link header)."""

from __future__ import annotations

from datetime import UTC, datetime

from smartnode.storage.models import ContentObject
from tests.content import add_follower, make_post, remote_note
from tests.mastodon import assert_status, bearer
from tests.mastodon.conftest import ALICE


async def remote_post(db, author_id: int, n: int, **fields) -> ContentObject:
    """Arrange: a public Note of a remote author, as stored when it arrived."""
    now = datetime.now(UTC)
    doc = remote_note(f"{ALICE}/statuses/{n}", ALICE)
    row = ContentObject(
        uri=doc["id"], local=False, actor_id=author_id, ap_type="Note", kind="announcement",
        content=f"<p>Remote {n}</p>", content_map={}, url=doc["id"], visibility="public",
        audience={"to": doc["to"], "cc": doc["cc"]}, sensitive=False, attachments=[],
        tags=fields.pop("tags", []), extra={}, published_at=now, updated_at=now,
    )  # fmt: skip
    async with db.session() as s, s.begin():
        s.add(row)
    return row


def link_of(response, rel: str) -> str:
    for part in response.headers["link"].split(", "):
        url, _, kind = part.partition("; ")
        if kind == f'rel="{rel}"':
            return url.strip("<>")
    raise AssertionError(rel)


async def test_home_is_what_the_member_follows_newest_first_in_pages(
    api, db, settings, anna, bo
) -> None:
    headers = await bearer(db, anna, "read write")
    follow = await api.post(f"/api/v1/accounts/{bo.id}/follow", headers=headers)
    assert follow.status_code == 200
    alice = await add_follower(db, bo, ALICE)  # stored; anna does not follow her
    await remote_post(db, alice.id, 1)
    mine = await make_post(db, settings, anna, content="Mine")
    theirs = [await make_post(db, settings, bo, content=f"Bo {n}") for n in range(3)]
    expected = [str(theirs[2].id), str(theirs[1].id), str(theirs[0].id), str(mine.id)]
    first = await api.get("/api/v1/timelines/home", params={"limit": 2}, headers=headers)
    assert first.status_code == 200, first.text
    assert [s["id"] for s in first.json()] == expected[:2]
    for status in first.json():
        assert_status(status, viewer=True)
    older = await api.get(link_of(first, "next").removeprefix(settings.base_url), headers=headers)
    assert [s["id"] for s in older.json()] == expected[2:]
    newer = await api.get(link_of(older, "prev").removeprefix(settings.base_url), headers=headers)
    assert [s["id"] for s in newer.json()] == expected[:2]
    since = await api.get("/api/v1/timelines/home", headers=headers,
                          params={"since_id": expected[3], "limit": 1})  # fmt: skip
    assert [s["id"] for s in since.json()] == expected[:1]
    above = await api.get("/api/v1/timelines/home", headers=headers,
                          params={"min_id": expected[3], "limit": 1})  # fmt: skip
    assert [s["id"] for s in above.json()] == expected[2:3]
    assert "link" not in (await api.get("/api/v1/timelines/home", headers=headers,
                                        params={"max_id": expected[3]})).headers  # fmt: skip


async def test_home_needs_a_member_token_with_read(api, db, anna) -> None:
    assert (await api.get("/api/v1/timelines/home")).status_code == 401
    write_only = await bearer(db, anna, "write")
    response = await api.get("/api/v1/timelines/home", headers=write_only)
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}


async def test_public_is_local_remote_or_both_without_replies_or_private_posts(
    api, db, settings, anna
) -> None:
    alice = await add_follower(db, anna, ALICE)
    remote = await remote_post(db, alice.id, 7)
    local = await make_post(db, settings, anna, content="Public")
    await make_post(db, settings, anna, content="Quiet", visibility="unlisted")
    await make_post(db, settings, anna, content="Reply", in_reply_to=local.uri)
    both = (await api.get("/api/v1/timelines/public")).json()
    assert [s["id"] for s in both] == [str(local.id), str(remote.id)]
    assert_status(both[1])
    assert both[1]["account"]["acct"] == "alice@mastodon.example"
    only_local = (await api.get("/api/v1/timelines/public", params={"local": "true"})).json()
    assert [s["id"] for s in only_local] == [str(local.id)]
    only_remote = (await api.get("/api/v1/timelines/public", params={"remote": "true"})).json()
    assert [s["id"] for s in only_remote] == [str(remote.id)]


async def test_limit_is_clamped_to_forty_and_bad_ids_are_422(api, db, settings, anna) -> None:
    for n in range(42):
        await make_post(db, settings, anna, content=f"Post {n}")
    many = await api.get("/api/v1/timelines/public", params={"limit": 100})
    assert len(many.json()) == 40 and "limit=40" in many.headers["link"]
    assert len((await api.get("/api/v1/timelines/public")).json()) == 20
    bad = await api.get("/api/v1/timelines/public", params={"max_id": "abc"})
    assert bad.status_code == 422 and set(bad.json()) == {"error"}


async def test_a_hashtag_timeline(api, db, settings, anna) -> None:
    tagged = await make_post(db, settings, anna, content="Kom! #Jazz")
    await make_post(db, settings, anna, content="Jazz without the tag")
    await make_post(db, settings, anna, content="#jazzfunk is another")
    found = (await api.get("/api/v1/timelines/tag/jazz")).json()
    assert [s["id"] for s in found] == [str(tagged.id)]
    assert found[0]["tags"] == [{"name": "jazz", "url": f"{settings.base_url}/tags/Jazz"}]
    assert (await api.get("/api/v1/timelines/tag/nothing")).json() == []
