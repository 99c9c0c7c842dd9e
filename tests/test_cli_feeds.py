"""`smartnode feed create|list|edit|delete`: what it prints and the rows it leaves."""

from __future__ import annotations

import orjson
from sqlalchemy import select

from smartnode.storage.models import Activity, Actor
from smartnode.storage.models_work import TopicFeed
from tests.conftest import TEST_BASE_URL, TEST_DOMAIN, Invoke, query

SKILL = "http://data.europa.eu/esco/skill/16ac3d37-dd72-40c3-863d-dab1ded961be"


def test_feed_create_list_delete(smartnode: Invoke, database_url: str) -> None:
    created = smartnode(
        "feed", "create", "calls-music", "--name", "Open calls in music", "--sector", "Music",
        "--skill", SKILL, "--country", "se", "--remote",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert f"@calls-music@{TEST_DOMAIN}" in created.output
    assert f"{TEST_BASE_URL}/feeds/calls-music.rss" in created.output
    [(actor, feed)] = query(
        database_url, select(Actor, TopicFeed).join(TopicFeed, TopicFeed.actor_id == Actor.id)
    )
    assert (actor.kind, actor.ap_type, actor.uri) == (
        "feed", "Service", f"{TEST_BASE_URL}/feeds/calls-music",
    )  # fmt: skip
    assert feed.filter == {"sector": "music", "skill": SKILL, "country": "SE", "remote": True}

    listed = smartnode("feed", "list", "--json")
    assert listed.exit_code == 0, listed.output
    [row] = orjson.loads(listed.output)
    assert row["slug"] == "calls-music" and row["filter"]["country"] == "SE"

    deleted = smartnode("feed", "delete", "calls-music")
    assert deleted.exit_code == 0, deleted.output
    [(deleted_at,)] = query(database_url, select(Actor.deleted_at).where(Actor.kind == "feed"))
    assert deleted_at is not None
    [(kind,)] = query(database_url, select(Activity.activity_type))
    assert kind == "Delete"
    assert orjson.loads(smartnode("feed", "list", "--json").output) == []


def test_feed_create_refuses_bad_filters_in_one_line(smartnode: Invoke) -> None:
    result = smartnode("feed", "create", "calls-x", "--name", "X", "--skill", "mixing")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "ESCO" in result.output
    taken = smartnode("feed", "create", "calls-x", "--name", "X")
    assert taken.exit_code == 0, taken.output
    again = smartnode("feed", "create", "calls-x", "--name", "X")
    assert again.exit_code == 1 and "already taken" in again.output


def test_feed_edit_changes_name_and_filter_and_sends_update(
    smartnode: Invoke, database_url: str
) -> None:
    created = smartnode("feed", "create", "calls-se", "--name", "Sweden", "--country", "SE",
                        "--remote", "--summary", "Calls for Swedish work")  # fmt: skip
    assert created.exit_code == 0, created.output
    edited = smartnode("feed", "edit", "calls-se", "--name", "Calls in Sweden", "--clear",
                       "remote", "--sector", "music")  # fmt: skip
    assert edited.exit_code == 0, edited.output
    assert "Boosts: 0 announced, 0 undone" in edited.output
    [(actor, feed)] = query(
        database_url, select(Actor, TopicFeed).join(TopicFeed, TopicFeed.actor_id == Actor.id)
    )
    assert actor.name == "Calls in Sweden" and feed.description == "Calls for Swedish work"
    assert feed.filter == {"country": "SE", "sector": "music"}
    [(kind, obj)] = query(database_url, select(Activity.activity_type, Activity.object_uri))
    assert (kind, obj) == ("Update", actor.uri)


def test_feed_edit_refuses_bad_input_in_one_line(smartnode: Invoke) -> None:
    assert smartnode("feed", "create", "calls-x", "--name", "X").exit_code == 0
    for args, message in [
        ((), "nothing to change"),
        (("--clear", "colour"), "not a filter key"),
        (("--skill", "mixing"), "ESCO"),
    ]:
        result = smartnode("feed", "edit", "calls-x", *args)
        assert result.exit_code in (1, 2) and "Traceback" not in result.output
        assert message in result.output, result.output
    missing = smartnode("feed", "edit", "nope", "--name", "Y")
    assert missing.exit_code == 1 and "Traceback" not in missing.output
