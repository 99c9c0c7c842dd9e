"""/api/smart/v1/actors/{username}/posts and /api/smart/v1/posts/{id}: member auth, the rows
written and
the Create/Update/Delete activities on the wire (addressing, mentions, hashtags, languages)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from smartnode.actors.projects import Role, add_to_team
from smartnode.content.notes_to_ap import restore_language_order
from smartnode.federation.vocab import PUBLIC
from smartnode.storage.models import Job
from smartnode.storage.models_accounts import ApiToken
from tests.api.test_v1_auth import admin_headers
from tests.conftest import make_member, make_project, query
from tests.content import activities, add_follower, fan_out, member_headers, node_client, objects
from tests.inbox import Fediverse

ALICE = "https://mastodon.example/users/alice"
BOB = "https://social.example/users/bob"
AP = {"Accept": "application/activity+json"}


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(ALICE, name="Alice Martin")
    fediverse.actor(BOB)
    return fediverse


@pytest.fixture
async def api(settings, db, world) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


@pytest.fixture
async def anna(db, settings):
    return await make_member(db, settings, "anna", language="sv")


async def post(api, username: str, headers: dict, **body) -> httpx.Response:
    return await api.post(f"/api/smart/v1/actors/{username}/posts", json=body, headers=headers)


async def test_member_posts_a_public_note_sent_as_create_to_followers(
    api, db, settings, anna
) -> None:
    await add_follower(db, anna, ALICE, shared_inbox="https://mastodon.example/inbox")
    headers = await member_headers(db, anna)
    response = await post(api, "anna", headers, content="Hej!\n\nVi spelar i Malmö.")
    assert response.status_code == 201, response.text
    out = response.json()
    assert response.headers["location"] == f"{settings.base_url}/api/smart/v1/posts/{out['id']}"
    assert out["uri"] == f"{settings.base_url}/notes/{out['id']}" and out["type"] == "Note"
    assert out["content"] == "<p>Hej!</p><p>Vi spelar i Malmö.</p>"
    [row] = await objects(db)
    assert (row.local, row.visibility, row.kind, row.language) == (
        True,
        "public",
        "announcement",
        "sv",
    )
    assert row.audience == {"to": [PUBLIC], "cc": [f"{anna.uri}/followers"]}
    [create] = await activities(db, "Create")
    assert create.public and create.object_uri == row.uri and create.actor_id == anna.id
    note = create.document["object"]
    assert (note["id"], note["type"], note["attributedTo"]) == (row.uri, "Note", anna.uri)
    assert (create.document["to"], create.document["cc"]) == (note["to"], note["cc"])
    assert note["contentMap"] == {"sv": out["content"]} and "summary" not in note
    served = (await api.get(f"/notes/{out['id']}", headers=AP)).json()
    assert {k: v for k, v in served.items() if k != "@context"} == note
    async with db.session() as s:
        assert len((await s.scalars(select(Job))).all()) == 1
    assert await fan_out(db, settings, create) == ["https://mastodon.example/inbox"]


async def test_mentions_and_hashtags_are_linked_tagged_and_addressed(
    api, db, settings, anna
) -> None:
    bo = await make_member(db, settings, "bo")
    headers = await member_headers(db, anna)
    response = await post(
        api, "anna", headers, content="Tack @bo och @alice@mastodon.example! #Jazz i kväll",
        mentions=["@bo@se.smart.test", "@alice@mastodon.example"],
        hashtags=["sound design", "jazz"],
    )  # fmt: skip
    assert response.status_code == 201, response.text
    out = response.json()
    [create] = await activities(db, "Create")
    note = create.document["object"]
    assert note["cc"] == [f"{anna.uri}/followers", bo.uri, ALICE]
    mentions = [t for t in note["tag"] if t["type"] == "Mention"]
    assert mentions == [
        {"type": "Mention", "href": bo.uri, "name": "@bo@se.smart.test"},
        {"type": "Mention", "href": ALICE, "name": "@alice@mastodon.example"},
    ]
    tags = [(t["name"], t["href"]) for t in note["tag"] if t["type"] == "Hashtag"]
    assert tags == [("#Jazz", f"{settings.base_url}/tags/Jazz"),
                    ("#SoundDesign", f"{settings.base_url}/tags/SoundDesign")]  # fmt: skip
    assert f'<a href="{bo.uri}" class="u-url mention"' in note["content"]
    assert (
        'class="mention hashtag"' in note["content"]
        and "#<span>SoundDesign</span>" in note["content"]
    )
    assert out["mentions"] == [bo.uri, ALICE] and out["hashtags"] == ["Jazz", "SoundDesign"]
    assert await fan_out(db, settings, create) == ["https://mastodon.example/inbox"]


async def test_an_unknown_mention_is_refused_and_nothing_is_stored(api, db, anna) -> None:
    headers = await member_headers(db, anna)
    response = await post(api, "anna", headers, content="hi", mentions=["@nobody@mastodon.example"])
    assert response.status_code == 422 and "nobody" in response.json()["error"]
    assert await objects(db) == [] and await activities(db) == []


@pytest.mark.parametrize(
    ("visibility", "to", "cc", "public"),
    [
        ("public", [PUBLIC], ["{followers}", BOB], True),
        ("unlisted", ["{followers}"], [PUBLIC, BOB], True),
        ("followers", ["{followers}"], [BOB], False),
        ("direct", [BOB], [], False),
    ],
)
async def test_visibility_addresses_as_mastodon_does(
    api, db, settings, anna, visibility, to, cc, public
) -> None:
    headers = await member_headers(db, anna)
    response = await post(api, "anna", headers, content="x", visibility=visibility, mentions=[BOB])
    assert response.status_code == 201, response.text
    followers = f"{anna.uri}/followers"
    [create] = await activities(db, "Create")
    note = create.document["object"]
    assert note["to"] == [i.replace("{followers}", followers) for i in to]
    assert note["cc"] == [i.replace("{followers}", followers) for i in cc]
    assert create.public is public
    assert (await objects(db))[0].visibility == visibility


async def test_coordinator_posts_as_the_project_and_a_team_post_reaches_the_team(
    api, db, settings, anna
) -> None:
    project = await make_project(db, settings, "Malmö Opera", "anna")
    bo = await make_member(db, settings, "bo")
    async with db.session() as s, s.begin():
        await add_to_team(s, project, bo, Role.MEMBER, anna.created_at)
    await add_follower(db, project, ALICE)
    headers = await member_headers(db, anna)
    public = await post(api, project.username, headers, content="Premiär!")
    team = await post(api, project.username, headers, content="Repetition", visibility="team")
    assert (public.status_code, team.status_code) == (201, 201), team.text
    assert public.json()["author"] == project.uri and public.json()["project"] == project.username
    note = (await activities(db, "Create"))[1].document["object"]
    assert (note["to"], note["cc"]) == ([anna.uri, bo.uri], [])
    assert {t["href"] for t in note["tag"] if t["type"] == "Mention"} == {anna.uri, bo.uri}
    rows = await objects(db)
    assert [(r.actor_id, r.project_id, r.visibility) for r in rows] == [
        (project.id, project.id, "public"), (project.id, project.id, "team")
    ]  # fmt: skip


async def test_who_may_post_as_whom(api, db, settings, anna) -> None:
    bo = await make_member(db, settings, "bo")
    project = await make_project(db, settings, "Malmö Opera", "anna")
    async with db.session() as s, s.begin():
        await add_to_team(s, project, bo, Role.MEMBER, anna.created_at)
    bo_headers, admin = await member_headers(db, bo), await admin_headers(db)
    assert (await post(api, "anna", bo_headers, content="x")).status_code == 403
    assert (await post(api, project.username, bo_headers, content="x")).status_code == 403
    assert (await post(api, "anna", {}, content="x")).status_code == 401
    assert (await post(api, "anna", admin, content="x")).status_code == 403
    as_anna = await api.post("/api/smart/v1/actors/anna/posts?as=anna", json={"content": "x"},
                             headers=admin)  # fmt: skip
    assert as_anna.status_code == 201 and as_anna.json()["author"] == anna.uri
    sneaky = await api.post("/api/smart/v1/actors/anna/posts?as=anna", json={"content": "x"},
                            headers=bo_headers)  # fmt: skip
    assert sneaky.status_code == 403
    member_on_admin_route = await api.post(
        "/api/smart/v1/members", json={"username": "eve", "name": "Eve"}, headers=bo_headers
    )
    assert member_on_admin_route.status_code == 403
    assert len(await objects(db)) == 1


async def test_team_post_by_a_member_needs_a_project_they_are_in(api, db, settings, anna) -> None:
    headers = await member_headers(db, anna)
    await make_member(db, settings, "bo")
    other = await make_project(db, settings, "Other", "bo")
    missing = await post(api, "anna", headers, content="x", visibility="team")
    outsider = await post(api, "anna", headers, content="x", visibility="team",
                          project=other.username)  # fmt: skip
    assert (missing.status_code, outsider.status_code) == (422, 403)
    assert await objects(db) == []


async def test_article_has_title_excerpt_and_link_and_translations_come_after(
    api, db, anna
) -> None:
    headers = await member_headers(db, anna)
    long = " ".join(["Ljuddesign"] * 120)
    response = await post(
        api, "anna", headers, name="Sommarens turné", content=long, language="sv",
        content_map={"en": "Sound design all summer", "sv": "ignored: content wins"},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    note = (await activities(db, "Create"))[0].document["object"]
    assert (note["type"], note["name"], note["url"]) == ("Article", "Sommarens turné", note["id"])
    assert note["summary"].startswith("<p>Ljuddesign") and note["summary"].endswith("…</p>")
    assert len(note["summary"]) < 520
    # JSONB keeps no key order: the author's language is put first again when sent and served
    assert list(restore_language_order(note)["contentMap"]) == ["sv", "en"]
    served = (await api.get(f"/notes/{response.json()['id']}", headers=AP)).json()
    assert list(served["contentMap"]) == ["sv", "en"]
    assert note["contentMap"]["en"] == "<p>Sound design all summer</p>"
    assert note["content"] == note["contentMap"]["sv"]


async def test_attachments_carry_alt_text_as_name(api, db, anna) -> None:
    headers = await member_headers(db, anna)
    response = await post(
        api, "anna", headers, content="Bild",
        attachments=[{"url": "https://cdn.example/stage.jpg", "alt": "A stage at night"}],
    )  # fmt: skip
    assert response.status_code == 201
    note = (await activities(db, "Create"))[0].document["object"]
    assert note["attachment"] == [
        {"type": "Document", "url": "https://cdn.example/stage.jpg", "mediaType": "image/jpeg",
         "name": "A stage at night"}
    ]  # fmt: skip


async def test_html_content_is_sanitised(api, db, anna) -> None:
    headers = await member_headers(db, anna)
    evil = '<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:x">y</a></p>'
    response = await post(api, "anna", headers, content=evil, format="html")
    assert response.status_code == 201
    content = (await objects(db))[0].content
    assert "script" not in content and "onclick" not in content and "javascript" not in content


async def test_reply_to_our_post_is_threaded(api, db, settings, anna) -> None:
    headers = await member_headers(db, anna)
    first = (await post(api, "anna", headers, content="Fråga?")).json()
    reply = await post(api, "anna", headers, content="Svar", in_reply_to=first["uri"])
    assert reply.status_code == 201
    assert reply.json()["in_reply_to"] == first["uri"]
    parent, child = await objects(db)
    assert (parent.replies_count, child.kind, child.in_reply_to_uri) == (1, "reply", parent.uri)
    note = (await activities(db, "Create"))[1].document["object"]
    assert note["inReplyTo"] == first["uri"]


async def test_edit_sends_update_with_the_same_audience(api, db, settings, anna) -> None:
    headers = await member_headers(db, anna)
    first = (await post(api, "anna", headers, content="Före", visibility="followers",
                        hashtags=["jazz"])).json()  # fmt: skip
    changed = await api.patch(f"/api/smart/v1/posts/{first['id']}", json={"content": "Efter"},
                              headers=headers)  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["content"].startswith("<p>Efter</p>")
    assert changed.json()["hashtags"] == ["Jazz"]
    [update] = await activities(db, "Update")
    note = update.document["object"]
    assert note["content"] == changed.json()["content"] and "updated" in note
    assert (note["to"], note["cc"]) == ([f"{anna.uri}/followers"], [])
    assert update.public is False
    widen = await api.patch(f"/api/smart/v1/posts/{first['id']}", json={"visibility": "public"},
                            headers=headers)  # fmt: skip
    assert widen.status_code == 422
    assert (await objects(db))[0].visibility == "followers"


async def test_only_the_author_or_a_coordinator_changes_a_post(api, db, settings, anna) -> None:
    bo = await make_member(db, settings, "bo")
    project = await make_project(db, settings, "Malmö Opera", "anna")
    async with db.session() as s, s.begin():
        await add_to_team(s, project, bo, Role.COORDINATOR, anna.created_at)
    anna_headers, bo_headers = await member_headers(db, anna), await member_headers(db, bo)
    mine = (await post(api, "anna", anna_headers, content="Min")).json()
    private = (await post(api, "anna", anna_headers, content="P", visibility="direct",
                          mentions=[BOB])).json()  # fmt: skip
    ours = (await post(api, project.username, anna_headers, content="Vår")).json()
    edit = {"content": "hijacked"}
    assert (await api.patch(f"/api/smart/v1/posts/{mine['id']}", json=edit, headers=bo_headers)
            ).status_code == 403  # fmt: skip
    assert (await api.delete(f"/api/smart/v1/posts/{private['id']}", headers=bo_headers)
            ).status_code == 404  # fmt: skip
    by_coordinator = await api.patch(
        f"/api/smart/v1/posts/{ours['id']}", json=edit, headers=bo_headers
    )
    assert by_coordinator.status_code == 200
    rows = {r.uri: r.content for r in await objects(db)}
    assert rows[mine["uri"]] == "<p>Min</p>" and rows[ours["uri"]] == "<p>hijacked</p>"


async def test_delete_leaves_a_tombstone_and_sends_delete_to_the_audience(
    api, db, settings, anna
) -> None:
    await add_follower(db, anna, ALICE, shared_inbox="https://mastodon.example/inbox")
    headers = await member_headers(db, anna)
    first = (await post(api, "anna", headers, content="Bort", mentions=[BOB])).json()
    assert (await api.get(f"/notes/{first['id']}", headers=AP)).status_code == 200
    removed = await api.delete(f"/api/smart/v1/posts/{first['id']}", headers=headers)
    assert removed.status_code == 204
    gone = await api.get(f"/notes/{first['id']}", headers=AP)
    assert gone.status_code == 410
    assert gone.json() == {"@context": "https://www.w3.org/ns/activitystreams", "id": first["uri"],
                           "type": "Tombstone", "formerType": "Note",
                           "deleted": gone.json()["deleted"]}  # fmt: skip
    [row] = await objects(db)
    assert row.deleted_at is not None and row.content == "" and row.content_map == {}
    [delete] = await activities(db, "Delete")
    assert delete.document["object"]["type"] == "Tombstone"
    assert delete.document["object"]["id"] == first["uri"]
    inboxes = ["https://mastodon.example/inbox", "https://social.example/inbox"]
    assert await fan_out(db, settings, delete) == inboxes
    assert (await api.get(f"/api/smart/v1/posts/{first['id']}")).status_code == 410
    again = await api.delete(f"/api/smart/v1/posts/{first['id']}", headers=headers)
    assert again.status_code == 410


async def test_reads_show_public_posts_newest_first_in_pages(api, db, anna) -> None:
    headers = await member_headers(db, anna)
    for n in range(3):
        assert (await post(api, "anna", headers, content=f"n{n}")).status_code == 201
    hidden = (await post(api, "anna", headers, content="f", visibility="followers")).json()
    page = (await api.get("/api/smart/v1/actors/anna/posts?limit=2")).json()
    assert [p["content"] for p in page["items"]] == ["<p>n2</p>", "<p>n1</p>"]
    rest = (await api.get(page["next"])).json()
    assert [p["content"] for p in rest["items"]] == ["<p>n0</p>"] and rest["next"] is None
    assert (await api.get(f"/api/smart/v1/posts/{hidden['id']}")).status_code == 404
    assert (await api.get(f"/api/smart/v1/posts/{page['items'][0]['id']}")).status_code == 200
    assert (await api.get("/api/smart/v1/posts/not-a-token")).status_code == 422
    assert (await api.get("/api/smart/v1/actors/nobody/posts")).status_code == 404


def test_cli_creates_a_member_token(smartnode, database_url) -> None:
    result = smartnode("member", "create", "anna", "--name", "Anna")
    assert result.exit_code == 0, result.output
    created = smartnode("token", "create", "phone", "--member", "anna")
    assert created.exit_code == 0, created.output
    assert "for member 'anna'" in created.stderr
    [(scope, actor_id)] = query(database_url, select(ApiToken.scope, ApiToken.actor_id))
    assert scope == "member" and actor_id is not None
    unknown = smartnode("token", "create", "x", "--member", "nobody")
    assert unknown.exit_code != 0 and "nobody" in unknown.output
