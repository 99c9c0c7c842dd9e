"""Every user-facing string goes through gettext and has a translation in every language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from smartnode.config import UI_LANGUAGES
from smartnode.web import i18n

ROOT = Path(__file__).resolve().parents[2]


def _extracted() -> set[str | tuple[str, ...]]:
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: set[str | tuple[str, ...]] = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


EXTRACTED = _extracted()


def test_strings_are_found() -> None:
    assert "Sign in" in EXTRACTED
    assert "Skip to content" in EXTRACTED


@pytest.mark.parametrize("language", [lang for lang in UI_LANGUAGES if lang != "en"])
def test_every_string_is_translated(language: str) -> None:
    """Each message is in the language's catalogs with a translation (which may be spelled
    as in English: "Action" in French)."""
    catalog = i18n.merged_catalog(language)
    missing = []
    for message in sorted(EXTRACTED, key=str):
        key = message[0] if isinstance(message, tuple) else message
        found = catalog.get(key)
        strings = found.string if found is not None else ""
        if not (all(strings) if isinstance(strings, tuple) else strings):
            missing.append(key)
    assert not missing, f"{language} lacks: {missing}"


@pytest.mark.parametrize("language", [lang for lang in UI_LANGUAGES if lang != "en"])
def test_translations_keep_their_variables(language: str) -> None:
    """A translation names the same %(variables)s as its English message."""
    pattern = re.compile(r"%\((\w+)\)s")
    catalog = i18n.translations(language)
    for message in EXTRACTED:
        if isinstance(message, str):
            assert set(pattern.findall(catalog.gettext(message))) == set(
                pattern.findall(message)
            ), message


def test_the_current_language_is_used_and_restored() -> None:
    token = i18n.current_language.set("sv")
    try:
        assert i18n.gettext("Sign in") == "Logga in"
    finally:
        i18n.current_language.reset(token)
    assert i18n.gettext("Sign in") == "Sign in"


def test_negotiation() -> None:
    assert i18n.negotiate("fr-BE,fr;q=0.9,en;q=0.8", None, "en") == "fr"
    assert i18n.negotiate("ja,de;q=0.5", None, "sv") == "de"
    assert i18n.negotiate("ja", None, "sv") == "sv"
    assert i18n.negotiate("fr", "nl", "en") == "nl"
    assert i18n.negotiate("fr;q=0,es", None, "en") == "es"


@pytest.mark.parametrize("language", [lang for lang in UI_LANGUAGES if lang != "en"])
def test_plural_messages_have_every_form_babel_counts(language: str) -> None:
    """Each plural message of each catalog file has as many forms as Babel's plural rule of
    the language picks from (French, Italian, Spanish: one, many, other), none empty."""
    forms = i18n.merged_catalog(language).num_plurals
    short = []
    for path in i18n.catalog_files(language):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if isinstance(message.id, tuple) and not message.fuzzy:
                    strings = message.string
                    if not isinstance(strings, tuple) or len(strings) != forms or not all(strings):
                        short.append(f"{path.name}: {message.id[0]}")
    assert not short, short


@pytest.mark.parametrize(
    ("language", "counted"),
    [("fr", {0: "0 place restante", 1: "1 place restante", 2: "2 places restantes",
             1_000_000: "1000000 places restantes"}),
     ("it", {0: "0 posti liberi", 1: "1 posto libero", 2: "2 posti liberi"}),
     ("nl", {0: "nog 0 plekken vrij", 1: "nog 1 plek vrij", 2: "nog 2 plekken vrij"})],
)  # fmt: skip
def test_ngettext_picks_the_form_of_each_languages_rule(language: str, counted: dict) -> None:
    with i18n.using(language):
        for n, words in counted.items():
            assert i18n.ngettext("%(shown)s place left", "%(shown)s places left", n, shown=n) == (
                words
            )
