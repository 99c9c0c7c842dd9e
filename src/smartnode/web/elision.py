"""French elision around names filled into a message: "À propos de %(name)s" reads
"À propos d’Anna", "Tous les événements d’Olivier", but "de Karin" and "de Hugo" stay.

Catalog text is elided by its translators; only the words in front of a filled-in value can
be known no earlier than the value: `de` and `que` before a value whose first letter is a vowel
(an `h` is left alone: French writes both "de Hugo" and "d’Hugo").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

_VOWELS = "AEIOUYÀÂÄÆÉÈÊËÎÏÔÖŒÙÛÜaeiouyàâäæéèêëîïôöœùûü"
_ELIDED = {"de": "d’", "De": "D’", "que": "qu’", "Que": "Qu’"}


def elide(language: str, text: str, variables: Mapping[str, Any]) -> str:
    """`text` (a message with `variables` filled in) with `de`/`que` elided before each value
    that starts with a vowel, in French; other languages unchanged. Markup stays Markup."""
    if language != "fr":
        return text
    values = {
        str(escape(value)) if isinstance(text, Markup) else value
        for value in variables.values()
        if isinstance(value, str) and value[:1] in _VOWELS
    }
    if not values:
        return text
    alternatives = "|".join(re.escape(value) for value in sorted(values, key=len, reverse=True))
    pattern = re.compile(rf"\b(de|De|que|Que) (?=(?:{alternatives}))")
    elided = pattern.sub(lambda found: _ELIDED[found[1]], str(text))
    # Safe: the text was escaped markup already, and only the literal d’ / qu’ went in.
    return Markup(elided) if isinstance(text, Markup) else elided  # noqa: S704
