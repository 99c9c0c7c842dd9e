"""A member's notifications in the browser: the home page's latest unread ones, the whole list
(newest first, paged, in the viewer's language, each linked), Mark as read and Mark all as read;
refused to visitors, for another member's notification and without the CSRF token; none from
those the member blocks or mutes with notifications, on the page or in the badge."""

from __future__ import annotations

import re

from sqlalchemy import select

from smartnode.accounts.tokens import create_token
from smartnode.content.notices import notify
from smartnode.storage.models_blocks import AccountBlock, AccountMute
from smartnode.storage.models_work import Notification
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.conftest import make_project, now
from tests.inbox.applications import make_call

PATH = "/account/notifications"


async def _notices(db, settings):
    anna = await member_with_password(db, settings, "anna")
    bo = await member_with_password(db, settings, "bo")
    jazz = await make_project(db, settings, "Jazz", "bo")
    call = f"{settings.base_url}/calls/c1"
    async with db.session() as s, s.begin():
        await notify(s, anna.id, "team_invite", "https://se.smart.test/activities/i1",
                     {"project": jazz.uri, "role": "member"}, now())  # fmt: skip
        await notify(s, anna.id, "application", "https://se.smart.test/applications/a1",
                     {"call": call, "title": "Sound engineer", "applicant": bo.uri,
                      "state": "pending"}, now())  # fmt: skip
        await notify(s, anna.id, "decision", "https://se.smart.test/applications/a2",
                     {"call": call, "title": "Drummer", "state": "accepted"}, now())  # fmt: skip
        await notify(s, bo.id, "decision", "https://se.smart.test/applications/a3",
                     {"call": call, "title": "Singer", "state": "rejected"}, now())  # fmt: skip
    return anna, bo


async def _read(db, member_id: int) -> list[bool]:
    async with db.session() as s:
        rows = await s.scalars(
            select(Notification).where(Notification.actor_id == member_id).order_by(Notification.id)
        )
        return [row.read_at is not None for row in rows]


async def test_the_page_lists_them_newest_first_in_plain_words_with_links(
    client, db, settings
) -> None:
    await _notices(db, settings)
    await sign_in(client, "anna")
    page = await client.get(PATH)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    text = page.text
    assert "Not read yet: 3" in text
    accepted = text.index("Your application to Drummer was accepted.")
    applied = text.index("@bo@se.smart.test applied to your call Sound engineer.")
    invited = text.index("You are invited to join the team of @jazz@se.smart.test.")
    assert accepted < applied < invited
    assert 'href="/applications"' in text and 'href="/team-invitations"' in text
    assert f'href="{settings.base_url}/calls/c1/applications"' in text
    assert text.count('action="/account/notifications/') == 4  # three of them, and all
    assert "Singer" not in text  # bo's


async def test_in_swedish_for_a_member_who_chose_it(client, db, settings) -> None:
    await _notices(db, settings)
    await sign_in(client, "anna")
    page = await client.get(PATH, headers={"Accept-Language": "sv"})
    assert '<html lang="sv">' in page.text
    assert "Din ansökan till Drummer har antagits." in page.text


async def test_mark_one_then_all_as_read(client, db, settings) -> None:
    anna, bo = await _notices(db, settings)
    await sign_in(client, "anna")
    page = await client.get(PATH)
    csrf = hidden_fields(page.text)["csrf"]
    first = re.search(r'action="/account/notifications/(\d+)/read"', page.text)
    assert first is not None
    done = await client.post(first.group(0)[8:-1], data={"csrf": csrf, "next": PATH})
    assert done.status_code == 303 and done.headers["location"] == f"{PATH}?done=one"
    assert (await _read(db, anna.id)).count(True) == 1
    after = await client.get(done.headers["location"])
    assert "The notification is marked as read." in after.text and "Not read yet: 2" in after.text
    done = await client.post(f"{PATH}/read-all", data={"csrf": csrf, "next": PATH})
    assert done.status_code == 303 and done.headers["location"] == f"{PATH}?done=all"
    assert await _read(db, anna.id) == [True, True, True]
    assert await _read(db, bo.id) == [False]
    after = await client.get(PATH)
    assert "Not read yet: 0" in after.text and "Mark all as read" not in after.text


