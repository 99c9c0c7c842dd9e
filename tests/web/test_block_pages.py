"""Block and Mute on a member's page, and /account/blocks with Unblock and Unmute, through the
use cases the Mastodon API uses; the words in the member's language."""

from __future__ import annotations

from sqlalchemy import select

from smartnode.storage.models_blocks import AccountBlock, AccountMute
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in

HTML = {"Accept": "text/html"}


async def _rows(db, model) -> list:
    async with db.session() as s:
        return list((await s.scalars(select(model))).all())


async def test_block_and_mute_from_a_members_page_and_undo_them_from_the_list(
    client, db, settings
) -> None:
    await member_with_password(db, settings, "anna", name="Anna")
    bo = await member_with_password(db, settings, "bo", name="Bo Berg")
    assert (await sign_in(client, "anna")).status_code in (200, 303)
    page = await client.get("/members/bo", headers=HTML)
    assert page.status_code == 200
    assert 'action="/account/blocks/block"' in page.text and 'action="/follow"' in page.text
    csrf = hidden_fields(page.text)["csrf"]
    form = {"csrf": csrf, "account": str(bo.id), "next": "/members/bo"}
    for change in ("mute", "block"):
        done = await client.post(f"/account/blocks/{change}", data=form)
        assert (done.status_code, done.headers["location"]) == (303, "/members/bo")
    [block], [mute] = await _rows(db, AccountBlock), await _rows(db, AccountMute)
    assert (block.target_id, mute.target_id, mute.notifications) == (bo.id, bo.id, True)
    after = await client.get("/members/bo", headers={**HTML, "Accept-Language": "sv"})
    assert "Sluta blockera" in after.text and 'action="/follow"' not in after.text
    listed = await client.get("/account/blocks", headers={"Accept-Language": "fr"})
    assert listed.status_code == 200
    assert (
        "Bo Berg" in listed.text and "Débloquer" in listed.text and "Ne plus masquer" in listed.text
    )
    csrf = hidden_fields(listed.text)["csrf"]
    for change in ("unblock", "unmute"):
        done = await client.post(f"/account/blocks/{change}",
                                 data={"csrf": csrf, "account": str(bo.id)})  # fmt: skip
        assert (done.status_code, done.headers["location"]) == (303, "/account/blocks")
    assert await _rows(db, AccountBlock) == [] and await _rows(db, AccountMute) == []
    unknown = await client.post("/account/blocks/block", data={"csrf": csrf, "account": "424242"})
    assert unknown.status_code == 404 and await _rows(db, AccountBlock) == []
    refused = await client.post("/account/blocks/block", data={"account": str(bo.id)})
    assert refused.status_code == 403 and await _rows(db, AccountBlock) == []
