"""The pages' and mails' languages: gettext catalogs in seven languages, and which one a
viewer gets (their account's setting, else their browser's Accept-Language, else the node's).

English is the source language. Each language's catalogs are the `.po` files under
`locale/<lang>/LC_MESSAGES/` (one per area of the app, so that areas never edit one file),
merged when first used; they are read as text, so no compiled `.mo` is kept in the repository.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, cast

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from smartnode.config import UI_LANGUAGES
from smartnode.translatable import N_ as N_
from smartnode.web.elision import elide

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
SOURCE_LANGUAGE = "en"
#: The language of what is being rendered now (set around each render and mail).
current_language: ContextVar[str] = ContextVar("current_language", default=SOURCE_LANGUAGE)


def catalog_files(language: str) -> list[Path]:
    """The `.po` files of a language, in a stable order."""
    return sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"))


@cache
def translations(language: str) -> NullTranslations:
    """The merged catalogs of a language (English: the identity)."""
    if language == SOURCE_LANGUAGE or language not in UI_LANGUAGES:
        return NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, merged_catalog(language))
    buffer.seek(0)
    return Translations(buffer)


def merged_catalog(language: str) -> Catalog:
    """Every translated message of a language's `.po` files (fuzzy and empty ones left out)."""
    merged = Catalog(locale=language)
    for path in catalog_files(language):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if message.id and message.string and not message.fuzzy:
                    merged[message.id] = message
    return merged


@contextmanager
def using(language: str) -> Iterator[None]:
    """Run a block (a handler composing a message, a mail) in `language`."""
    token = current_language.set(language if language in UI_LANGUAGES else SOURCE_LANGUAGE)
    try:
        yield
    finally:
        current_language.reset(token)


def gettext(message: str, **variables: Any) -> str:
    """`message` in the current language, with `%(name)s` variables filled in."""
    language = current_language.get()
    text = translations(language).gettext(message)
    return elide(language, text % variables, variables) if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """The singular or plural form for `n` in the current language; `%(num)s` is `n`."""
    language = current_language.get()
    text = translations(language).ngettext(singular, plural, n)
    return elide(language, text % {"num": n, **variables}, variables)


def translator(language: str) -> NullTranslations:
    """The catalogs of an explicit language (mail to a member in theirs)."""
    return translations(language if language in UI_LANGUAGES else SOURCE_LANGUAGE)


def install(environment: Environment) -> None:
    """Give Jinja's `{% trans %}` and `_()` the current language's catalogs."""
    environment.add_extension("jinja2.ext.i18n")
    environment.policies["ext.i18n.trimmed"] = True
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: translations(current_language.get()).gettext(message),
        lambda singular, plural, n: translations(current_language.get()).ngettext(
            singular, plural, n
        ),
        newstyle=True,
    )
    filled: Callable[..., str] = environment.globals["gettext"]  # type: ignore[assignment]
    filled_plural: Callable[..., str] = environment.globals["ngettext"]  # type: ignore[assignment]

    @pass_context
    def gettext_elided(context: Context, message: str, **variables: Any) -> str:
        text = cast(str, context.call(filled, message, **variables))  # Markup when escaping
        return elide(current_language.get(), text, variables)

    @pass_context
    def ngettext_elided(
        context: Context, singular: str, plural: str, n: int, **variables: Any
    ) -> str:
        text = cast(str, context.call(filled_plural, singular, plural, n, **variables))
        return elide(current_language.get(), text, variables)

    environment.globals.update(gettext=gettext_elided, ngettext=ngettext_elided)


def negotiate(accept_language: str | None, preferred: str | None, default: str) -> str:
    """The viewer's language: their own setting, else the best of Accept-Language, else the
    node's default."""
    if preferred in UI_LANGUAGES:
        return str(preferred)
    for tag in _ranked(accept_language or ""):
        base = tag.split("-")[0].lower()
        if base in UI_LANGUAGES:
            return base
    return default


def _ranked(header: str) -> list[str]:
    """The language tags of an Accept-Language header, best first (q=0 left out)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def language_name(language: str) -> str:
    """A language's own name for itself (`svenska`, `français`), for language pickers."""
    try:
        return str(Locale.parse(language).get_display_name(language))
    except (UnknownLocaleError, ValueError):
        return language
