"""Explanations of matches in the viewer's language (pure).

A match carries structured parts (score.py); `render` turns them into one line such as
"compose music ✓ advanced · Swedish C2 · available 8 of 10 days · remote", and, when the
member's stored description is close to the need's, "similar description: 86%". Skill labels
come from the taxonomy in the viewer's language, else English, else the URI.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from smartnode.matching.terms import LANGUAGES

FALLBACK = "en"
SEPARATOR = " · "

#: Level names 1-4 and the phrases of an explanation, per language.
PHRASES: dict[str, dict[str, str]] = {
    "en": {"1": "basic", "2": "intermediate", "3": "advanced", "4": "expert",
           "native": "native", "days": "available {days} of {of} days", "remote": "remote",
           "km": "{km} km away", "remote_ok": "works remotely", "country": "based in {country}",
           "via": "via", "text": "mentions {words}", "teaches": "can teach you {skill}",
           "learns": "wants to learn {skill}",
           "similar": "similar description: {percent}%"},
    "sv": {"1": "grundläggande", "2": "medel", "3": "avancerad", "4": "expert",
           "native": "modersmål", "days": "tillgänglig {days} av {of} dagar",
           "remote": "på distans", "km": "{km} km bort", "remote_ok": "arbetar på distans",
           "country": "baserad i {country}", "via": "via", "text": "nämner {words}",
           "teaches": "kan lära dig {skill}", "learns": "vill lära sig {skill}",
           "similar": "liknande beskrivning: {percent}\u00a0%"},
    "fr": {"1": "notions", "2": "intermédiaire", "3": "avancé", "4": "expert",
           "native": "langue maternelle", "days": "disponible {days} jours sur {of}",
           "remote": "à distance", "km": "à {km} km", "remote_ok": "travaille à distance",
           "country": "basé·e en {country}", "via": "via", "text": "mentionne {words}",
           "teaches": "peut vous apprendre {skill}", "learns": "veut apprendre {skill}",
           "similar": "description similaire\u00a0: {percent}\u00a0%"},
    "nl": {"1": "basis", "2": "gemiddeld", "3": "gevorderd", "4": "expert",
           "native": "moedertaal", "days": "beschikbaar {days} van {of} dagen",
           "remote": "op afstand", "km": "{km} km verderop", "remote_ok": "werkt op afstand",
           "country": "gevestigd in {country}", "via": "via", "text": "noemt {words}",
           "teaches": "kan je {skill} leren", "learns": "wil {skill} leren",
           "similar": "vergelijkbare beschrijving: {percent}%"},
    "de": {"1": "Grundkenntnisse", "2": "mittel", "3": "fortgeschritten", "4": "Experte",
           "native": "Muttersprache", "days": "verfügbar an {days} von {of} Tagen",
           "remote": "aus der Ferne", "km": "{km} km entfernt",
           "remote_ok": "arbeitet aus der Ferne", "country": "ansässig in {country}",
           "via": "über", "text": "erwähnt {words}", "teaches": "kann dir {skill} beibringen",
           "learns": "möchte {skill} lernen",
           "similar": "ähnliche Beschreibung: {percent}\u00a0%"},
    "it": {"1": "base", "2": "intermedio", "3": "avanzato", "4": "esperto",
           "native": "madrelingua", "days": "disponibile {days} giorni su {of}",
           "remote": "da remoto", "km": "a {km} km", "remote_ok": "lavora da remoto",
           "country": "con base in {country}", "via": "tramite", "text": "menziona {words}",
           "teaches": "può insegnarti {skill}", "learns": "vuole imparare {skill}",
           "similar": "descrizione simile: {percent}%"},
    "es": {"1": "básico", "2": "intermedio", "3": "avanzado", "4": "experto",
           "native": "nativo", "days": "disponible {days} de {of} días",
           "remote": "en remoto", "km": "a {km} km", "remote_ok": "trabaja en remoto",
           "country": "con base en {country}", "via": "vía", "text": "menciona {words}",
           "teaches": "puede enseñarte {skill}", "learns": "quiere aprender {skill}",
           "similar": "descripción similar: {percent}\u00a0%"},
}  # fmt: skip

#: Names of the node's languages, in each of them (others show as their code).
LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "en": {"en": "English", "sv": "Swedish", "fr": "French", "nl": "Dutch", "de": "German",
           "it": "Italian", "es": "Spanish"},
    "sv": {"en": "engelska", "sv": "svenska", "fr": "franska", "nl": "nederländska",
           "de": "tyska", "it": "italienska", "es": "spanska"},
    "fr": {"en": "anglais", "sv": "suédois", "fr": "français", "nl": "néerlandais",
           "de": "allemand", "it": "italien", "es": "espagnol"},
    "nl": {"en": "Engels", "sv": "Zweeds", "fr": "Frans", "nl": "Nederlands", "de": "Duits",
           "it": "Italiaans", "es": "Spaans"},
    "de": {"en": "Englisch", "sv": "Schwedisch", "fr": "Französisch", "nl": "Niederländisch",
           "de": "Deutsch", "it": "Italienisch", "es": "Spanisch"},
    "it": {"en": "inglese", "sv": "svedese", "fr": "francese", "nl": "olandese",
           "de": "tedesco", "it": "italiano", "es": "spagnolo"},
    "es": {"en": "inglés", "sv": "sueco", "fr": "francés", "nl": "neerlandés", "de": "alemán",
           "it": "italiano", "es": "español"},
}  # fmt: skip

assert set(PHRASES) == set(LANGUAGES) == set(LANGUAGE_NAMES)

Labels = Mapping[str, Mapping[str, str]]  # concept URI → language → label


def viewer_language(language: str | None) -> str:
    """The language explanations are rendered in: the asked one if we have it, else English."""
    return language if language in PHRASES else FALLBACK


def label(uri: str, language: str, labels: Labels) -> str:
    """A concept's label in `language`, else English, else any, else its URI."""
    found = labels.get(uri, {})
    for lang in (language, FALLBACK):
        if found.get(lang):
            return found[lang]
    return next(iter(found.values()), uri)


