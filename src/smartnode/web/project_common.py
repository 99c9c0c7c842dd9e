"""What the project, team and call forms share: the signed-in viewer's frame, the resolver of
handles on any node, the choices of languages and countries in the page's language, and the
plain text of a stored bio."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import httpx
from babel import Locale, UnknownLocaleError
from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.resolve import FetchingResolver
from smartnode.config import UI_LANGUAGES
from smartnode.errors import ValidationFailed
from smartnode.federation.fetch import FetchBudget
from smartnode.web.account_pages import Frame, render_framed
from smartnode.web.formats import language_label
from smartnode.web.i18n import current_language

#: Outbound requests one form may make (WebFinger, its loop-back, redirects, the actor).
FETCHES_PER_FORM = 10
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_BREAKS = re.compile(r"<br\s*/?>|</p>\s*", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")


def now() -> datetime:
    return datetime.now(UTC)


def resolver_of(request: Request, session: AsyncSession) -> FetchingResolver:
    """Finds people and projects of any node by handle or URL, as the native API does."""
    signer: httpx.Auth = request.app.state.node_signer
    return FetchingResolver(
        session,
        request.app.state.uris,
        request.app.state.fetcher,
        now=now(),
        signer=signer,
        budget=FetchBudget(FETCHES_PER_FORM),
    )


def language_choices() -> list[tuple[str, str]]:
    """The node's seven languages, named in the page's language."""
    return [(code, language_label(code)) for code in UI_LANGUAGES]


def country_choices() -> list[tuple[str, str]]:
    """Every country (ISO code) named in the page's language, sorted by name."""
    try:
        names = Locale.parse(current_language.get()).territories
    except (UnknownLocaleError, ValueError):
        return []
    found = [(str(code), str(name)) for code, name in names.items() if _COUNTRY.match(str(code))]
    return sorted(
        (c for c in found if c[0] not in ("ZZ", "EU", "UN", "EZ", "QO")),
        key=lambda item: item[1].casefold(),
    )


def html_text(value: str) -> str:
    """The text of a stored (sanitised) bio, paragraphs and line breaks kept, for a form."""
    lines = _BREAKS.sub("\n", value.replace("</p>", "</p>\n"))
    text = html.unescape(_TAGS.sub("", lines))
    paragraphs = [p.strip() for p in re.split(r"\n{2,}", text) if p.strip()]
    return "\n\n".join(paragraphs)


def error_fields(error: ValidationError) -> set[str]:
    """The fields an input refused (model-level errors name theirs before a colon)."""
    found = set()
    for item in error.errors():
        if item["loc"]:
            found.add(str(item["loc"][0]))
        else:
            found.add(str(item["msg"]).removeprefix("Value error, ").split(":", 1)[0])
    return found


def field_of(message: str) -> str:
    """The field a domain refusal names first (`closes_at: the deadline has passed`)."""
    return message.split(":", 1)[0].strip() if ":" in message else ""


def refused_fields(error: ValidationError | ValidationFailed) -> set[str]:
    """The fields an input (ValidationError) or the domain (ValidationFailed) refused."""
    if isinstance(error, ValidationError):
        return error_fields(error)
    return {field_of(error.message)}


def refused(
    request: Request, frame: Frame, template: str, status: int, message: str, **context: Any
) -> Response:
    """A page saying why nothing was done (an N_-marked message, translated when shown)."""
    return render_framed(request, template, frame, status_code=status, refused=message, **context)
