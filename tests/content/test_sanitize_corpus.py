"""The sanitiser against a corpus of attacks and broken input: it never raises and never lets
markup outside the allow-list through; every link it keeps is http(s)/mailto with our rel."""

from __future__ import annotations

import html
import random
import re
from html.parser import HTMLParser

import pytest

from smartnode.federation.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, clean_html

REL = "nofollow noopener noreferrer"
GENERIC = {"title", "lang"}  # nh3 keeps these on any tag: plain text, harmless
SAFE_SCHEMES = ("http://", "https://", "mailto:")
CLASS = re.compile(r"^(?:(?:h|p|u|dt|e)-[\w-]+|mention|hashtag|ellipsis|invisible)$")

CORPUS = {
    "script": "<script>alert(1)</script>hi",
    "script upper": "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "script split": "<<script>script>alert(1)<</script>/script>",
    "onerror": '<img src=x onerror="alert(1)">',
    "onclick on allowed tag": '<a href="https://ok.example/" onclick="steal()">ok</a>',
    "onmouseover on p": '<p onmouseover="alert(1)">hover</p>',
    "javascript url": '<a href="javascript:alert(1)">x</a>',
    "javascript mixed case": '<a href="JaVaScRiPt:alert(1)">x</a>',
    "javascript tab entity": '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "javascript newline": '<a href="java\nscript:alert(1)">x</a>',
    "javascript decimal entities": '<a href="&#106;&#97;vascript:alert(1)">x</a>',
    "javascript leading space": '<a href="  javascript:alert(1)">x</a>',
    "javascript null": '<a href="java\x00script:alert(1)">x</a>',
    "data url": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "vbscript url": '<a href="VBScript:MsgBox(1)">x</a>',
    "style attribute": '<p style="position:fixed;top:0;left:0;width:100%;height:100%">x</p>',
    "style overlay on span": '<span style="background:url(javascript:x)">x</span>',
    "style tag": "<style>body{display:none}</style>text",
    "borrowed page classes": '<span class="skip header"><a href="https://x.example" class="card">a',
    "relative link": '<a href="/admin/delete">x</a><a href="../x">y</a>',
    "scheme-relative link": '<a href="//evil.example/">x</a>',
    "javascript null in relative form": '<a href="java\x00script:alert(1)">x</a>',
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "object embed": '<object data="x.swf"></object><embed src="x.swf">',
    "form": '<form action="https://evil.example/"><input name="pw"><button>Go</button></form>',
    "svg script": "<svg><script>alert(1)</script></svg>",
    "svg onload": '<svg onload="alert(1)"><a xlink:href="javascript:alert(1)">x</a></svg>',
    "svg animate": "<svg><a><animate attributeName=href values=javascript:alert(1) /><text>x",
    "mathml mglyph": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "noscript breakout": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "base": '<base href="https://evil.example/">',
    "link": '<link rel="stylesheet" href="https://evil.example/x.css">',
    "unclosed": "<p><b><i><a href='https://ok.example/'>open",
    "broken attribute": '<a href="https://ok.example/" title="x>y</a>',
    "comment": "<!-- <script>alert(1)</script> -->visible",
    "cdata": "<![CDATA[<script>alert(1)</script>]]>",
    "nul bytes": "a\x00b<scr\x00ipt>alert(1)</script>\x00",
    "deep nesting": "<blockquote>" * 5000 + "deep" + "</blockquote>" * 5000,
    "deep unclosed": "<span><b>" * 20_000,
    "huge": "<p>" + "word <b>bold</b> " * 100_000 + "</p>",
    "rel override": '<a href="https://ok.example/" rel="opener" target="_top">x</a>',
    "target blank": '<a href="https://ok.example/" target="_blank">x</a>',
    "lone surrogate-ish": "\ud7ff\ufffe<p>odd</p>",
}


class Checker(HTMLParser):
    """Collects every problem an output contains (parsed as browsers would read it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | GENERIC | ({"rel"} if tag == "a" else set())
        for name, value in attrs:
            if name not in allowed:
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "class" and not all(CLASS.match(c) for c in (value or "").split()):
                self.problems.append(f"class {value!r} on <{tag}>")
            if name == "href":
                link = "".join(ch for ch in html.unescape(value or "") if ch.isprintable())
                if not link.strip().lower().startswith(SAFE_SCHEMES):
                    self.problems.append(f"href {value!r}")
        if tag == "a" and dict(attrs).get("rel") != REL:
            self.problems.append(f"<a> without rel={REL!r}: {attrs}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def problems(output: str) -> list[str]:
    checker = Checker()
    checker.feed(output)
    checker.close()
    found = list(checker.problems)
    if "<script" in output.lower():  # as text it would read &lt;script
        found.append("<script in output")
    if "\x00" in output:
        found.append("NUL byte in output")
    return found


@pytest.mark.parametrize("name", list(CORPUS))
def test_attack_corpus_never_raises_and_never_passes(name: str) -> None:
    output = clean_html(CORPUS[name])
    assert isinstance(output, str)
    assert problems(output) == [], name


def test_kept_links_are_http_with_our_rel() -> None:
    output = clean_html(CORPUS["rel override"] + CORPUS["onclick on allowed tag"])
    assert output.count(f'rel="{REL}"') == 2
    assert 'href="https://ok.example/"' in output and "target" not in output


def test_mastodon_classes_survive_and_others_are_dropped() -> None:
    output = clean_html(
        '<span class="h-card skip"><a href="https://m.example/@a" class="u-url mention x">@a</a>'
        '</span><a href="https://n.example/tags/t" class="mention hashtag">#t</a>'
    )
    assert '<span class="h-card">' in output and 'class="u-url mention"' in output
    assert 'class="mention hashtag"' in output and "skip" not in output


def test_allowed_markup_survives() -> None:
    kept = '<p>a <strong>b</strong> <em>c</em> <a href="mailto:x@y.example">m</a></p>'
    kept += "<ul><li>i</li></ul>"
    output = clean_html(kept)
    for fragment in ("<p>", "<strong>b</strong>", "<em>c</em>", "<ul><li>i</li></ul>",
                     'href="mailto:x@y.example"'):  # fmt: skip
        assert fragment in output


@pytest.mark.parametrize("value", [None, 42, b"<script>", ["<p>"], {"a": 1}, ""])
def test_non_strings_become_empty(value: object) -> None:
    assert clean_html(value) == ""


def test_random_splices_of_the_corpus_never_pass() -> None:
    rng = random.Random(1234)
    pieces = [v[:400] for v in CORPUS.values()] + ["<", ">", '"', "'", "&#", "=", "/", "\x00"]
    for _ in range(500):
        sample = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        assert problems(clean_html(sample)) == [], sample
