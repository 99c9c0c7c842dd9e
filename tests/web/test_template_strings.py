"""No template shows text that gettext cannot translate: every piece of text with letters in a
template (text between tags, and the attributes people read or hear) is inside
`{% trans %}…{% endtrans %}` or `_()`."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "src" / "smartnode" / "web" / "templates"
#: Stands for an expression or a translated message in the text around it (not a letter).
HOLE = "\ue000"
#: Attributes whose values people read or hear.
READ_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "label", "aria-description"}
#: Names that are the same in every language.
ALLOWED = {"smartnode", "NodeInfo", "RSS", "Atom", "ESCO", "OpenID", "TOTP", "Mastodon"}

_ENVIRONMENT = Environment(extensions=["jinja2.ext.i18n"])


def _all_templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))


def _templates() -> list[Path]:
    return _all_templates()


def untranslated_source(source: str) -> str:
    """The template's text outside trans blocks, each expression and block a HOLE."""
    kept: list[str] = []
    in_trans = False
    tokens = [t for t in _ENVIRONMENT.lex(source) if t[1] != "whitespace"]
    for index, (_, kind, value) in enumerate(tokens):
        if kind == "name" and index and tokens[index - 1][1] == "block_begin":
            if value == "trans":
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        if kind == "data" and not in_trans:
            kept.append(value)
        elif kind in ("variable_begin", "block_begin"):
            kept.append(HOLE)
    return "".join(kept)


class _ReadText(HTMLParser):
    """Collects the text people read: text nodes and read attributes (not script or style)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        self.found += [v for k, v in attrs if k in READ_ATTRIBUTES and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.found.append(data)


def read_text(source: str, html: bool = True) -> list[str]:
    """The pieces of untranslated text with letters in a template's source."""
    text = untranslated_source(source)
    if html:
        parser = _ReadText()
        parser.feed(text)
        parser.close()
        pieces = parser.found
    else:
        pieces = [text]
    return [piece.strip() for piece in pieces if _has_words(piece)]


def _has_words(piece: str) -> bool:
    words = [w for w in piece.replace(HOLE, " ").split() if any(c.isalpha() for c in w)]
    return any(w.strip(".,:;()·—–-") not in ALLOWED for w in words)


def test_the_check_finds_text_outside_trans_and_ignores_trans_blocks() -> None:
    source = (
        '<p>{% trans %}Hello{% endtrans %} · <img alt="A picture" src="{{ u }}">'
        "{{ n }} found</p><script>var x = 1;</script>"
        '<a href="{{ url }}" class="card">{{ _("More") }}</a>'
    )
    assert read_text(source) == ["A picture", f"{HOLE} found"]


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_template_text_goes_through_gettext(path: Path) -> None:
    found = read_text(path.read_text(encoding="utf-8"), html=path.suffix == ".html")
    assert not found, f"{path.name}: text not in {{% trans %}}: {found}"


@pytest.mark.parametrize("path", _all_templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_writes_dates_itself(path: Path) -> None:
    """Dates and times go through Babel (the `datetime` and `date` filters), never strftime."""
    assert "strftime" not in path.read_text(encoding="utf-8")
