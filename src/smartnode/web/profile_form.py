"""The profile form's fields: read from a POST (kept as typed), filled from the stored profile,
turned into the inputs of `change_whole_profile` (actors/inputs.py and matching/inputs.py
validate them), and the words for each refused field. The picture is an upload of its own
(profile_pages.py); the form leaves the stored one as it is."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError
from pydantic import ValidationError
from starlette.datastructures import FormData

from smartnode.actors.inputs import MemberUpdate
from smartnode.actors.member_cases import MatchingProfileChange
from smartnode.config import UI_LANGUAGES
from smartnode.content.applications_to_ap import text_html
from smartnode.matching.profiles import ProfileView
from smartnode.matching.terms import CEFR
from smartnode.storage.models import Actor
from smartnode.storage.models_profiles import MemberProfile
from smartnode.web.i18n import N_, current_language

SINGLE = ("name", "language", "summary", "country", "city", "skill_q", "other_language",
          "other_level")  # fmt: skip
CONSENTS = ("listed", "indexable", "suggestions", "visible_to_nodes", "found_by_peers")
REACH = ("remote_ok", "cross_border")
MAX_WINDOWS, MAX_LINKS, MAX_SKILLS = 20, 10, 50
#: The form's parts in page order, each with what to say when the input refuses it.
WORDS = {
    "name": N_("Give your name, at most 100 characters."),
    "language": N_("Choose your main language from the list."),
    "summary": N_("Write at most 5,000 characters about yourself."),
    "bios": N_("Write at most 5,000 characters in each language."),
    "country": N_("Choose a country from the list."),
    "city": N_("Give a city of at most 100 characters."),
    "languages": N_("Choose a level for each language, and each language once."),
    "availability": N_("Give each period a first and a last day, the last on or after the first."),
    "skills": N_("Choose at most 50 skills from the lists found with “Find skills”."),
    "links": N_("Give each link a full address starting with https:// and a short name."),
}  # fmt: skip
#: What to say when the picture is refused, by the reason (media/images.py).
PICTURE_WORDS = {
    "not_image": N_("This file is not a picture we can use: choose a JPEG, PNG, WebP or GIF "
                    "picture."),
    "too_big": N_("This picture is too large: choose a smaller file."),
    "too_many_pixels": N_("This picture has too many pixels: make it smaller, then choose it "
                          "again."),
}  # fmt: skip
_LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")
_PARAGRAPH_END = re.compile(r"</p\s*>", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")


def html_text(value: str) -> str:
    """The text of a stored (sanitised) bio for a form: paragraphs apart by an empty line."""
    text = _BREAK.sub("\n", _PARAGRAPH_END.sub("\n\n", value))
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", html.unescape(_TAGS.sub("", text)))]
    return "\n\n".join(p for p in paragraphs if p)


def _rows(form: FormData, prefix: str, names: tuple[str, ...], limit: int) -> list[dict[str, str]]:
    """Numbered rows (`prefix_name_0`, …) as typed, up to `limit`."""
    rows = []
    for i in range(limit):
        row = {name: str(form.get(f"{prefix}_{name}_{i}", "")).strip() for name in names}
        rows.append(row)
    return rows


def read_form(form: FormData) -> dict[str, Any]:
    """The fields as typed, to show again."""
    given: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in SINGLE}
    given["bios"] = {code: str(form.get(f"bio_{code}", "")).strip() for code in UI_LANGUAGES}
    given["levels"] = {
        key.removeprefix("level_"): str(value)
        for key, value in form.multi_items()
        if key.startswith("level_") and _LANGUAGE_CODE.match(key.removeprefix("level_"))
    }
    skills = _rows(form, "skill", ("value", "label", "level", "teach", "learn", "keep"), MAX_SKILLS)
    given["skills"] = [row for row in skills if row["value"]]
    windows = _rows(form, "window", ("from", "to"), MAX_WINDOWS)
    given["windows"] = [row for row in windows if row["from"] or row["to"]]
    links = _rows(form, "link", ("name", "url"), MAX_LINKS)
    given["links"] = [row for row in links if row["name"] or row["url"]]
    given["consents"] = [name for name in CONSENTS if form.get(name) == "1"]
    given["reach"] = [name for name in REACH if form.get(name) == "1"]
    return given


def given_of(actor: Actor, profile: MemberProfile, view: ProfileView) -> dict[str, Any]:
    """The stored profile as the form shows it."""
    skills = [
        {"value": s.uri or f"local:{s.slug}", "label": s.label, "level": str(s.level),
         "teach": "1" if s.can_teach else "", "learn": "1" if s.wants_to_learn else "",
         "keep": "1"}
        for s in view.skills
    ]  # fmt: skip
    return {
        "name": actor.name or actor.username,
        "language": actor.language,
        "summary": html_text(actor.summary),
        "bios": {c: html_text(t) for c, t in actor.summary_map.items() if c != actor.language},
        "avatar_url": actor.icon_url or "",
        "country": profile.country,
        "city": profile.city,
        "levels": dict(view.languages),
        "skills": skills,
        "windows": [{"from": s.isoformat(), "to": e.isoformat()} for s, e in view.availability],
        "links": [
            {"name": str(k.get("name", "")), "url": str(k.get("url", ""))} for k in profile.links
        ],
        "consents": [name for name in CONSENTS if getattr(view, name)],
        "reach": [name for name in REACH if getattr(view, name)],
    }


def _link_name(row: dict[str, str]) -> str:
    return row["name"] or urlsplit(row["url"]).hostname or row["url"]


def _bio_html(text: str, stored: str) -> str:
    """The bio's HTML: the stored one when its text is unchanged (its links kept)."""
    return stored if stored and html_text(stored) == text else text_html(text)


