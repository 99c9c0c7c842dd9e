"""Pydantic validation errors in words (pure): which field (`skills[2].uri`, `place.country`,
`after`) and why (`must not be empty`, `is required`, `must have at most 50 items (51 given)`),
never pydantic's `Value error, …` nor a bare offset; a JSON syntax error as line and column.

Used by the API's error mapping (api/errors.py) and by services that re-validate stored input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

#: Problems one answer lists at most.
MAX_PROBLEMS = 10
_SOURCES = frozenset({"body", "query", "path", "header", "cookie"})
_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "bytes", "dict", "list", "set", "none"})
_SHOULD = re.compile(r"^(?:Input|String|List|Value|Dictionary|Tuple|Set|Decimal|Date|Datetime)"
                     r" should ")  # fmt: skip
_NOT_N = re.compile(r"(?: after validation)?, not (\d+)$")
_PREFIXES = ("Value error, ", "Assertion failed, ")


def validation_message(errors: Sequence[Any], body: Any = None, *, whole: str = "body") -> str:
    """Every problem of a failed validation in words, `; `-separated; `whole` names what a
    problem of no one field is about (the request body, a call, an event)."""
    problems = list(dict.fromkeys(_problem(error, body, whole) for error in errors))
    shown = "; ".join(problems[:MAX_PROBLEMS])
    more = len(problems) - MAX_PROBLEMS
    return f"{shown} (and {more} more)" if more > 0 else shown or "the request is not valid"


def _problem(error: Mapping[str, Any], body: Any, whole: str) -> str:
    kind = str(error.get("type", ""))
    loc = tuple(error.get("loc", ()))
    if kind == "json_invalid":
        return _json_problem(error, body)
    where = field_path(loc)
    if not where:
        return _whole_problem(kind, error, whole)
    return f"{where}: {_words(kind, error)}"


def _whole_problem(kind: str, error: Mapping[str, Any], whole: str) -> str:
    """A problem of the input as a whole (model validators name their fields themselves)."""
    if kind == "missing" and whole == "body":
        return "the request has no JSON body"
    if kind in ("model_attributes_type", "dict_type", "model_type") and whole == "body":
        sent_as = " sent as application/json" if isinstance(error.get("input"), bytes) else ""
        return f"the body must be a JSON object{sent_as}"
    words = _words(kind, error)
    return words if re.match(r"^[\w.\[\]]+: ", words) else f"{whole}: {words}"


def _json_problem(error: Mapping[str, Any], body: Any) -> str:
    """Where the JSON broke, as line and column, and why."""
    loc = tuple(error.get("loc", ()))
    position = loc[-1] if loc and isinstance(loc[-1], int) else None
    reason = str((error.get("ctx") or {}).get("error", "")).strip().removesuffix(" starting at")
    where = ""
    if position is not None and isinstance(body, str | bytes):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        line = text.count("\n", 0, position) + 1
        column = position - text.rfind("\n", 0, position)
        where = f" (line {line}, column {column})"
    return f"body is not valid JSON{where}" + (
        f": {reason[:1].lower()}{reason[1:]}" if reason else ""
    )


def field_path(loc: Sequence[Any]) -> str:
    """`("body", "skills", 2, "uri")` → `skills[2].uri`; pydantic's union tags are left out."""
    parts = list(loc[1:] if loc and loc[0] in _SOURCES else loc)
    path = ""
    for index, part in enumerate(parts):
        if isinstance(part, int):
            path += f"[{part}]"
        elif index == 0 or not _is_tag(str(part)):
            path += f".{part}" if path else str(part)
    return path


def _is_tag(part: str) -> bool:
    """A pydantic union/validator tag such as `str`, `function-after[…]`, `[key]`."""
    return (
        part in _TYPE_TAGS
        or "[" in part
        or "(" in part
        or re.fullmatch(r"[a-z]+(-[a-z]+)+", part) is not None
    )


def _words(kind: str, error: Mapping[str, Any]) -> str:
    """Pydantic's message as a plain sentence about the field."""
    message = str(error.get("msg", "")).strip()
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a field of this request"
    if kind == "string_too_short" and (error.get("ctx") or {}).get("min_length") == 1:
        return "must not be empty"
    for prefix in _PREFIXES:
        if message.startswith(prefix):
            return message[len(prefix) :]
    message = _SHOULD.sub("must ", message)
    return _NOT_N.sub(r" (\1 given)", message)
