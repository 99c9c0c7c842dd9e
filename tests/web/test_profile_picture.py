"""A member's picture from the profile form (multipart, no JavaScript): re-encoded without its
GPS position, served at /media/…, the actor's `icon` (with mediaType) in its document and in
the Update{Person} its followers get; replaced or removed with the files following; refused
uploads explained in the member's language with nothing left behind."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from smartnode.storage.models import Actor
from smartnode.storage.models_media import Media
from tests.accounts.account_support import hidden_fields, member_with_password, sign_in
from tests.content import activities, add_follower, fan_out, node_client
from tests.inbox import Fediverse
from tests.media import metadata_of, photo_with_gps, picture_bytes, png_bomb

ALICE = "https://mastodon.example/users/alice"
PATH = "/account/profile"
AS_JSON = {"Accept": "application/activity+json"}
#: A small upload limit, so that the tests need no 10 MB bodies.
LIMIT = 200_000


@pytest.fixture
def settings(settings):
    settings.media_max_bytes = LIMIT
    return settings


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(ALICE)
    return fediverse


@pytest.fixture
async def browser(settings, world, db) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


@pytest.fixture
async def anna(db, settings) -> Actor:
    actor = await member_with_password(db, settings, "anna", name="Anna", language="sv")
    await add_follower(db, actor, ALICE)
    return actor


async def form(browser: httpx.AsyncClient, **headers: str) -> dict[str, str]:
    """The form as shown, with what a browser sends back unchanged."""
    page = await browser.get(PATH, headers=headers)
    return {**hidden_fields(page.text), "name": "Anna", "language": "sv"}


async def send(browser, fields, picture: bytes | None = None, name: str = "IMG_0001.jpg",
               **headers: str) -> httpx.Response:  # fmt: skip
    files = {"avatar": (name, picture, "image/jpeg")} if picture is not None else None
    return await browser.post(PATH, data=fields, files=files, headers=headers)


async def icon_of(db, actor: Actor) -> str | None:
    async with db.session() as s:
        found = await s.get(Actor, actor.id)
        return found.icon_url if found else None


async def media_rows(db) -> list[Media]:
    async with db.session() as s:
        return list((await s.scalars(select(Media).order_by(Media.id))).all())


def files_in(folder: Path) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


async def test_an_uploaded_photo_loses_its_gps_and_becomes_the_icon_followers_get(
    browser, db, settings, anna
) -> None:
    before = await browser.get("/members/anna", headers=AS_JSON)  # cached from now on
    assert "icon" not in before.json()
    await sign_in(browser, "anna")
    page = await browser.get(PATH)
    assert 'enctype="multipart/form-data"' in page.text
    assert 'type="file"' in page.text and 'name="avatar"' in page.text
    assert "Remove the picture" not in page.text  # nothing to remove yet
    saved = await send(browser, await form(browser), photo_with_gps(600, 400))
    assert saved.status_code == 303 and saved.headers["location"] == f"{PATH}?saved=1"

    icon = await icon_of(db, anna)
    assert icon is not None and icon.startswith("https://se.smart.test/media/")
    assert icon.endswith(".jpg") and "IMG_0001" not in icon
    [row] = await media_rows(db)
    assert (row.owner_id, row.content_type, row.width, row.height) == (anna.id, "image/jpeg",
                                                                      400, 400)  # fmt: skip
    assert files_in(settings.media_dir) == [row.file_name] and icon.endswith(row.file_name)
    served = await browser.get(icon.removeprefix(settings.base_url))
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert metadata_of(served.content)["exif"] == {} and b"PhoneCo" not in served.content

    document = (await browser.get("/members/anna", headers=AS_JSON)).json()
    assert document["icon"] == {"type": "Image", "mediaType": "image/jpeg", "url": icon}
    [update] = await activities(db, "Update")
    assert update.document["object"]["icon"] == document["icon"]
    assert await fan_out(db, settings, update) == [f"{ALICE}/inbox"]

    again = await browser.get(f"{PATH}?saved=1")
    assert f'<img class="avatar" src="{icon}" alt="Anna"' in again.text
    assert "Remove the picture" in again.text and "Choose another picture" in again.text
    public = await browser.get("/members/anna", headers={"Accept": "text/html"})
    assert f'<img class="avatar" src="{icon}" alt="Profile picture of Anna"' in public.text


async def test_a_new_picture_replaces_the_old_one_and_remove_takes_it_away(
    browser, db, settings, anna
) -> None:
    await sign_in(browser, "anna")
    assert (await send(browser, await form(browser), photo_with_gps())).status_code == 303
    [first] = await media_rows(db)
    png = picture_bytes("PNG", (500, 800))
    replaced = await send(browser, await form(browser), png, "me.png")
    assert replaced.status_code == 303
    [second] = await media_rows(db)
    assert second.file_name != first.file_name and second.content_type == "image/png"
    assert (second.width, second.height) == (400, 400)
    assert files_in(settings.media_dir) == [second.file_name]  # the first file is gone
    assert (await browser.get(f"/media/{first.file_name}")).status_code == 404

    unchanged = await send(browser, await form(browser))  # no file chosen: the picture stays
    assert unchanged.status_code == 303 and (await icon_of(db, anna)).endswith(second.file_name)

    removed = await send(browser, {**await form(browser), "avatar_remove": "1"})
    assert removed.status_code == 303 and await icon_of(db, anna) is None
    assert await media_rows(db) == [] and files_in(settings.media_dir) == []
    updates = await activities(db, "Update")
    assert len(updates) == 4 and "icon" not in updates[-1].document["object"]
    document = (await browser.get("/members/anna", headers=AS_JSON)).json()
    assert "icon" not in document


@pytest.mark.parametrize(
    ("upload", "status", "words"),
    [
        (b"Dear diary, today I renamed a text file.", 422,
         "Den här filen är ingen bild vi kan använda"),
        (png_bomb(), 422, "Bilden har för många pixlar"),
        (png_bomb(7_000, 7_000), 422, "Bilden har för många pixlar"),
        (b"\xff\xd8\xff" + b"x" * LIMIT, 413, "Bilden är för stor"),
    ],
)  # fmt: skip
async def test_refused_uploads_are_explained_in_the_members_language_and_leave_nothing(
    browser, db, settings, anna, upload, status, words
) -> None:
    await sign_in(browser, "anna")
    fields = {**await form(browser, **{"Accept-Language": "sv"}), "city": "Lund"}
    refused = await send(browser, fields, upload, "picture.png", **{"Accept-Language": "sv"})
    assert refused.status_code == status and 'class="error-summary"' in refused.text
    assert "Din profil sparades inte" in refused.text
    assert f'<a href="#f-avatar">{words}' in refused.text
    assert 'id="f-avatar-error"' in refused.text and 'value="Lund"' in refused.text
    assert await media_rows(db) == [] and files_in(settings.media_dir) == []
    assert await activities(db, "Update") == [] and await icon_of(db, anna) is None


async def test_only_the_profile_form_takes_a_body_past_1_mib_and_past_its_cap_it_is_413(
    browser, db, settings, anna
) -> None:
    await sign_in(browser, "anna")
    fields = await form(browser)
    over_a_mib = b"\xff\xd8\xff" + b"x" * (1024 * 1024 + 1024)
    read = await send(browser, fields, over_a_mib)
    assert read.status_code == 413 and "This picture is too large" in read.text  # the page
    elsewhere = await browser.post("/account/password", data={**fields, "x": over_a_mib.hex()})
    assert elsewhere.status_code == 413 and elsewhere.json()["code"] == "payload_too_large"
    past_cap = await send(browser, fields, b"\xff\xd8\xff" + b"x" * (LIMIT + 1024 * 1024))
    assert past_cap.status_code == 413 and past_cap.json()["code"] == "payload_too_large"
    assert await media_rows(db) == [] and files_in(settings.media_dir) == []
    assert await activities(db, "Update") == []
