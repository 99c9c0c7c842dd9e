"""An event's date, time and place in plain words, in the author's language (pure).

Interop: Mastodon shows an Event as its `name`, its `summary` and a link, never `content` nor
`startTime`; so the summary must say when and where in words people read. Languages: en, sv,
fr, nl, de, it, es (others fall back to English). Times are 24-hour, in the event's zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Wording:
    """How one language writes a date and names the parts of a summary."""

    weekdays: tuple[str, ...]
    months: tuple[str, ...]
    date: str  # format with {weekday} {day} {month} {year}
    online: str


_TABLE = {
    "en": ("Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
           "January February March April May June July August September October November December",
           "{weekday} {day} {month} {year}", "Online"),
    "sv": ("måndag tisdag onsdag torsdag fredag lördag söndag",
           "januari februari mars april maj juni juli augusti september oktober november december",
           "{weekday} {day} {month} {year}", "Online"),
    "fr": ("lundi mardi mercredi jeudi vendredi samedi dimanche",
           "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
           "{weekday} {day} {month} {year}", "En ligne"),
    "nl": ("maandag dinsdag woensdag donderdag vrijdag zaterdag zondag",
           "januari februari maart april mei juni juli augustus september oktober "
           "november december",
           "{weekday} {day} {month} {year}", "Online"),
    "de": ("Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
           "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
           "{weekday}, {day}. {month} {year}", "Online"),
    "it": ("lunedì martedì mercoledì giovedì venerdì sabato domenica",
           "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre "
           "novembre dicembre",
           "{weekday} {day} {month} {year}", "Online"),
    "es": ("lunes martes miércoles jueves viernes sábado domingo",
           "enero febrero marzo abril mayo junio julio agosto septiembre octubre "
           "noviembre diciembre",
           "{weekday}, {day} de {month} de {year}", "En línea"),
}  # fmt: skip
WORDINGS: dict[str, Wording] = {
    lang: Wording(tuple(days.split()), tuple(months.split()), date, online)
    for lang, (days, months, date, online) in _TABLE.items()
}


def wording(language: str | None) -> Wording:
    """The wording of a language (its base: `fr-BE` → `fr`); English when unknown."""
    base = (language or "en").split("-")[0].lower()
    return WORDINGS.get(base, WORDINGS["en"])


def _date(words: Wording, moment: datetime) -> str:
    return words.date.format(
        weekday=words.weekdays[moment.weekday()],
        day=moment.day,
        month=words.months[moment.month - 1],
        year=moment.year,
    )


def when(language: str | None, starts_at: datetime, ends_at: datetime | None, timezone: str) -> str:
    """`Saturday 5 December 2026, 19:00–22:00 (Europe/Stockholm)`, in the given language."""
    words, zone = wording(language), ZoneInfo(timezone)
    start = starts_at.astimezone(zone)
    text = f"{_date(words, start)}, {start:%H:%M}"
    if ends_at is not None:
        end = ends_at.astimezone(zone)
        if end.date() == start.date():
            text += f"–{end:%H:%M}"
        else:
            text += f" – {_date(words, end)}, {end:%H:%M}"
    return f"{text} ({timezone})"


def place_line(place: Mapping[str, Any] | None) -> str:
    """`Malmö Opera, Östra Rönneholmsvägen 20, 211 47 Malmö, SE`: the parts that are known."""
    if not place:
        return ""
    town = " ".join(p for p in (place.get("postal_code"), place.get("locality")) if p)
    parts = [place.get("name"), place.get("street_address"), town, place.get("country")]
    seen: list[str] = []
    for part in parts:
        if isinstance(part, str) and part and part not in seen:
            seen.append(part)
    return ", ".join(seen)


def summary_text(
    language: str | None,
    starts_at: datetime,
    ends_at: datetime | None,
    timezone: str,
    place: Mapping[str, Any] | None,
    online_url: str | None,
) -> str:
    """Date and time, then the place, then the online link: one plain line each."""
    lines = [when(language, starts_at, ends_at, timezone)]
    where = place_line(place)
    if where:
        lines.append(where)
    if online_url:
        lines.append(f"{wording(language).online}: {online_url}")
    return "\n".join(lines)
