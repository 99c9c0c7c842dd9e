"""The event form's fields: read from a posted form into the domain's EventInput / EventUpdate,
each refusal named by its field in plain words, and filled back from a stored event.

Times are typed in the event's own zone (`datetime-local`) and given to the domain with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from smartnode.config import UI_LANGUAGES
from smartnode.content.events_inputs import EventInput, EventUpdate, timezones
from smartnode.storage.models import ContentObject
from smartnode.web import translation_fields
from smartnode.web.i18n import N_

#: Zones offered first: the cooperative's countries.
COUNTRY_ZONES = {"BE": "Europe/Brussels", "FR": "Europe/Paris", "NL": "Europe/Amsterdam",
                 "IT": "Europe/Rome", "ES": "Europe/Madrid", "SE": "Europe/Stockholm",
                 "DE": "Europe/Berlin", "AT": "Europe/Vienna"}  # fmt: skip
PLACE_PARTS = ("street_address", "postal_code", "locality", "country")
TEXT_FIELDS = ("name", "content", "language", "starts", "ends", "timezone", "place_name",
               *PLACE_PARTS, "latitude", "longitude", "online_url", "join_mode", "capacity",
               "hashtags", "visibility")  # fmt: skip
WORDS = {
    "name": N_("Give the event a title (at most 200 characters)."),
    "content": N_("Describe the event (at most 20,000 characters)."),
    "language": N_("Choose the language you write in."),
    "starts": N_("Give the day and the time it starts."),
    "ends": N_("The end must come after the start."),
    "timezone": N_("Choose a time zone from the list, for example Europe/Stockholm."),
    "place_name": N_("Give a place, a link to join online, or both."),
    "place_part": N_("This is too long."),
    "latitude": N_("Give both map coordinates (latitude and longitude), or neither."),
    "online_url": N_("Give the online link as a full address starting with https://."),
    "join_mode": N_("Choose how people join."),
    "capacity": N_("The number of places is a whole number, at least 1."),
    "hashtags": N_("Hashtags are single words of at most 60 characters, at most 20 of them."),
    "visibility": N_("Choose who may see the event."),
    "tr_text": N_(
        "Choose the language of each translation, other than the event's own, "
        "and each language once."
    ),
}
_LOC = {"place": "place_name", "online_url": "online_url", "content_map": "tr_text",
        "starts_at": "starts", "ends_at": "ends", "longitude": "latitude"}  # fmt: skip


class FormErrors(Exception):
    """The fields a member must correct, each with its words (English, translated when shown)."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


def values_of(form: Mapping[str, Any]) -> dict[str, str]:
    """The form's text fields as typed (kept when the form comes back)."""
    typed = {key: str(form.get(key, "")).strip() for key in TEXT_FIELDS}
    return typed | {"as": str(form.get("as", "")).strip()} | translation_fields.read(form)


def _moment(text: str, zone: ZoneInfo | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=zone) if zone is not None and moment.tzinfo is None else None


def _number(text: str, errors: dict[str, str], field: str) -> float | None:
    if not text:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        errors[field] = WORDS[field]
        return None


def _place(v: dict[str, str], errors: dict[str, str]) -> dict[str, Any] | None:
    if not v["place_name"]:
        return None
    place: dict[str, Any] = {"name": v["place_name"], **{k: v[k] for k in PLACE_PARTS}}
    place["latitude"] = _number(v["latitude"], errors, "latitude")
    place["longitude"] = _number(v["longitude"], errors, "latitude")
    return place


def _capacity(text: str, errors: dict[str, str]) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        errors["capacity"] = WORDS["capacity"]
        return None
    return int(text)


