"""A call's terms in plain words, in the language of each version of its text (pure).

Interop: Mastodon shows only `content`, so the terms other servers read from FEP-0837 properties
are also written out for people, and an open call ends with how to apply from Mastodon (a
private mention of the project, see `apply_html`). Languages: en, sv, fr, nl, de, it, es (others
fall back to English).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smartnode.actors.to_ap import LANGUAGE_NAMES
from smartnode.content.call_terms import OPEN, CallTerms, read_terms
from smartnode.federation.sanitize import escape_text

_LABELS = ("when", "where", "positions", "effort", "remuneration", "skills", "languages",
           "apply_by", "status")  # fmt: skip
_WORDS = ("remote", "or_remote", "from", "until", "to", "unpaid", "paid", "per_hour", "per_day",
          "per_week", "per_month", "for_project", "hour", "hours", "day", "days", "week",
          "weeks", "month", "months", "closed", "filled")  # fmt: skip

_TABLE: dict[str, tuple[str, str]] = {
    "en": ("When|Where|Positions|Effort|Remuneration|Skills|Languages|Apply by|Status",
           "remote|or remote|from|until|to|unpaid|paid|per hour|per day|per week|per month|"
           "for the project|hour|hours|day|days|week|weeks|month|months|closed|filled"),
    "sv": ("När|Var|Platser|Omfattning|Ersättning|Färdigheter|Språk|Sök senast|Status",
           "på distans|eller på distans|från|till och med|till|oavlönat|betalt|per timme|"
           "per dag|per vecka|per månad|för projektet|timme|timmar|dag|dagar|vecka|veckor|"
           "månad|månader|stängd|tillsatt"),
    "fr": ("Quand|Où|Postes|Volume|Rémunération|Compétences|Langues|Candidater avant|Statut",
           "à distance|ou à distance|à partir du|jusqu'au|au|non rémunéré|rémunéré|de l'heure|"
           "par jour|par semaine|par mois|pour le projet|heure|heures|jour|jours|semaine|"
           "semaines|mois|mois|clôturé|pourvu"),
    "nl": ("Wanneer|Waar|Plaatsen|Omvang|Vergoeding|Vaardigheden|Talen|Solliciteer voor|Status",
           "op afstand|of op afstand|vanaf|tot|tot|onbetaald|betaald|per uur|per dag|"
           "per week|per maand|voor het project|uur|uur|dag|dagen|week|weken|maand|maanden|"
           "gesloten|ingevuld"),
    "de": ("Wann|Wo|Stellen|Umfang|Vergütung|Fähigkeiten|Sprachen|Bewerbung bis|Status",
           "remote|oder remote|ab|bis|bis|unbezahlt|bezahlt|pro Stunde|pro Tag|pro Woche|"
           "pro Monat|für das Projekt|Stunde|Stunden|Tag|Tage|Woche|Wochen|Monat|Monate|"
           "geschlossen|besetzt"),
    "it": ("Quando|Dove|Posti|Impegno|Compenso|Competenze|Lingue|Candidature entro|Stato",
           "da remoto|o da remoto|dal|fino al|al|non retribuito|retribuito|all'ora|al giorno|"
           "a settimana|al mese|per il progetto|ora|ore|giorno|giorni|settimana|settimane|"
           "mese|mesi|chiusa|assegnata"),
    "es": ("Cuándo|Dónde|Plazas|Dedicación|Remuneración|Habilidades|Idiomas|Solicitar antes del|"
           "Estado",
           "en remoto|o en remoto|desde el|hasta el|al|no remunerado|remunerado|por hora|"
           "por día|por semana|por mes|por el proyecto|hora|horas|día|días|semana|semanas|"
           "mes|meses|cerrada|cubierta"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CallWording:
    """How one language names the terms of a call."""

    labels: dict[str, str]
    words: dict[str, str]


WORDINGS = {
    lang: CallWording(dict(zip(_LABELS, labels.split("|"), strict=True)),
                      dict(zip(_WORDS, words.split("|"), strict=True)))
    for lang, (labels, words) in _TABLE.items()
}  # fmt: skip


def call_wording(language: str | None) -> CallWording:
    """The wording of a language (its base: `fr-BE` → `fr`); English when unknown."""
    base = (language or "en").split("-")[0].lower()
    return WORDINGS.get(base, WORDINGS["en"])


def _amount(w: CallWording, amount: Any, unit: str) -> str:
    one = str(amount) in ("1", "1.0", "1.00")
    return f"{amount} {w.words[unit if one else unit + 's']}"


def _when(w: CallWording, terms: CallTerms) -> str | None:
    start, end = terms.starts_on, terms.ends_on
    if start and end:
        return f"{start} – {end}"
    if start:
        return f"{w.words['from']} {start}"
    return f"{w.words['until']} {end}" if end else None


def _where(w: CallWording, terms: CallTerms) -> str | None:
    place = ", ".join(p for p in (terms.city, terms.country) if p)
    if terms.remote:
        return f"{place} {w.words['or_remote']}" if place else w.words["remote"]
    return place or None


def _pay(w: CallWording, terms: CallTerms) -> str:
    paid = terms.paid
    if not paid:
        return w.words["unpaid"]
    unit = paid.unit
    per = w.words["for_project"] if unit == "project" else w.words.get(f"per_{unit}", "")
    return f"{w.words['paid']}, {paid.amount} {paid.currency} {per}".rstrip()


def terms_lines(
    terms: CallTerms | Mapping[str, Any], closes_at: str | None, language: str | None = None
) -> list[tuple[str, str]]:
    """The terms of a call in words, as (label, text) pairs, in `language` (stored terms with
    their `state` are read as call_terms reads them)."""
    if not isinstance(terms, CallTerms):
        terms = read_terms(terms, state=terms.get("state"))
    w = call_wording(language)
    effort, state = terms.effort, terms.state
    skills = [s.name or s.uri for s in terms.skills]
    languages = [LANGUAGE_NAMES.get(c, c) for c in terms.language_codes]
    lines = [
        ("when", _when(w, terms)),
        ("where", _where(w, terms)),
        ("positions", str(terms.positions)),
        ("effort", _amount(w, effort.amount, effort.unit) if effort else None),
        ("remuneration", _pay(w, terms)),
        ("skills", ", ".join(skills) or None),
        ("languages", ", ".join(languages) or None),
        ("apply_by", closes_at[:10] if closes_at else None),
        ("status", w.words.get(state, state) if state != OPEN else None),
    ]
    return [(w.labels[key], text) for key, text in lines if text]


def terms_html(
    terms: CallTerms | Mapping[str, Any], closes_at: str | None, language: str | None = None
) -> str:
    """The terms as one paragraph of escaped lines."""
    lines = terms_lines(terms, closes_at, language)
    return "<p>" + "<br>".join(f"{escape_text(k)}: {escape_text(v)}" for k, v in lines) + "</p>"


#: How to apply from Mastodon: a private reply to the project (`{handle}` is its mention link).
#: Mastodon's own words for that visibility are "private mention" (4.3+) and "direct message".
_APPLY = {
    "en": "To apply from Mastodon, reply to this post with a private mention (a direct message) "
          "to {handle}.",
    "sv": "För att söka via Mastodon svarar du på det här inlägget med ett privat omnämnande "
          "(direktmeddelande) till {handle}.",
    "fr": "Pour postuler depuis Mastodon, répondez à cette publication par une mention privée "
          "(message direct) à {handle}.",
    "nl": "Wil je via Mastodon solliciteren? Reageer dan op dit bericht met een privébericht "
          "aan {handle}.",
    "de": "Um dich über Mastodon zu bewerben, antworte auf diesen Beitrag mit einer privaten "
          "Erwähnung (Direktnachricht) an {handle}.",
    "it": "Per candidarti da Mastodon, rispondi a questo post con una menzione privata "
          "(messaggio diretto) a {handle}.",
    "es": "Para presentar tu candidatura desde Mastodon, responde a esta publicación con una "
          "mención privada (mensaje directo) a {handle}.",
}  # fmt: skip


def mention_html(handle: str, url: str) -> str:
    """A mention link as Mastodon writes one (h-card, `u-url mention`), showing the whole
    `@user@domain`; Mastodon links it to the account whose `url` equals `href`."""
    user, _, domain = handle.lstrip("@").partition("@")
    shown = f"{escape_text(user)}@{escape_text(domain)}" if domain else escape_text(user)
    return (
        f'<span class="h-card"><a href="{escape_text(url)}" class="u-url mention">'
        f"@<span>{shown}</span></a></span>"
    )


def apply_html(language: str | None, handle: str, url: str) -> str:
    """The last line of an open call: how to apply from Mastodon, in `language` (its base;
    English when unknown), with the project's handle as a mention link."""
    base = (language or "en").split("-")[0].lower()
    before, _, after = _APPLY.get(base, _APPLY["en"]).partition("{handle}")
    return f"<p>{escape_text(before)}{mention_html(handle, url)}{escape_text(after)}</p>"