async def test_the_home_page_shows_the_latest_unread_with_a_link_to_all(
    client, db, settings
) -> None:
    await _notices(db, settings)
    visitor = await client.get("/")
    assert "Your notifications" not in visitor.text
    await sign_in(client, "anna")
    home = await client.get("/")
    assert home.status_code == 200 and home.headers["cache-control"] == "private, no-store"
    assert "Your application to Drummer was accepted." in home.text
    assert f'href="{PATH}"' in home.text and "All notifications" in home.text
    account = await client.get("/account")
    assert f'href="{PATH}"' in account.text
    assert f'<a href="{PATH}">Notifications (3)</a>' in account.text  # in the navigation
    csrf = hidden_fields(account.text)["csrf"]
    await client.post(f"{PATH}/read-all", data={"csrf": csrf})
    assert "Notifications (" not in (await client.get("/members")).text


async def test_pages_of_twenty_with_older_and_newest_links(client, db, settings) -> None:
    anna = await member_with_password(db, settings, "anna")
    async with db.session() as s, s.begin():
        for n in range(25):
            await notify(s, anna.id, "call_match", f"https://x.example/calls/{n}",
                         {"call": {"name": f"Call {n:02}"}, "score": 0.8}, now())  # fmt: skip
    await sign_in(client, "anna")
    page = await client.get(PATH)
    assert "Call 24" in page.text and "Call 05" in page.text and "Call 04" not in page.text
    older = re.search(r'href="(/account/notifications\?before=\d+)"', page.text)
    assert older is not None
    rest = await client.get(older.group(1))
    assert "Call 04" in rest.text and "Call 00" in rest.text and "Call 05" not in rest.text
    assert "Newest notifications" in rest.text and "Older notifications" not in rest.text


async def test_refusals_leave_everything_unread(client, db, settings) -> None:
    anna, bo = await _notices(db, settings)
    assert (await client.get(PATH)).headers["location"].startswith("/signin?next=")
    async with db.session() as s:
        theirs = await s.scalar(select(Notification.id).where(Notification.actor_id == bo.id))
    await sign_in(client, "anna")
    csrf = hidden_fields((await client.get(PATH)).text)["csrf"]
    other = await client.post(f"{PATH}/{theirs}/read", data={"csrf": csrf})
    assert other.status_code == 404
    forged = await client.post(f"{PATH}/read-all", data={"csrf": "forged"})
    assert forged.status_code == 403
    foreign = await client.post(f"{PATH}/read-all", data={"csrf": csrf},
                                headers={"Origin": "https://evil.example"})  # fmt: skip
    assert foreign.status_code == 403
    assert await _read(db, anna.id) == [False, False, False]
    assert await _read(db, bo.id) == [False]


async def test_a_real_application_and_its_withdrawal_are_worded_and_linked(
    client, db, settings
) -> None:
    anna = await member_with_password(db, settings, "anna")
    bo = await member_with_password(db, settings, "bo")
    jazz = await make_project(db, settings, "Jazz", "anna")
    call = await make_call(db, settings, jazz, title="Bassist")
    async with db.session() as s, s.begin():
        token = await create_token(s, label="bo", now=now(), actor_id=bo.id)
    bearer = {"Authorization": f"Bearer {token}"}
    applied = await client.post("/api/smart/v1/applications", headers=bearer,
                                json={"call": call.uri, "motivation": "Low notes"})  # fmt: skip
    assert applied.status_code == 201, applied.text
    gone = await client.delete(f"/api/smart/v1/applications/{applied.json()['id']}", headers=bearer)
    assert gone.status_code == 200
    await sign_in(client, "anna")
    page = (await client.get(PATH)).text
    assert "@bo@se.smart.test withdrew their application to your call Bassist." in page
    assert "@bo@se.smart.test applied to your call Bassist." in page
    assert page.count(f'href="{call.uri}/applications"') == 2
    assert anna.id != bo.id