def body_of(v: dict[str, str], *, creating: bool) -> dict[str, Any]:
    """The domain's input from the typed values (FormErrors for what cannot be read)."""
    errors: dict[str, str] = {}
    zone = ZoneInfo(v["timezone"]) if v["timezone"] in timezones() else None
    if zone is None:
        errors["timezone"] = WORDS["timezone"]
    starts = _moment(v["starts"], zone)
    if starts is None and "timezone" not in errors:
        errors["starts"] = WORDS["starts"]
    ends = _moment(v["ends"], zone) if v["ends"] else None
    if v["ends"] and ends is None and "timezone" not in errors:
        errors["ends"] = WORDS["ends"]
    translations = translation_fields.content_map(v)
    if translation_fields.wrong(v, v["language"]):
        errors["tr_text"] = WORDS["tr_text"]
    body: dict[str, Any] = {
        "name": v["name"], "content": v["content"], "content_map": translations,
        "language": v["language"] or None, "starts_at": starts, "ends_at": ends,
        "timezone": v["timezone"], "place": _place(v, errors),
        "online_url": v["online_url"] or None, "join_mode": v["join_mode"] or "free",
        "capacity": _capacity(v["capacity"], errors),
        "hashtags": [t for t in v["hashtags"].replace(",", " ").split() if t.strip("#")],
    }  # fmt: skip
    if creating:
        body["visibility"] = v["visibility"] or "public"
    if errors:
        raise FormErrors(errors)
    return body


def _field_of(error: Mapping[str, Any]) -> str:
    """The form field a validation error of the domain's input is about."""
    loc = [str(part) for part in error.get("loc", ())]
    if not loc:
        return "place_name" if "place" in str(error.get("msg", "")) else "ends"
    if loc[0] != "place":
        return _LOC.get(loc[0], loc[0])
    part = loc[1] if len(loc) > 1 else ""
    if part in PLACE_PARTS:
        return part
    if part in ("latitude", "longitude") or "latitude" in str(error.get("msg", "")):
        return "latitude"
    return "place_name"


def parsed(v: dict[str, str], *, creating: bool) -> EventInput | EventUpdate:
    """The validated input of a new event or an edit (FormErrors with each field's words)."""
    body = body_of(v, creating=creating)
    try:
        if creating:
            return EventInput.model_validate(body)
        return EventUpdate.model_validate(body)
    except ValidationError as error:
        fields: dict[str, str] = {}
        for item in error.errors():
            field = _field_of(item)
            fields[field] = WORDS.get(field, WORDS["place_part"])
        raise FormErrors(fields) from None


def event_values(obj: ContentObject) -> dict[str, str]:
    """The form's values of a stored event (its author's input, times in its own zone)."""
    source = obj.extra.get("source") if isinstance(obj.extra, dict) else None
    s: dict[str, Any] = source if isinstance(source, dict) else {}
    zone = ZoneInfo(str(s.get("timezone") or "UTC"))
    found = s.get("place")
    place: dict[str, Any] = found if isinstance(found, dict) else {}
    v = {
        "name": str(s.get("name") or ""), "content": str(s.get("content") or ""),
        "language": str(s.get("language") or ""), "timezone": str(zone),
        "starts": _local(obj.starts_at, zone), "ends": _local(obj.ends_at, zone),
        "place_name": str(place.get("name") or ""),
        "latitude": _shown(place.get("latitude")), "longitude": _shown(place.get("longitude")),
        "online_url": str(s.get("online_url") or ""), "join_mode": str(s.get("join_mode") or ""),
        "capacity": _shown(s.get("capacity")), "hashtags": " ".join(s.get("hashtags") or []),
        "visibility": obj.visibility, "as": "",
    }  # fmt: skip
    translations = translation_fields.stored(s.get("content_map") or {}, v["language"])
    return v | {k: str(place.get(k) or "") for k in PLACE_PARTS} | translations


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    """A moment as a `datetime-local` field's value in `zone` (a form value, not shown text)."""
    if moment is None:
        return ""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo("UTC"))
    return aware.astimezone(zone).replace(tzinfo=None).isoformat(timespec="minutes")


def _shown(value: Any) -> str:
    return "" if value is None else str(value)


def new_values(language: str, country: str) -> dict[str, str]:
    """An empty form: the author's language, the node's country's zone, open to all."""
    v = dict.fromkeys(TEXT_FIELDS, "") | {"as": ""} | translation_fields.read({})
    return v | {"language": language if language in UI_LANGUAGES else "",
                "timezone": COUNTRY_ZONES.get(country.upper(), "UTC"),
                "join_mode": "free", "visibility": "public"}  # fmt: skip
