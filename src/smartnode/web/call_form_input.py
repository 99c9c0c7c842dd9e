"""The call form's fields and choices: read from a POST (kept as typed), turned into the
calls' input (content/calls_inputs.py validates it), filled from a call's saved input; the
words for each refused field; the ESCO entries found; the units and the node's currency."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from babel.numbers import get_territory_currencies
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from smartnode.config import UI_LANGUAGES
from smartnode.content.calls_inputs import EFFORT_UNITS, PAY_UNITS, CallInput
from smartnode.matching.taxonomy import preferred_labels, search_concepts
from smartnode.web.i18n import N_, gettext

SINGLE = (
    "title",
    "description",
    "language",
    "occupation",
    "occupation_q",
    "skills_q",
    "country",
    "city",
    "remote",
    "starts_on",
    "ends_on",
    "closes_on",
    "positions",
    "effort_amount",
    "effort_unit",
    "pay_amount",
    "pay_currency",
    "pay_unit",
    "hashtags",
    "visibility",
)
MULTI = ("skills", "languages")
#: The form's fields in page order, each with what to say when the input refuses it.
WORDS = {
    "title": N_("Give the call a title of at most 200 characters."),
    "description": N_("Describe the work (at most 20,000 characters)."),
    "content_map": N_("Write at most 20,000 characters in each language."),
    "language": N_("Choose a language from the list."),
    "occupation": N_("Choose an occupation from the list found with “Find”."),
    "skills": N_("Choose at most 20 skills from the lists found with “Find”."),
    "languages": N_("Choose at most ten languages."),
    "place": N_("Choose the country where the work is done, or tick “Remote”."),
    "starts_on": N_("Give the first day as a date."),
    "ends_on": N_("The last day must be a date on or after the first day."),
    "effort": N_("Give the amount of work as a number above zero, with its unit."),
    "paid": N_("Give the pay as a number with a three-letter currency, like EUR or SEK."),
    "positions": N_("Give the number of people wanted, from 1 to 1,000."),
    "closes_at": N_("The deadline must be a day that has not passed yet."),
    "hashtags": N_("Give at most 20 hashtags of at most 60 characters each."),
}
#: ESCO entries shown per search.
FOUND = 12
ANCHORS = {
    "place": "country",
    "paid": "pay_amount",
    "effort": "effort_amount",
    "closes_at": "closes_on",
}


def read_form(form: FormData) -> dict[str, Any]:
    """The fields as typed, to show again."""
    given: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in SINGLE}
    for name in MULTI:
        given[name] = [str(v) for v in form.getlist(name) if str(v).strip()]
    given["translations"] = {
        code: str(form.get(f"description_{code}", "")).strip() for code in UI_LANGUAGES
    }
    return given


def _deadline(day: str) -> str | None:
    """The end of the day given (UTC): applications are taken through that whole day."""
    if not day:
        return None
    try:
        return datetime.combine(date.fromisoformat(day), time(23, 59, 59), UTC).isoformat()
    except ValueError:
        return day  # refused by the input, with its words


def call_data(given: dict[str, Any]) -> dict[str, Any]:
    """The calls' input from the form (validated by CallInput / CallUpdate)."""
    place = {"country": given["country"], "city": given["city"]} if given["country"] else None
    if place is None and given["city"]:
        place = {"country": "", "city": given["city"]}
    effort = {"amount": given["effort_amount"], "unit": given["effort_unit"] or "day"}
    paid = {
        "amount": given["pay_amount"],
        "currency": given["pay_currency"] or "EUR",
        "unit": given["pay_unit"] or "project",
    }
    language = given["language"] or None
    return {
        "title": given["title"],
        "description": given["description"],
        "content_map": {
            code: text
            for code, text in given.get("translations", {}).items()
            if text and code != language
        },
        "language": language,
        "occupation": given["occupation"] or None,
        "skills": list(dict.fromkeys(given["skills"])),
        "languages": list(dict.fromkeys(given["languages"])),
        "starts_on": given["starts_on"] or None,
        "ends_on": given["ends_on"] or None,
        "place": place,
        "remote": given["remote"] == "1",
        "closes_at": _deadline(given["closes_on"]),
        "positions": given["positions"] or 1,
        "effort": effort if given["effort_amount"] else None,
        "paid": paid if given["pay_amount"] else None,
        "hashtags": [w.lstrip("#") for w in given["hashtags"].replace(",", " ").split()],
    }


