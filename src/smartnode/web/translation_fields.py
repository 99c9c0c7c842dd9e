"""A form's translations (contentMap on input): numbered pairs of fields `tr_lang_N` and
`tr_text_N`, as many as are filled plus one empty, read back into a language → text map."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The domain takes at most ten translations.
MOST = 10


def read(form: Mapping[str, Any]) -> dict[str, str]:
    """The typed pairs, kept as typed (for the form that comes back)."""
    found: dict[str, str] = {}
    for i in range(1, MOST + 1):
        found[f"tr_lang_{i}"] = str(form.get(f"tr_lang_{i}", "")).strip()
        found[f"tr_text_{i}"] = str(form.get(f"tr_text_{i}", "")).strip()
    return found


def stored(content_map: Mapping[str, Any], language: str) -> dict[str, str]:
    """The pairs of a stored map, its own language left out."""
    others = [(k, str(t)) for k, t in content_map.items() if k != language][:MOST]
    found = read({})
    for i, (lang, text) in enumerate(others, start=1):
        found[f"tr_lang_{i}"], found[f"tr_text_{i}"] = lang, text
    return found


def pairs(v: Mapping[str, str]) -> list[tuple[str, str]]:
    """The filled pairs, in order."""
    return [
        (v.get(f"tr_lang_{i}", ""), v.get(f"tr_text_{i}", ""))
        for i in range(1, MOST + 1)
        if v.get(f"tr_text_{i}", "")
    ]


def content_map(v: Mapping[str, str]) -> dict[str, str]:
    """Language → text of the filled pairs."""
    return dict(pairs(v))


def wrong(v: Mapping[str, str], language: str) -> bool:
    """A filled text without a language, in the content's own language, or twice."""
    langs = [lang for lang, _ in pairs(v)]
    return any(lang in ("", language) for lang in langs) or len(set(langs)) != len(langs)
