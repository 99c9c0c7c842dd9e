"""Pure shapes: Mastodon's addressing, bodies with links, and tolerant parsing of remote notes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smartnode.content.audience import addressing, visibility_of
from smartnode.content.compose import MentionRef, body_html, excerpt, hashtag_names
from smartnode.content.inputs import Visibility
from smartnode.content.notes_from_ap import BadNote, note_from_ap
from smartnode.content.notes_to_ap import restore_language_order
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import PUBLIC

URIS = NodeUris(base_url="https://se.smart.test", domain="se.smart.test")
ANNA = "https://se.smart.test/members/anna"
FOLLOWERS = f"{ANNA}/followers"
BOB = "https://social.example/users/bob"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("visibility", "to", "cc"),
    [
        (Visibility.PUBLIC, [PUBLIC], [FOLLOWERS, BOB]),
        (Visibility.UNLISTED, [FOLLOWERS], [PUBLIC, BOB]),
        (Visibility.FOLLOWERS, [FOLLOWERS], [BOB]),
        (Visibility.DIRECT, [BOB], []),
        (Visibility.TEAM, ["https://se.smart.test/members/bo"], [BOB]),
    ],
)
def test_addressing_follows_mastodon(visibility, to, cc) -> None:
    found = addressing(
        visibility, ANNA, [BOB, BOB, ANNA], ["https://se.smart.test/members/bo", ANNA]
    )
    assert (found.to, found.cc) == (to, cc)


@pytest.mark.parametrize(
    ("to", "cc", "expected"),
    [
        ([PUBLIC], [], Visibility.PUBLIC),
        (["as:Public"], [], Visibility.PUBLIC),
        ([FOLLOWERS], [PUBLIC], Visibility.UNLISTED),
        ([FOLLOWERS], [], Visibility.FOLLOWERS),
        ([BOB], [FOLLOWERS], Visibility.DIRECT),  # Mastodon: followers count only in `to`
        ([], [], Visibility.DIRECT),
    ],
)
def test_visibility_of_a_remote_object(to, cc, expected) -> None:
    assert visibility_of(to, cc, FOLLOWERS) is expected


def test_plain_text_body_links_urls_mentions_and_hashtags() -> None:
    refs = [MentionRef(BOB, "bob@social.example", "https://social.example/@bob")]
    html = body_html(
        URIS, "Hi @bob@social.example, see https://x.example/a?b=1&c=2. #Jazz <b>", "text", refs,
        hashtag_names("#Jazz", ["live music"]),
    )  # fmt: skip
    assert '<a href="https://social.example/@bob" class="u-url mention"' in html
    assert '<a href="https://x.example/a?b=1&amp;c=2"' in html and "c=2</a>." in html
    assert "#<span>Jazz</span></a> &lt;b&gt;</p>" in html
    assert html.endswith("#<span>LiveMusic</span></a></p>")


def test_entities_and_urls_do_not_become_hashtags() -> None:
    html = body_html(URIS, "It's https://x.example/#top", "text", [], [])
    assert "hashtag" not in html


def test_excerpt_cuts_at_a_word() -> None:
    assert excerpt("<p>" + "ord " * 300 + "</p>", 20) == "ord ord ord ord ord…"
    assert excerpt("<p>kort</p><p>text</p>") == "kort text"


def test_remote_note_parsing_is_tolerant() -> None:
    note = note_from_ap(
        {
            "id": "https://m.example/n/1",
            "type": ["Object", "Article"],
            "attributedTo": [
                {"type": "Group", "id": "https://m.example/g"},
                {"type": "Person", "id": "https://m.example/u"},
            ],
            "name": "<b>Title</b> &amp; more",
            "content": 42,
            "contentMap": {"fr": "<p>Bonjour</p>", "xx-!": "<p>bad</p>"},
            "url": [{"type": "Link", "href": "https://elsewhere.example/x"}],
            "to": "https://www.w3.org/ns/activitystreams#Public",
            "cc": {"id": BOB},
            "tag": [{"type": "Mention", "href": "javascript:x"}, "junk", {"type": "Hashtag"}],
            "published": "not a date",
            "updated": "2026-11-26T13:00:00+01:00",
        },
        NOW,
    )
    assert (note.ap_type, note.attributed_to, note.name) == ("Article", "https://m.example/u",
                                                           "Title & more")  # fmt: skip
    assert (note.content, note.content_map, note.language) == (
        "<p>Bonjour</p>", {"fr": "<p>Bonjour</p>"}, "fr"
    )  # fmt: skip
    assert note.url is None  # a url on another origin than the object is not kept
    assert (note.to, note.cc, note.tags) == ([PUBLIC], [BOB], [])
    assert note.published_at == NOW and note.updated_at == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "doc",
    [
        {"type": "Note", "attributedTo": BOB},
        {"id": "ftp://x/1", "type": "Note", "attributedTo": BOB},
        {"id": "https://m.example/1", "type": "Audio", "attributedTo": BOB},
        {"id": "https://m.example/1", "type": "Note"},
        {"id": "https://m.example/1", "type": "Note", "attributedTo": "urn:x"},
    ],
)
def test_what_is_not_a_note_is_refused(doc) -> None:
    with pytest.raises(BadNote):
        note_from_ap(doc, NOW)


def test_remote_times_in_the_future_are_taken_as_now() -> None:
    doc = {"id": "https://m.example/n/2", "type": "Note", "attributedTo": BOB, "content": "x",
           "published": "2031-01-01T00:00:00Z", "updated": "2030-01-01T00:00:00Z"}  # fmt: skip
    note = note_from_ap(doc, NOW)
    assert (note.published_at, note.updated_at) == (NOW, NOW)
    earlier = note_from_ap({**doc, "published": "2026-11-20T08:00:00Z", "updated": None}, NOW)
    assert earlier.published_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert earlier.updated_at is None


def test_language_order_is_restored_after_a_jsonb_round_trip() -> None:
    stored = {
        "type": "Update",
        "object": {"type": "Person", "summary": "<p>Hej</p>",
                   "summaryMap": {"en": "<p>Hi</p>", "sv": "<p>Hej</p>"}},
        "content": "<p>Salut</p>",
        "contentMap": {"de": "<p>Hallo</p>", "fr": "<p>Salut</p>"},
    }  # fmt: skip
    fixed = restore_language_order(stored)
    assert list(fixed["contentMap"]) == ["fr", "de"]
    assert list(fixed["object"]["summaryMap"]) == ["sv", "en"]
    assert list(stored["contentMap"]) == ["de", "fr"]  # the stored document is left alone
