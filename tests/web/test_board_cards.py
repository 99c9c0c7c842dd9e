"""A call's card is worded once and kept (web/call_views.py): an edit, a close, another project
name or another language words it anew; what one page does with its card never reaches the
next page's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smartnode.content.call_cases import CallView
from smartnode.storage.models import Actor, ContentObject
from smartnode.web.call_views import call_card
from smartnode.web.i18n import using

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def a_call(**fields: object) -> CallView:
    project = Actor(id=7, uri="https://se.smart.test/projects/jazz", local=True, kind="project",
                    username="jazz", name="Jazz Collective")  # fmt: skip
    obj = ContentObject(
        id=41, uri="https://se.smart.test/calls/ab", local=True, kind="call", name="Bassist",
        language="sv", content="<p>Spela bas</p>", state="open",
        closes_at=NOW + timedelta(days=9), updated_at=NOW,
        extra={"call": {"title": "Bassist", "paid": {"amount": "200", "currency": "EUR",
                                                     "unit": "day"}, "country": "SE"}},
    )  # fmt: skip
    for name, value in fields.items():
        setattr(obj, name, value)
    return CallView(obj, project)


def test_a_card_is_worded_anew_when_what_it_shows_changes() -> None:
    view = a_call()
    with using("en"):
        first = call_card(view, "se.smart.test")
        assert (first["title"], first["state"], first["place"]) == ("Bassist", "Open", "Sweden")
        assert first["pay"] == "€200.00 per day"
        first["title"] = "changed by a page"
        assert call_card(view, "se.smart.test")["title"] == "Bassist"
        view.obj.extra = {"call": {"title": "Bass player"}}
        view.obj.updated_at = NOW + timedelta(minutes=1)  # an edit moves updated_at
        assert call_card(view, "se.smart.test")["title"] == "Bass player"
        view.obj.state = "filled"
        assert call_card(view, "se.smart.test")["state"] == "Filled"
        view.author.name = "Nordic Jazz"
        assert call_card(view, "se.smart.test")["project"] == "Nordic Jazz"
    with using("sv"):
        swedish = call_card(a_call(), "se.smart.test")
        assert (swedish["state"], swedish["place"]) == ("Öppen", "Sverige")
        assert swedish["pay"].endswith("per dag")
