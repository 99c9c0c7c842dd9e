"""Add translated messages to one area's catalogs: `python scripts/po_add.py AREA FILE.json`.

FILE.json maps each English message to its translations: {"Sign in": {"sv": "Logga in", …}}.
A message with plural forms is written "one file|||%(num)s files" and each translation is the
list of that language's forms. Every language of the node must be given; existing messages
are updated in place.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LANGUAGES = ("sv", "fr", "nl", "de", "it", "es")
LOCALE = Path(__file__).resolve().parent.parent / "src" / "smartnode" / "locale"


def main(area: str, source: Path) -> None:
    entries: dict[str, dict[str, str]] = json.loads(source.read_text(encoding="utf-8"))
    for language in LANGUAGES:
        path = LOCALE / language / "LC_MESSAGES" / f"{area}.po"
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
        else:
            catalog = Catalog(
                locale=language,
                domain=area,
                project="smartnode",
                version="",
                header_comment=f"# The {area} messages of smartnode in {language}.",
                fuzzy=False,
            )
        for message, translated in entries.items():
            if language not in translated:
                sys.exit(f"{message!r} has no {language} translation")
            if "|||" in message:
                catalog.add(tuple(message.split("|||")), tuple(translated[language]))
            else:
                catalog.add(message, translated[language])
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], Path(sys.argv[2]))
