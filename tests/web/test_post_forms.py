"""Writing, replying to and deleting posts in the browser: language and translation, the three
visibilities in plain words, the thread beneath the post, the Create and Delete delivered as the
API delivers them, and the refusals (visitor, stranger, forged form, bad input)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smartnode.storage.models import ContentObject
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.conftest import make_project
from tests.content import activities, add_follower, fan_out, make_post, node_client
from tests.inbox import Fediverse
from tests.web.test_participation_pages import an_event

HTML = {"Accept": "text/html"}
FOLLOWER = "https://mastodon.example/users/kim"
SHARED = "https://mastodon.example/inbox"


@pytest.fixture
async def browser(settings, db) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, Fediverse()) as client:
        yield client


async def posts(db) -> list[ContentObject]:
    async with db.session() as s:
        found = await s.scalars(
            select(ContentObject)
            .where(ContentObject.kind.in_(("announcement", "reply")))
            .order_by(ContentObject.id)
        )
        return list(found.all())


async def write(client: httpx.AsyncClient, path: str = "/new/post", **fields: Any):
    page = await client.get(path)
    assert page.status_code == 200, page.text
    data = {**hidden_fields(page.text), "language": "en", "visibility": "public", **fields}
    return await client.post("/new/post", data=data)


async def test_a_member_writes_a_public_post_with_a_translation(browser, db, settings) -> None:
    anna = await member_with_password(db, settings, "anna")
    await add_follower(db, anna, FOLLOWER, shared_inbox=SHARED)
    await sign_in(browser, "anna")
    form = await browser.get("/new/post")
    assert "Only the people you mention" in form.text and 'value="followers"' in form.text
    response = await write(browser, content="Rehearsal tonight #jazz", tr_lang_1="sv",
                           tr_text_1="Repetition i kväll")  # fmt: skip
    assert response.status_code == 303
    [post] = await posts(db)
    path = post.uri.removeprefix(settings.base_url)
    assert response.headers["location"] == f"{path}?done=published"
    assert post.language == "en" and "Repetition i kväll" in post.content_map["sv"]
    assert post.visibility == "public" and post.actor_id == anna.id
    [create] = await activities(db, "Create")
    assert create.document["object"]["id"] == post.uri
    assert await fan_out(db, settings, create) == [SHARED]
    page = await browser.get(response.headers["location"], headers=HTML)
    assert "Your post is published." in page.text and "Rehearsal tonight" in page.text
    assert f'href="{path}/delete"' in page.text


async def test_followers_only_and_direct_posts_go_to_their_audience(browser, db, settings) -> None:
    anna = await member_with_password(db, settings, "anna")
    await add_follower(db, anna, FOLLOWER, shared_inbox=SHARED)
    await sign_in(browser, "anna")
    quiet = await write(browser, content="For my followers", visibility="followers")
    assert quiet.status_code == 303 and quiet.headers["location"] == "/new/post?sent=followers"
    told = await browser.get(quiet.headers["location"])
    assert "Your post is sent to your followers." in told.text
    [post] = await posts(db)
    assert post.visibility == "followers"
    [create] = await activities(db, "Create")
    assert create.document["to"] == [f"{anna.uri}/followers"]
    nobody = await write(browser, content="Psst", visibility="direct")
    assert nobody.status_code == 422 and 'href="#p-mentions"' in nobody.text
    assert "Psst" in nobody.text and len(await posts(db)) == 1


async def test_a_reply_shows_in_the_thread_beneath_the_post(browser, db, settings) -> None:
    anna = await member_with_password(db, settings, "anna")
    await member_with_password(db, settings, "ben")
    post = await make_post(db, settings, anna, content="Who plays bass?")
    path = post.uri.removeprefix(settings.base_url)
    await sign_in(browser, "ben")
    page = await browser.get(path, headers=HTML)
    assert "/new/post?reply_to=" in page.text and f"{path}/delete" not in page.text
    form = await browser.get("/new/post", params={"reply_to": post.uri})
    assert hidden_fields(form.text)["reply_to"] == post.uri
    response = await write(browser, f"/new/post?reply_to={post.uri}", content="I do!")
    assert response.status_code == 303
    assert response.headers["location"] == f"{path}?done=replied#replies"
    _parent, reply = await posts(db)
    assert reply.in_reply_to_uri == post.uri
    thread = await browser.get(path, headers=HTML)
    assert 'id="replies"' in thread.text and "I do!" in thread.text
    assert "Your reply is published." in (await browser.get(f"{path}?done=replied")).text


async def test_the_author_deletes_a_post_and_others_may_not(browser, db, settings) -> None:
    anna = await member_with_password(db, settings, "anna")
    await add_follower(db, anna, FOLLOWER, shared_inbox=SHARED)
    await member_with_password(db, settings, "ben")
    post = await make_post(db, settings, anna, content="Old news")
    path = post.uri.removeprefix(settings.base_url)
    async with node_client(settings, Fediverse()) as ben:
        await sign_in(ben, "ben")
        assert (await ben.get(f"{path}/delete")).status_code == 403
        csrf = hidden_fields((await ben.get("/new/post")).text)
        assert (await ben.post(f"{path}/delete", data=csrf)).status_code == 403
    await sign_in(browser, "anna")
    confirm = await browser.get(f"{path}/delete")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.text
    done = await browser.post(f"{path}/delete", data=hidden_fields(confirm.text))
    assert done.status_code == 200 and "The post is deleted" in done.text
    [gone] = await posts(db)
    assert gone.deleted_at is not None
    [delete] = await activities(db, "Delete")
    assert await fan_out(db, settings, delete) == [SHARED]
    assert (await browser.get(path, headers=HTML)).status_code == 410


async def test_visitors_and_forged_forms_write_nothing(browser, db, settings) -> None:
    visitor = await browser.get("/new/post", params={"reply_to": "https://x.example/n/1"})
    assert visitor.status_code == 303 and visitor.headers["location"].startswith("/signin?next=")
    await member_with_password(db, settings, "anna")
    await sign_in(browser, "anna")
    forged = await browser.post("/new/post", data={"content": "Hi", "visibility": "public"})
    assert forged.status_code == 403
    await member_with_password(db, settings, "ben")
    await make_project(db, settings, "Jazz", "ben")
    theirs = await write(browser, content="Hi", **{"as": "jazz"})
    assert theirs.status_code == 403 and "project you coordinate" in theirs.text
    empty = await write(browser, content="")
    assert empty.status_code == 422 and 'href="#p-content"' in empty.text
    assert await posts(db) == []


async def test_the_author_edits_a_post_and_others_may_not(browser, db, settings) -> None:
    anna = await member_with_password(db, settings, "anna")
    await add_follower(db, anna, FOLLOWER, shared_inbox=SHARED)
    await member_with_password(db, settings, "ben")
    translations = {"sv": "Repetition klockan 7", "de": "Probe um 7"}
    post = await make_post(db, settings, anna, content="Rehersal at 7", language="en",
                           content_map=translations)  # fmt: skip
    path = post.uri.removeprefix(settings.base_url)
    async with node_client(settings, Fediverse()) as ben:
        await sign_in(ben, "ben")
        assert (await ben.get(f"{path}/edit")).status_code == 403
        csrf = hidden_fields((await ben.get("/new/post")).text)
        refused = await ben.post(f"{path}/edit", data={**csrf, "content": "Hacked"})
        assert refused.status_code == 403
    await sign_in(browser, "anna")
    form = await browser.get(f"{path}/edit")
    assert form.status_code == 200 and "Rehersal at 7" in form.text
    assert "Repetition klockan 7" in form.text and 'name="visibility"' not in form.text
    assert "Probe um 7" in form.text
    fields = {**hidden_fields(form.text), "content": "Rehearsal at 7", "language": "en",
              "tr_lang_1": "sv", "tr_text_1": "Repetition klockan 7", "tr_lang_2": "de",
              "tr_text_2": "Probe um 7"}  # fmt: skip
    saved = await browser.post(f"{path}/edit", data=fields)
    assert saved.status_code == 303 and saved.headers["location"] == f"{path}?done=edited"
    [edited] = await posts(db)
    assert "Rehearsal at 7" in edited.content and edited.visibility == "public"
    assert set(edited.content_map) == {"en", "sv", "de"}
    [update] = await activities(db, "Update")
    assert await fan_out(db, settings, update) == [SHARED]
    empty = await browser.post(f"{path}/edit", data={**fields, "content": ""})
    assert empty.status_code == 422 and 'href="#p-content"' in empty.text


async def test_a_reply_to_an_event_shows_beneath_it(browser, db, settings) -> None:
    await member_with_password(db, settings, "anna")
    await member_with_password(db, settings, "ben")
    path, _token = await an_event(db, settings)
    await sign_in(browser, "ben")
    page = await browser.get(path, headers=HTML)
    [link] = re.findall(r'href="(/new/post\?reply_to=[^"]+)"', page.text)
    response = await write(browser, html.unescape(link), content="Can I bring a friend?")
    assert response.status_code == 303 and response.headers["location"] == f"{path}#replies"
    thread = await browser.get(path, headers=HTML)
    assert "Can I bring a friend?" in thread.text
