"""Calls, events and posts as the pages list them (board, home, project, tag): words in the
page's language (state, place, pay, deadline) from the call's typed terms."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit

from babel import UnknownLocaleError, dates, numbers
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.handles import handle_of
from smartnode.content.call_cases import CallView
from smartnode.content.call_terms import CLOSED, FILLED, OPEN, CallTerms, Pay, call_terms
from smartnode.content.compose import excerpt
from smartnode.matching.taxonomy import preferred_labels
from smartnode.storage.models import Actor, ContentObject
from smartnode.web.formats import babel_locale, format_date, format_datetime, language_label
from smartnode.web.i18n import N_, current_language, gettext

STATES = {OPEN: N_("Open"), CLOSED: N_("Closed"), FILLED: N_("Filled")}
PER_UNIT = {
    "hour": N_("%(amount)s per hour"),
    "day": N_("%(amount)s per day"),
    "week": N_("%(amount)s per week"),
    "month": N_("%(amount)s per month"),
    "year": N_("%(amount)s per year"),
    "project": N_("%(amount)s for the project"),
}


def country_name(code: str | None) -> str:
    """A country's name in the page's language (`Sverige`, `Suède`)."""
    return _territory(code, current_language.get()) if code else ""


@lru_cache(maxsize=2048)
def _territory(code: str, language: str) -> str:
    found = babel_locale(language)
    return code if found is None else str(found.territories.get(code, code))


@lru_cache(maxsize=4096)
def _money(amount: str, currency: str, language: str) -> str:
    """An amount in a currency as `language` writes it (kept: pages repeat the same pays)."""
    try:
        return str(numbers.format_currency(float(amount), currency,
                                           locale=babel_locale(language) or language))  # fmt: skip
    except (ValueError, UnknownLocaleError):
        return f"{amount} {currency}"


def place_words(terms: CallTerms) -> str:
    """`Malmö, Sverige`, `Remote`, or `Remote or Malmö, Sverige`."""
    place = ", ".join(p for p in (terms.city, country_name(terms.country)) if p)
    if terms.remote:
        return gettext("Remote or %(place)s", place=place) if place else gettext("Remote")
    return place


def pay_words(paid: Pay | None) -> str:
    """`200,00 € per day` in the page's language; `Unpaid` without pay."""
    if paid is None:
        return gettext("Unpaid")
    amount = _money(str(paid.amount), paid.currency, current_language.get())
    return gettext(PER_UNIT.get(paid.unit, PER_UNIT["project"]), amount=amount)


def apply_url(obj: ContentObject) -> str:
    """Where a member applies: our call's page, or our remote interaction for another's."""
    if obj.local:
        return f"{obj.uri}#apply"
    return "/authorize_interaction?" + urlencode({"uri": obj.uri})


#: Cards kept, newest use last: a card depends only on what its key names.
_CARDS: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
CARDS_KEPT = 2048


def call_card(view: CallView, local_domain: str) -> dict[str, Any]:
    """What a listed call shows: title, project, place or remote, pay, deadline, state.

    Kept once worded (a board page repeats the same calls for every visitor): the key holds
    every column the card reads that an edit, a close or a fill changes (an edit moves
    `updated_at`), the project's name and the page's language."""
    obj, author = view.obj, view.author
    key = (obj.id, obj.uri, obj.updated_at, obj.state, obj.closes_at, obj.name, obj.language,
           author.id, author.name, author.uri, author.username, local_domain,
           current_language.get())  # fmt: skip
    card = _CARDS.get(key)
    if card is None:
        card = _CARDS[key] = _worded_card(view, local_domain)
        if len(_CARDS) > CARDS_KEPT:
            _CARDS.popitem(last=False)
    else:
        _CARDS.move_to_end(key)
    return dict(card)


def _worded_card(view: CallView, local_domain: str) -> dict[str, Any]:
    obj, terms = view.obj, call_terms(view.obj)
    return {
        "title": terms.title or excerpt(obj.content, 80),
        "url": obj.uri,
        "language": obj.language,
        "local": obj.local,
        "project": view.author.name,
        "project_url": view.author.uri,
        "project_handle": handle_of(view.author, local_domain),
        "place": place_words(terms),
        "pay": pay_words(terms.paid),
        "deadline": format_date(terms.closes_at) if terms.closes_at else "",
        "state": gettext(STATES.get(terms.state, STATES[OPEN])),
        "apply_url": apply_url(obj),
    }


REMOTE_EVENTS = "/remote-events"


def remote_event_href(uri: str) -> str:
    """Our page of another server's event (with Join and Leave)."""
    return f"{REMOTE_EVENTS}?{urlencode({'uri': uri})}"


def event_href(obj: ContentObject) -> str:
    """Where a browser sees an event here: ours at its id, another server's on our page."""
    return obj.uri if obj.local else remote_event_href(obj.uri)


def origin_of(obj: ContentObject) -> str:
    """The server an event comes from (`mobilizon.fr`), empty for ours."""
    return "" if obj.local else urlsplit(obj.uri).netloc


def event_card(obj: ContentObject, author: Actor) -> dict[str, Any]:
    """What a listed event shows: name, organizer, when (in its zone), where, and the server
    it comes from when it is not ours."""
    extra: dict[str, Any] = obj.extra if isinstance(obj.extra, dict) else {}
    facts: dict[str, Any] = extra["event"] if isinstance(extra.get("event"), dict) else {}
    place: dict[str, Any] = facts["place"] if isinstance(facts.get("place"), dict) else {}
    where = place.get("name") or place.get("city")
    return {
        "title": obj.name or excerpt(obj.content, 80),
        "url": event_href(obj),
        "origin": origin_of(obj),
        "language": obj.language,
        "organizer": author.name,
        "organizer_url": author.uri,
        "when": format_datetime(obj.starts_at, facts.get("timezone")) if obj.starts_at else "",
        "where": where if isinstance(where, str) else "",
    }


def post_card(obj: ContentObject, author: Actor) -> dict[str, Any]:
    """What a listed post shows: its author, an excerpt, when."""
    return {
        "text": excerpt(obj.content, 200),
        "url": obj.uri,
        "language": obj.language,
        "author": author.name,
        "author_url": author.uri,
        "published": format_date(obj.published_at),
    }


async def terms_view(session: AsyncSession, obj: ContentObject) -> dict[str, Any]:
    """Every term of a call in the page's language: occupation and skills (ESCO labels in the
    viewer's language), languages, place or remote, period, pay, positions, deadline."""
    terms, language = call_terms(obj), current_language.get()
    wanted = [u for u in [terms.occupation, *terms.skill_uris] if u]
    if session.in_transaction():
        labels = await preferred_labels(session, wanted, language)
    else:
        async with session.begin():
            labels = await preferred_labels(session, wanted, language)
    names = {s.uri: s.name for s in terms.skills}

    def named(uri: str) -> str:
        return labels[uri][0] if uri in labels else names.get(uri) or uri

    period = " – ".join(format_day(d) for d in (terms.starts_on, terms.ends_on) if d)
    return {
        "occupation": named(terms.occupation) if terms.occupation else "",
        "skills": [named(uri) for uri in terms.skill_uris],
        "languages": [language_label(code) for code in terms.language_codes],
        "place": place_words(terms),
        "period": period,
        "pay": pay_words(terms.paid),
        "positions": terms.positions,
        "deadline": format_datetime(terms.closes_at) if terms.closes_at else "",
        "state": terms.state,
    }


def format_day(day: date) -> str:
    """A calendar day, long, in the page's language."""
    return str(dates.format_date(day, "long", locale=current_language.get()))
