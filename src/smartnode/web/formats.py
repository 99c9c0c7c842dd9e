"""Dates, times and numbers on the pages, written by Babel for the page's language (Jinja
filters `datetime`, `date`, `event_when`, `number`); times in the zone they are given in, named.

What Babel writes depends only on the value and the locale, so the locales and the words they
give are kept once made (bounded): a page of fifty calls names the same country, language and
deadline days again and again, and each Babel call costs tens of microseconds."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError, dates, numbers
from jinja2 import Environment

from smartnode.web.i18n import current_language

_UTC_NAMES = ("UTC", "Etc/UTC", "Z", "GMT", "Etc/GMT")
#: Interop: Babel's `en` is American (7:00 PM, December 7); the cooperative's nodes are
#: European, so English pages write dates and times as in Britain and Ireland.
_FORMAT_LOCALES = {"en": "en_GB"}


def _locale() -> str:
    """The locale dates and numbers are written in for the page's language."""
    language = current_language.get()
    return _FORMAT_LOCALES.get(language, language)


@lru_cache(maxsize=64)
def babel_locale(code: str) -> Locale | None:
    """Babel's Locale for a language code, made once (None when Babel knows none)."""
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return None


@lru_cache(maxsize=4096)
def _long_date(day: date, locale: str) -> str:
    return str(dates.format_date(day, "long", locale=babel_locale(locale) or locale))


def zone_of(name: str | None) -> tzinfo:
    """The time zone named `name` (an IANA id), else UTC."""
    try:
        return ZoneInfo(name) if name and name not in _UTC_NAMES else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_name(moment: datetime, zone: tzinfo) -> str:
    """The zone's name in the page's language at `moment` (`heure normale d’Europe centrale`)."""
    if zone is UTC:
        return "UTC"
    return dates.get_timezone_name(moment.astimezone(zone), "long", locale=_locale())


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _date_and_time(moment: datetime, zone: tzinfo, style: str = "long") -> str:
    """A date (`long`, or `full` with the weekday) and a short time in `zone`, joined as the
    language joins them."""
    locale = _locale()
    local = _aware(moment).astimezone(zone)
    date = dates.format_date(local, style, locale=locale)
    time = dates.format_time(local, "short", tzinfo=zone, locale=locale)
    pattern = str(dates.get_datetime_format("medium", locale=locale)).replace("'", "")
    return pattern.replace("{0}", time).replace("{1}", date)


def format_datetime(moment: datetime | None, zone: str | None = None) -> str:
    """`5 december 2026 16:27 UTC`: a long date and short time in `zone`, the zone named."""
    if moment is None:
        return ""
    return _zoned_datetime(_aware(moment), zone, _locale())


@lru_cache(maxsize=4096)
def _zoned_datetime(moment: datetime, zone: str | None, _locale_code: str) -> str:
    """(`_locale_code` keys the cache: the words are in the page's language.)"""
    where = zone_of(zone)
    return f"{_date_and_time(moment, where)} {zone_name(moment, where)}"


def format_date(moment: datetime | None) -> str:
    """`5 december 2026`: a long date."""
    if moment is None:
        return ""
    return _long_date(_aware(moment).date(), _locale())


def event_when(starts_at: datetime, ends_at: datetime | None, zone: str | None) -> str:
    """`lördag 12 december 2026 19:30–22:00 (centraleuropeisk normaltid)`: in the event's zone."""
    locale, where = _locale(), zone_of(zone)
    start = _aware(starts_at).astimezone(where)
    if ends_at is None:
        text = _date_and_time(start, where, "full")
    else:
        end = _aware(ends_at).astimezone(where)
        if end.date() == start.date():
            until = dates.format_time(end, "short", tzinfo=where, locale=locale)
            text = f"{_date_and_time(start, where, 'full')}–{until}"
        else:
            text = f"{_date_and_time(start, where, 'full')} – {_date_and_time(end, where, 'full')}"
    return f"{text} ({zone_name(start, where)})"


def format_number(value: int | float | None) -> str:
    """`12 345`, `12.345`, `12,345`: a number as the page's language writes it."""
    return "" if value is None else str(numbers.format_decimal(value, locale=_locale()))


def language_label(code: str) -> str:
    """A language's name in the page's language (`suédois` for `sv` on a French page)."""
    return _language_name(code, _locale())


@lru_cache(maxsize=2048)
def _language_name(code: str, locale: str) -> str:
    found = babel_locale(locale)
    return code if found is None else str(found.languages.get(code, code))


def country_label(code: str) -> str:
    """A country's name in the page's language (`Suède` for `SE` on a French page)."""
    return _country_name(code, _locale())


@lru_cache(maxsize=2048)
def _country_name(code: str, locale: str) -> str:
    found = babel_locale(locale)
    return code if found is None else str(found.territories.get(code.upper(), code))


def place_label(place: tuple[str, str]) -> str:
    """`Malmö, Sweden` (`Malmö, Suède` on a French page) from a city and a country code."""
    city, country = place
    return ", ".join(part for part in (city, country_label(country) if country else "") if part)


def install(environment: Environment) -> None:
    """The filters `datetime`, `date`, `number`, `language` and `country`, and the global
    `event_when`."""
    environment.filters["language"] = language_label
    environment.filters["country"] = country_label
    environment.filters["place"] = place_label
    environment.filters["datetime"] = format_datetime
    environment.filters["date"] = format_date
    environment.filters["number"] = format_number
    environment.globals["event_when"] = event_when