async def test_team_and_event_notifications_link_their_pages(client, db, settings) -> None:
    anna = await member_with_password(db, settings, "anna")
    bo = await member_with_password(db, settings, "bo")
    jazz = await make_project(db, settings, "Jazz", "anna")
    event = f"{settings.base_url}/events/e1"
    rows = [
        ("team_join", f"{settings.base_url}/activities/j1", {"project": jazz.uri,
                                                            "actor": bo.uri}),
        ("team_no_coordinator", jazz.uri, {"left": bo.uri}),
        ("event_join", f"{event}/p1", {"event": event, "actor": bo.uri, "name": "Jam"}),
        ("event_participation", f"{event}/p2",
         {"event": event, "state": "accepted", "name": "Jam"}),
        ("something_else", "https://se.smart.test/x", {}),
    ]  # fmt: skip
    async with db.session() as s, s.begin():
        for kind, uri, data in rows:
            await notify(s, anna.id, kind, uri, data, now())
    await sign_in(client, "anna")
    page = (await client.get(PATH)).text
    assert "@bo@se.smart.test asks to join the team of @jazz@se.smart.test." in page
    assert "The team of @jazz@se.smart.test has no coordinator any more" in page
    assert page.count(f'href="{jazz.uri}/team"') == 2
    assert "@bo@se.smart.test asks to take part in Jam." in page
    assert f'href="{event}/participants"' in page
    assert "You can take part in Jam: your request was accepted." in page
    assert f'href="{event}">See the event' in page
    assert "Something new for you." in page


async def test_a_muted_or_blocked_senders_notifications_leave_the_page_and_the_badge(
    client, db, settings
) -> None:
    anna = await member_with_password(db, settings, "anna")
    bo, carl, dan = [await member_with_password(db, settings, name)
                     for name in ("bo", "carl", "dan")]  # fmt: skip
    async with db.session() as s, s.begin():
        for who in (bo, carl, dan):
            await notify(s, anna.id, "follow", f"{anna.uri}/followers#{who.uri}",
                         {"actor": who.uri, "state": "accepted"}, now())  # fmt: skip
        await notify(s, anna.id, "application", "https://se.smart.test/applications/a1",
                     {"call": f"{settings.base_url}/calls/c1", "title": "Sound engineer",
                      "applicant": bo.uri, "state": "pending"}, now())  # fmt: skip
    await sign_in(client, "anna")
    page = await client.get(PATH)
    assert "Not read yet: 4" in page.text and "@bo@se.smart.test applied" in page.text
    csrf = hidden_fields(page.text)["csrf"]
    for change, who in (("mute", bo), ("block", carl)):
        done = await client.post(f"/account/blocks/{change}",
                                 data={"csrf": csrf, "account": str(who.id)})  # fmt: skip
        assert done.status_code == 303, done.text
    async with db.session() as s:
        [mute] = (await s.scalars(select(AccountMute))).all()
        [block] = (await s.scalars(select(AccountBlock))).all()
    assert (mute.target_id, mute.notifications, block.target_id) == (bo.id, True, carl.id)
    text = (await client.get(PATH)).text
    assert "@dan@se.smart.test follows you." in text and "Not read yet: 1" in text
    assert "@bo@se.smart.test" not in text and "@carl@se.smart.test" not in text
    assert f'<a href="{PATH}">Notifications (1)</a>' in (await client.get("/account")).text
    home = (await client.get("/")).text
    assert "@dan@se.smart.test follows you." in home and "@bo@se.smart.test" not in home
    assert await _read(db, anna.id) == [False] * 4  # kept, only not shown
    await client.post("/account/blocks/unmute", data={"csrf": csrf, "account": str(bo.id)})
    text = (await client.get(PATH)).text
    assert "@bo@se.smart.test applied" in text and "Not read yet: 3" in text
    assert "@carl@se.smart.test" not in text
