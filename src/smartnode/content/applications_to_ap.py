"""Applications on the wire (pure): the FEP-0837 Agreement an Offer carries, reading a received
Offer, and the short direct messages that answer fediverse users who applied by reply.

Interop: FEP-0837 has the applicant Offer an Agreement whose `stipulates` Commitment
`satisfies` the call's Intent (`<call>#primary`); the Offer is `inReplyTo` the call (its
`target` too) and goes to the project only. The project answers TentativeAccept{Offer},
Accept{Offer, result: Agreement} or Reject{Offer}. Mastodon ignores all of these, which is why
people who applied by a direct reply get direct Notes instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smartnode.content.notes_to_ap import CONTENT_CONTEXT
from smartnode.errors import BadRequest
from smartnode.federation.sanitize import clean_html, escape_text
from smartnode.federation.vocab import as_list, id_of, link_href

VF = "https://w3id.org/valueflows/ont/vf#"
APPLICATION_CONTEXT: list[Any] = [
    *CONTENT_CONTEXT[:-1],
    {
        **CONTENT_CONTEXT[-1],
        "vf": VF,
        "Agreement": "vf:Agreement",
        "Commitment": "vf:Commitment",
        "stipulates": "vf:stipulates",
        "satisfies": {"@id": "vf:satisfies", "@type": "@id"},
        "action": "vf:action",
    },
]
MAX_LINKS = 5
MAX_MOTIVATION = 20_000


@dataclass(frozen=True, slots=True)
class OfferedAgreement:
    """What a received Offer proposes: its Agreement's id, the call, motivation and links."""

    agreement_uri: str
    call_uri: str
    motivation: str
    links: list[str]


def agreement_document(
    agreement_uri: str, call_uri: str, applicant_uri: str, motivation: str, links: list[str]
) -> dict[str, Any]:
    """The Agreement an applicant offers (motivation is already sanitised HTML)."""
    doc: dict[str, Any] = {
        "id": agreement_uri,
        "type": "Agreement",
        "attributedTo": applicant_uri,
        "content": motivation,
        "stipulates": {
            "id": f"{agreement_uri}#primary",
            "type": "Commitment",
            "action": "work",
            "satisfies": f"{call_uri}#primary",
        },
    }
    if links:
        doc["url"] = [{"type": "Link", "href": link} for link in links]
    return doc


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


def offered_agreement(body: dict[str, Any]) -> OfferedAgreement:
    """Read a received Offer{Agreement}; BadRequest when it is not one."""
    obj = body.get("object")
    if not isinstance(obj, dict) or obj.get("type") != "Agreement":
        raise BadRequest("the Offer does not offer an Agreement")
    agreement_uri = id_of(obj)
    call_uri = id_of(body.get("inReplyTo")) or id_of(body.get("target"))
    if not agreement_uri or not call_uri:
        raise BadRequest("the Offer names no Agreement id or no call")
    content = obj.get("content")
    motivation = clean_html(content[:MAX_MOTIVATION]) if isinstance(content, str) else ""
    return OfferedAgreement(agreement_uri, call_uri, motivation, _links(obj.get("url")))


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
    """(language, plain text) of the direct message for `kind`, in the call's language."""
    texts = MESSAGES[kind]
    lang = language if language in texts else "en"
    return lang, texts[lang].format(title=title)