def profile_data(given: dict[str, Any], stored: dict[str, str] | None = None) -> dict[str, Any]:
    """The profile's input (MemberUpdate) from the form; `stored` are the bios saved before,
    by language."""
    stored = stored or {}
    language = given["language"] or "en"
    bios = {
        c: _bio_html(t, stored.get(c, "")) for c, t in given["bios"].items() if t and c != language
    }
    return {
        "name": given["name"],
        "language": language,
        "summary": _bio_html(given["summary"], stored.get(language, "")),
        "summary_map": {language: "", **bios},  # an empty map would mean "unchanged"
        "country": given["country"],
        "city": given["city"],
        "links": [{"name": _link_name(r), "url": r["url"]} for r in given["links"]],
        "languages": [e["language"] for e in _languages(given)],
    }


def _skill(row: dict[str, str]) -> dict[str, Any]:
    key = "local" if row["value"].startswith("local:") else "uri"
    return {
        key: row["value"].removeprefix("local:"),
        "level": int(row["level"]) if row["level"].isdigit() else 2,
        "can_teach": row["teach"] == "1",
        "wants_to_learn": row["learn"] == "1",
    }


def _languages(given: dict[str, Any]) -> list[dict[str, str]]:
    """The working languages chosen, each with its level."""
    found = [{"language": c, "level": lv} for c, lv in given["levels"].items() if lv]
    if given["other_language"] and given["other_level"]:
        found.append({"language": given["other_language"], "level": given["other_level"]})
    return found


def matching_data(given: dict[str, Any]) -> dict[str, Any]:
    """The parts of the matching profile this form owns (MatchingProfileChange)."""
    return {
        "skills": [_skill(r) for r in given["skills"] if r["keep"] == "1"],
        "languages": _languages(given),
        "availability": [
            {"starts_on": r["from"] or None, "ends_on": r["to"] or None} for r in given["windows"]
        ],
        "opt_ins": {name: name in given["consents"] for name in CONSENTS},
        **{name: name in given["reach"] for name in REACH},
    }


def parsed(
    given: dict[str, Any], stored: dict[str, str]
) -> tuple[MemberUpdate, MatchingProfileChange] | dict[str, str]:
    """Both inputs, or the refused parts with their words."""
    refused: set[str] = set()
    change = matching = None
    try:
        change = MemberUpdate.model_validate(profile_data(given, stored))
    except ValidationError as error:
        refused |= {_part(e["loc"]) for e in error.errors()}
    try:
        matching = MatchingProfileChange.model_validate(matching_data(given))
    except ValidationError as error:
        refused |= {_part(e["loc"]) for e in error.errors()}
    if change is None or matching is None:
        return errors_for(refused)
    return change, matching


def _part(loc: tuple[int | str, ...]) -> str:
    first = str(loc[0]) if loc else ""
    return "bios" if first == "summary_map" else first


def errors_for(parts: set[str]) -> dict[str, str]:
    """The refused parts with their words, in page order."""
    found = {name: WORDS[name] for name in WORDS if name in parts}
    return found or {"skills": WORDS["skills"]}


def cefr_choices() -> list[tuple[str, str]]:
    """The levels a working language may have, in plain words."""
    names = {
        "A1": N_("A1 – beginner"), "A2": N_("A2 – basic"), "B1": N_("B1 – intermediate"),
        "B2": N_("B2 – upper intermediate"), "C1": N_("C1 – advanced"),
        "C2": N_("C2 – near-native"), "native": N_("Native or first language"),
    }  # fmt: skip
    return [(level, names[level]) for level in CEFR]


def skill_levels() -> list[tuple[str, str]]:
    return [("1", N_("Basic")), ("2", N_("Intermediate")), ("3", N_("Advanced")),
            ("4", N_("Expert"))]  # fmt: skip


def all_languages() -> list[tuple[str, str]]:
    """Every two-letter language, named in the page's language, sorted by name."""
    try:
        names = Locale.parse(current_language.get()).languages
    except (UnknownLocaleError, ValueError):
        return []
    found = [(str(c), str(n)) for c, n in names.items() if _LANGUAGE_CODE.match(str(c))]
    return sorted(found, key=lambda item: item[1].casefold())
