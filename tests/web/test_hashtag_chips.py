"""A post's hashtags are shown once: in its text when the text links them (ours and Mastodon's
do), as a list beneath it only when the text does not."""

from __future__ import annotations

from sqlalchemy import update

from smartnode.storage.models import ContentObject
from tests.conftest import make_member
from tests.content import make_post

HTML = {"Accept": "text/html"}


async def test_hashtags_in_the_text_are_not_listed_again(client, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    post = await make_post(db, settings, anna, content="Rehearsal tonight #jazz")
    page = await client.get(post.uri.removeprefix(settings.base_url), headers=HTML)
    assert page.status_code == 200
    assert page.text.count("/tags/jazz") == 1 and 'class="tags"' not in page.text


async def test_hashtags_missing_from_the_text_are_listed(client, db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    post = await make_post(db, settings, anna, content="Rehearsal tonight #jazz")
    async with db.session() as s, s.begin():  # as a server that tags without linking sends it
        await s.execute(update(ContentObject).where(ContentObject.id == post.id)
                        .values(content="<p>Rehearsal tonight</p>"))  # fmt: skip
    page = await client.get(post.uri.removeprefix(settings.base_url), headers=HTML)
    assert 'class="tags"' in page.text and page.text.count("/tags/jazz") == 1
