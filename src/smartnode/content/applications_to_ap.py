"""Applications on the wire (pure): the FEP-0837 Agreements (offered and finalized), reading
a received Offer, and the short direct messages that answer fediverse users who applied by reply.

Interop: FEP-0837 has the applicant Offer an Agreement (its `id` is optional; we send none:
the Offer id keys the application) whose `stipulates` Commitment `satisfies` the call's primary
Intent with the same `resourceQuantity`, and whose `stipulatesReciprocal` satisfies the
reciprocal Intent of a paid call. The Offer is `inReplyTo` the call (its `target` too) and goes
to the project only; an Offer naming neither is read through its Commitment's `satisfies`.
The project answers TentativeAccept{Offer}, Accept{Offer, result: <the finalized Agreement>}
or Reject{Offer, content: <reason>}. Mastodon ignores all of these, which is why people who
applied by a direct reply get direct Notes instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag

from smartnode.content.notes_to_ap import CONTENT_CONTEXT
from smartnode.content.proposals import Intent, Proposal, committed
from smartnode.errors import BadRequest
from smartnode.federation.sanitize import clean_html, escape_text
from smartnode.federation.vocab import as_list, id_of, link_href

VF = "https://w3id.org/valueflows/ont/vf#"
OM2 = "http://www.ontology-of-units-of-measure.org/resource/om-2/"
APPLICATION_CONTEXT: list[Any] = [
    *CONTENT_CONTEXT[:-1],
    {
        **CONTENT_CONTEXT[-1],
        "vf": VF,
        "om2": OM2,
        "Agreement": "vf:Agreement",
        "Commitment": "vf:Commitment",
        "stipulates": "vf:stipulates",
        "stipulatesReciprocal": "vf:stipulatesReciprocal",
        "satisfies": {"@id": "vf:satisfies", "@type": "@id"},
        "resourceQuantity": "vf:resourceQuantity",
        "hasUnit": "om2:hasUnit",
        "hasNumericalValue": "om2:hasNumericalValue",
    },
]
MAX_LINKS = 5
MAX_MOTIVATION = 20_000


@dataclass(frozen=True, slots=True)
class OfferedAgreement:
    """What a received Offer proposes: its Agreement (and its id, if any), the call, the
    motivation and links."""

    agreement_uri: str | None
    call_uri: str
    motivation: str
    links: list[str]
    agreement: dict[str, Any]


def _commitment(intent: Intent, commitment_id: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"type": "Commitment", "satisfies": intent.id,
                             "resourceQuantity": committed(intent)}  # fmt: skip
    return {"id": commitment_id, **found} if commitment_id else found


def _stipulations(proposal: Proposal, agreement_uri: str | None) -> dict[str, Any]:
    """`stipulates` (and `stipulatesReciprocal` for a paid call), with ids when finalized."""
    ids = (f"{agreement_uri}#primary", f"{agreement_uri}#reciprocal") if agreement_uri else (
        None, None)  # fmt: skip
    found = {"stipulates": _commitment(proposal.primary, ids[0])}
    if proposal.reciprocal is not None:
        found["stipulatesReciprocal"] = _commitment(proposal.reciprocal, ids[1])
    return found


def agreement_document(
    proposal: Proposal, applicant_uri: str, motivation: str, links: list[str]
) -> dict[str, Any]:
    """The Agreement an applicant offers, without an id (motivation is sanitised HTML)."""
    doc: dict[str, Any] = {"type": "Agreement", "attributedTo": applicant_uri,
                           "content": motivation, **_stipulations(proposal, None)}  # fmt: skip
    if links:
        doc["url"] = [{"type": "Link", "href": link} for link in links]
    return doc


def finalized_agreement(
    agreement_uri: str, proposal: Proposal, *, context: bool = False
) -> dict[str, Any]:
    """The finalized Agreement (FEP-0837): its id on the project's node, commitments
    `<id>#primary` / `<id>#reciprocal` with the offered (= the call's) quantities."""
    doc = {"id": agreement_uri, "type": "Agreement", **_stipulations(proposal, agreement_uri)}
    return {"@context": APPLICATION_CONTEXT, **doc} if context else doc


def offer_extra(call_uri: str) -> dict[str, Any]:
    """Properties an Offer carries besides actor/object/to."""
    return {"@context": APPLICATION_CONTEXT, "inReplyTo": call_uri, "target": call_uri}


def _links(value: Any) -> list[str]:
    found: list[str] = []
    for item in as_list(value)[: MAX_LINKS * 2]:
        href = link_href(item)
        if href and href.startswith(("https://", "http://")) and href not in found:
            found.append(href)
    return found[:MAX_LINKS]


def _satisfied_call(agreement: dict[str, Any]) -> str | None:
    """The proposal a Commitment's `satisfies` names (`<proposal>#primary` → `<proposal>`)."""
    stipulates = agreement.get("stipulates")
    intent = id_of(stipulates.get("satisfies")) if isinstance(stipulates, dict) else None
    return urldefrag(intent).url or None if intent else None


def offered_agreement(body: dict[str, Any]) -> OfferedAgreement:
    """Read a received Offer{Agreement}; BadRequest when it is not one."""
    obj = body.get("object")
    if not isinstance(obj, dict) or "Agreement" not in as_list(obj.get("type")):
        raise BadRequest("the Offer does not offer an Agreement")
    call_uri = id_of(body.get("inReplyTo")) or id_of(body.get("target")) or _satisfied_call(obj)
    if not call_uri:
        raise BadRequest("the Offer names no call")
    content = obj.get("content")
    motivation = clean_html(content[:MAX_MOTIVATION]) if isinstance(content, str) else ""
    return OfferedAgreement(id_of(obj), call_uri, motivation, _links(obj.get("url")), obj)


def text_html(text: str) -> str:
    """Plain text (the native API's motivation) as escaped paragraphs."""
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{escape_text(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


_ACK = {
    "en": "Thank you! Your application to “{title}” was received; the team will answer you here.",
    "fr": "Merci ! Votre candidature à « {title} » a bien été reçue ; l’équipe vous répondra ici.",
    "nl": "Bedankt! Je sollicitatie voor “{title}” is ontvangen; het team antwoordt je hier.",
    "de": "Danke! Deine Bewerbung für „{title}“ ist angekommen; das Team antwortet dir hier.",
    "sv": "Tack! Din ansökan till ”{title}” har tagits emot; teamet svarar dig här.",
    "it": "Grazie! La tua candidatura a «{title}» è stata ricevuta; il team ti risponderà qui.",
    "es": "¡Gracias! Hemos recibido tu candidatura a «{title}»; el equipo te responderá aquí.",
}
_ACCEPTED = {
    "en": "Good news: your application to “{title}” was accepted. Welcome to the team!",
    "fr": "Bonne nouvelle : votre candidature à « {title} » est acceptée. Bienvenue !",
    "nl": "Goed nieuws: je sollicitatie voor “{title}” is aanvaard. Welkom in het team!",
    "de": "Gute Nachricht: Deine Bewerbung für „{title}“ wurde angenommen. Willkommen!",
    "sv": "Goda nyheter: din ansökan till ”{title}” har antagits. Välkommen till teamet!",
    "it": "Buone notizie: la tua candidatura a «{title}» è stata accettata. Benvenuto!",
    "es": "Buenas noticias: tu candidatura a «{title}» ha sido aceptada. ¡Bienvenido!",
}
_REJECTED = {
    "en": "Thank you for applying to “{title}”. This time we chose someone else.",
    "fr": "Merci d’avoir postulé à « {title} ». Cette fois, nous avons choisi quelqu’un d’autre.",
    "nl": "Bedankt voor je sollicitatie voor “{title}”. Deze keer kozen we iemand anders.",
    "de": "Danke für deine Bewerbung für „{title}“. Diesmal haben wir uns anders entschieden.",
    "sv": "Tack för din ansökan till ”{title}”. Den här gången valde vi någon annan.",
    "it": "Grazie per la candidatura a «{title}». Questa volta abbiamo scelto un’altra persona.",
    "es": "Gracias por tu candidatura a «{title}». Esta vez hemos elegido a otra persona.",
}
MESSAGES = {"received": _ACK, "accepted": _ACCEPTED, "rejected": _REJECTED}


def reply_message(kind: str, language: str | None, title: str) -> tuple[str, str]:
    """(language, plain text) of the direct message for `kind`, in the applicant's `language`
    (its base: `nl-BE` → `nl`); English when it is unknown or not one of ours."""
    texts = MESSAGES[kind]
    base = (language or "en").split("-")[0].lower()
    lang = base if base in texts else "en"
    return lang, texts[lang].format(title=title)