def given_of(data: CallInput | None, title: str) -> dict[str, Any]:
    """A saved call's input as the form shows it."""
    if data is None:
        return {"title": title, "skills": [], "languages": [], "positions": "1",
                "translations": {}}  # fmt: skip
    effort, paid, place = data.effort, data.paid, data.place
    return {
        "title": data.title,
        "description": data.description,
        "translations": {
            code: text for code, text in (data.content_map or {}).items() if code != data.language
        },
        "language": data.language or "",
        "occupation": data.occupation or "",
        "skills": list(data.skills or []),
        "languages": list(data.languages or []),
        "country": place.country if place else "",
        "city": place.city if place else "",
        "remote": "1" if data.remote else "",
        "starts_on": data.starts_on.isoformat() if data.starts_on else "",
        "ends_on": data.ends_on.isoformat() if data.ends_on else "",
        "closes_on": data.closes_at.date().isoformat() if data.closes_at else "",
        "positions": str(data.positions),
        "effort_amount": f"{effort.amount.normalize():f}" if effort else "",
        "effort_unit": effort.unit if effort else "day",
        "pay_amount": f"{paid.amount.normalize():f}" if paid else "",
        "pay_currency": paid.currency if paid else "",
        "pay_unit": paid.unit if paid else "",
        "hashtags": " ".join(data.hashtags or []),
        "visibility": data.visibility.value,
    }


def errors_for(fields: set[str]) -> dict[str, str]:
    """The refused fields (by the form's anchor) with their words, in page order."""
    found = {ANCHORS.get(name, name): WORDS[name] for name in WORDS if name in fields}
    return found or {"title": WORDS["title"]}


async def esco_choices(
    session: AsyncSession, given: dict[str, Any], language: str
) -> dict[str, Any]:
    """The chosen occupation and skills with their labels, and the entries found for the
    words typed in the two search fields (ESCO labels in the page's language)."""
    chosen = [*([given["occupation"]] if given.get("occupation") else []), *given["skills"]]
    labels = await preferred_labels(session, chosen, language)
    occupations = (
        [(given["occupation"], labels.get(given["occupation"], ("",))[0])]
        if (given.get("occupation"))
        else []
    )
    skills = [(uri, labels.get(uri, (uri,))[0]) for uri in given["skills"]]
    if given.get("occupation_q"):
        hits = await search_concepts(
            session, given["occupation_q"], language, kinds=("occupation",), limit=FOUND
        )
        occupations += [(h.uri, h.label) for h in hits if h.uri and h.uri not in chosen]
    if given.get("skills_q"):
        hits = await search_concepts(
            session, given["skills_q"], language, kinds=("skill",), limit=FOUND
        )
        skills += [(h.uri, h.label) for h in hits if h.uri and h.uri not in chosen]
    return {"occupations": occupations, "skill_options": skills}


def unit_choices() -> dict[str, list[tuple[str, str]]]:
    names = {
        "hour": N_("per hour"),
        "day": N_("per day"),
        "week": N_("per week"),
        "month": N_("per month"),
        "project": N_("for the whole project"),
    }
    work = {"hour": N_("hours"), "day": N_("days"), "week": N_("weeks"), "month": N_("months")}
    return {
        "pay_units": [(u, gettext(names[u])) for u in PAY_UNITS],
        "effort_units": [(u, gettext(work[u])) for u in EFFORT_UNITS],
    }


def currency_of(country: str) -> str:
    found = get_territory_currencies(country) if country else []
    return found[0] if found else "EUR"
