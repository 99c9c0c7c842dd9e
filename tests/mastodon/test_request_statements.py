"""How many SQL statements the Mastodon API's hottest reads send, counted on the app's own
engine (SQLAlchemy's `before_cursor_execute`): verify_credentials (the token with its member,
the counts, the profile) and the home timeline (the token with its member, the page of
statuses with their authors, the authors' counts, their profiles, the reader's marks, the
boosts). The number is fixed per request, whatever the page holds: a change that adds a round
trip per request, or one per status, fails here. The same request asked again with nothing
written meanwhile sends none (api/mastodon/answer_cache.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from smartnode.storage.models import Follow
from tests.content import add_follower, make_post
from tests.mastodon import assert_account, assert_status, bearer
from tests.mastodon.conftest import ALICE

VERIFY_CREDENTIALS = 3
HOME = 6


@contextmanager
def statements(api: Any) -> Iterator[list[str]]:
    """The SQL statements the app sends while the block runs."""
    sent: list[str] = []
    engine = api.app.state.db.engine.sync_engine

    def note(conn: Any, cursor: Any, sql: str, *rest: Any) -> None:
        sent.append(sql)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


async def test_verify_credentials_reads_in_three_statements(api, db, settings, anna, bo) -> None:
    headers = await bearer(db, anna, "read write follow")
    assert (await api.post(f"/api/v1/accounts/{bo.id}/follow", headers=headers)).status_code == 200
    await add_follower(db, anna, ALICE)
    async with db.session() as s, s.begin():  # bo asks to follow anna: a request waiting
        s.add(Follow(follower_id=bo.id, followed_id=anna.id, state="pending",
                     created_at=datetime.now(UTC)))  # fmt: skip
    posts = [await make_post(db, settings, anna, content=f"Post {n}") for n in range(3)]
    await api.get("/api/v1/accounts/verify_credentials", headers=headers)  # last use noted
    api.app.state.answers.forget()  # as if something was written: the next one is rendered

    with statements(api) as sent:
        answer = await api.get("/api/v1/accounts/verify_credentials", headers=headers)
    with statements(api) as again:  # asked again, nothing written meanwhile: the kept answer
        kept = await api.get("/api/v1/accounts/verify_credentials", headers=headers)

    assert answer.status_code == 200, answer.text
    account = answer.json()
    assert_account(account)
    assert (account["followers_count"], account["following_count"]) == (1, 1)
    assert account["statuses_count"] == 3
    assert account["last_status_at"] == posts[-1].published_at.date().isoformat()
    assert account["source"]["follow_requests_count"] == 1
    assert account["source"]["language"] == "sv"
    assert len(sent) == VERIFY_CREDENTIALS, sent
    assert (kept.status_code, kept.content, again) == (200, answer.content, [])


async def test_a_home_page_of_forty_statuses_reads_in_six_statements(
    api, db, settings, anna, bo
) -> None:
    headers = await bearer(db, anna, "read write")
    assert (await api.post(f"/api/v1/accounts/{bo.id}/follow", headers=headers)).status_code == 200
    posts = [await make_post(db, settings, bo if n % 2 else anna, content=f"Post {n}")
             for n in range(41)]  # fmt: skip
    liked, marked = posts[-1], posts[-2]
    assert (await api.post(f"/api/v1/statuses/{liked.id}/favourite", headers=headers)).is_success
    assert (await api.post(f"/api/v1/statuses/{marked.id}/bookmark", headers=headers)).is_success
    await api.get("/api/v1/accounts/verify_credentials", headers=headers)  # last use noted

    with statements(api) as forty:
        page = await api.get("/api/v1/timelines/home", params={"limit": 40}, headers=headers)
    with statements(api) as two:
        small = await api.get("/api/v1/timelines/home", params={"limit": 2}, headers=headers)
    with statements(api) as again:
        kept = await api.get("/api/v1/timelines/home", params={"limit": 40}, headers=headers)

    assert page.status_code == 200, page.text
    statuses = page.json()
    assert [s["id"] for s in statuses] == [str(p.id) for p in reversed(posts[1:])]
    for status in statuses:
        assert_status(status, viewer=True)
    by_id = {s["id"]: s for s in statuses}
    assert by_id[str(liked.id)]["favourited"] and by_id[str(liked.id)]["favourites_count"] == 1
    assert by_id[str(marked.id)]["bookmarked"] and not by_id[str(marked.id)]["favourited"]
    assert {s["account"]["username"] for s in statuses} == {"anna", "bo"}
    assert {s["account"]["statuses_count"] for s in statuses} == {20, 21}
    assert [s["id"] for s in small.json()] == [s["id"] for s in statuses[:2]]
    assert len(forty) == HOME, forty
    assert len(two) == HOME, two
    assert (kept.content, kept.headers.get("link"), again) == (
        page.content,
        page.headers.get("link"),
        [],
    )