def uris_of(parts: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every concept URI the parts name (to look their labels up)."""
    return {str(p[key]) for p in parts for key in ("uri", "via") if p.get(key)}


def _skill(part: Mapping[str, Any], words: dict[str, str], lang: str, labels: Labels) -> str:
    name, level = label(part["uri"], lang, labels), words[str(part["level"])]
    via = label(part["via"], lang, labels) if part.get("via") else ""
    if part["match"] == "implied":
        return f"{name} ✓ {words['via']} {via}, {level}"
    if part["match"] == "sibling":
        return f"{name} ≈ {via}, {level}"
    return f"{name} ✓ {level}"


def _place(part: Mapping[str, Any], words: dict[str, str]) -> str:
    mode = part["mode"]
    if mode == "distance":
        return words["km"].format(km=part["km"])
    if mode == "country":
        return words["country"].format(country=part.get("country") or "?")
    return words[mode]


def render_part(part: Mapping[str, Any], lang: str, labels: Labels) -> str:
    """One part of an explanation as words."""
    words, kind = PHRASES[lang], part["kind"]
    if kind == "skill":
        return _skill(part, words, lang, labels)
    if kind == "language":
        name = LANGUAGE_NAMES[lang].get(part["language"], str(part["language"]).upper())
        level = words["native"] if part["level"] == "native" else part["level"]
        return f"{name} {level}"
    if kind == "availability":
        return words["days"].format(days=part["days"], of=part["of"])
    if kind == "place":
        return _place(part, words)
    if kind == "text":
        return words["text"].format(words=", ".join(f"“{w}”" for w in part["words"]))
    if kind == "similar":
        return words["similar"].format(percent=round(100 * float(part["similarity"])))
    if kind in ("teaches", "learns"):
        skill = label(part["uri"], lang, labels)
        if kind == "teaches":
            skill = f"{skill} ({words[str(part['level'])]})"
        return words[kind].format(skill=skill)
    return ""


def render(parts: Iterable[Mapping[str, Any]], language: str | None, labels: Labels) -> str:
    """A whole explanation in the viewer's language (English when we lack theirs)."""
    lang = viewer_language(language)
    return SEPARATOR.join(filter(None, (render_part(p, lang, labels) for p in parts)))
