"""Calls on the wire (pure): the Note we publish (no summary, title in content, hashtags,
FEP-0837 properties) and tolerant parsing of remote calls, hostile ones included."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from smartnode.content.calls_from_ap import call_terms, is_call
from smartnode.content.calls_to_ap import CALL_CONTEXT, call_to_ap
from smartnode.content.calls_wording import terms_html
from smartnode.content.notes_from_ap import BadNote, note_from_ap
from smartnode.federation.jsonld import check_document, expand
from smartnode.federation.vocab import PUBLIC
from smartnode.storage.models import ContentObject

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CALL = "https://se.smart.test/calls/abc"
OPERA = "https://se.smart.test/projects/malmo-opera"
DANCER = "http://data.europa.eu/esco/occupation/07b91f36-8272-493a-8e1c-5625e77efe68"
PERFORM = "http://data.europa.eu/esco/skill/2aeadb90-7ddc-4329-9268-8d5a6bf76b99"
TERMS: dict[str, Any] = {
    "title": "Dancers for Carmen", "occupation": DANCER,
    "skills": [{"uri": PERFORM, "name": "perform dances"}], "languages": ["sv", "en"],
    "starts_on": "2027-03-01", "ends_on": "2027-04-30", "country": "SE", "city": "Malmö",
    "remote": False, "positions": 2, "effort": {"amount": "40", "unit": "day"},
    "paid": {"amount": "3000", "currency": "EUR", "unit": "month"},
}  # fmt: skip


def row(**fields: Any) -> ContentObject:
    content = "<p><strong>Dancers for Carmen</strong></p><p>Two dancers.</p>"
    fields.setdefault("extra", {"call": TERMS, "source": {}})
    return ContentObject(
        uri=CALL, local=True, actor_id=1, ap_type="Note", kind="call", name="Dancers for Carmen",
        content=content, content_map={"sv": content}, language="sv", url=CALL,
        visibility="public", audience={"to": [PUBLIC], "cc": [f"{OPERA}/followers"]},
        sensitive=False, attachments=[],
        tags=[{"type": "Hashtag", "href": "https://se.smart.test/tags/Dance", "name": "#Dance"},
              {"type": "DefinedTerm", "id": PERFORM, "url": PERFORM, "name": "perform dances"}],
        state="open", summary=None,
        closes_at=datetime(2027, 1, 15, tzinfo=UTC), published_at=NOW, updated_at=NOW,
        **fields,
    )  # fmt: skip


def test_a_call_is_a_note_with_its_title_in_content_and_no_summary() -> None:
    doc = call_to_ap(row(), OPERA)
    assert doc["@context"] == CALL_CONTEXT and doc["type"] == "Note" and "summary" not in doc
    assert doc["content"].startswith("<p><strong>Dancers for Carmen</strong></p>")
    assert doc["name"] == "Dancers for Carmen" and doc["contentMap"] == {"sv": doc["content"]}
    assert {"type": "Hashtag", "href": "https://se.smart.test/tags/Dance", "name": "#Dance"} in (
        doc["tag"]
    )
    assert (doc["to"], doc["attributedTo"]) == ([PUBLIC], OPERA)


def test_fep_0837_properties() -> None:
    doc = call_to_ap(row(), OPERA)
    assert (doc["purpose"], doc["unitBased"]) == ("request", False)
    assert doc["publishes"] == {
        "id": f"{CALL}#primary", "type": "Intent", "action": "deliverService",
        "resourceQuantity": {"hasUnit": "day", "hasNumericalValue": "40"},
        "resourceConformsTo": DANCER, "hasBeginning": "2027-03-01", "hasEnd": "2027-04-30",
    }  # fmt: skip
    assert doc["reciprocal"] == {
        "id": f"{CALL}#reciprocal", "type": "Intent", "action": "transfer",
        "resourceQuantity": {"hasUnit": "EUR", "hasNumericalValue": "3000"}, "per": "month",
    }  # fmt: skip
    assert doc["endTime"] == "2027-01-15T00:00:00Z" and doc["state"] == "open"
    assert doc["location"]["address"] == {
        "type": "PostalAddress", "addressCountry": "SE", "addressLocality": "Malmö"}  # fmt: skip
    assert (doc["positions"], doc["languages"], doc["remote"]) == (2, ["sv", "en"], False)
    terms = CALL_CONTEXT[-1]
    for key in ("purpose", "publishes", "reciprocal", "Intent", "resourceQuantity", "hasUnit",
                "DefinedTerm", "positions", "state", "Hashtag"):  # fmt: skip
        assert key in terms


def test_an_unpaid_call_has_no_reciprocal_and_says_so() -> None:
    doc = call_to_ap(row(extra={"call": {**TERMS, "paid": None, "effort": None}}), OPERA)
    assert "reciprocal" not in doc
    assert doc["publishes"]["resourceQuantity"] == {"hasUnit": "one", "hasNumericalValue": "1"}
    html = terms_html({**TERMS, "paid": None}, None)
    assert "Remuneration: unpaid" in html and "Where: Malmö, SE" in html


def test_terms_are_escaped_words() -> None:
    html = terms_html({**TERMS, "city": "<script>x</script>", "state": "closed"}, "2027-01-15T00")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Apply by: 2027-01-15" in html and "Status: closed" in html
    assert "Remuneration: paid, 3000 EUR per month" in html and "Effort: 40 days" in html


def test_our_call_reads_back_to_the_same_terms() -> None:
    doc = call_to_ap(row(), OPERA)
    assert is_call(doc)
    note = note_from_ap(doc, NOW)
    assert note.terms.kind == "call" and note.terms.extra == {"call": {**TERMS}, "proposal": {
        "primary": {"id": f"{CALL}#primary", "unit": "day", "amount": "40"},
        "reciprocal": {"id": f"{CALL}#reciprocal", "unit": "EUR", "amount": "3000"},
        "unitBased": False}}  # fmt: skip
    assert note.terms.state == "open" and note.terms.closes_at == datetime(2027, 1, 15, tzinfo=UTC)
    assert note.terms.starts_at == datetime(2027, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "doc",
    [
        {"purpose": "offer", "publishes": {}},
        {"purpose": "request", "publishes": "https://x.example/intent"},
        {"purpose": ["request"], "publishes": {}},
        {},
    ],
)
def test_what_is_not_a_call(doc) -> None:
    assert not is_call(doc)


HOSTILE: list[dict[str, Any]] = [
    {"publishes": {"resourceConformsTo": "javascript:alert(1)",
                   "resourceQuantity": {"hasUnit": "day", "hasNumericalValue": "NaN"},
                   "hasBeginning": "2027-05-01", "hasEnd": "2027-01-01"}},
    {"publishes": {"resourceQuantity": {"hasUnit": ["day"], "hasNumericalValue": 1e308}},
     "reciprocal": {"resourceQuantity": {"hasUnit": "<b>EUR</b>", "hasNumericalValue": "-5"}}},
    {"publishes": {"resourceQuantity": "lots", "hasBeginning": 7, "hasEnd": "x" * 100},
     "reciprocal": "cash", "endTime": "yesterday", "positions": True, "state": "<open>"},
    {"publishes": {}, "tag": [{"type": "DefinedTerm", "id": "http://evil.example/x"}, "junk",
                              {"type": "DefinedTerm", "id": PERFORM, "name": "<img src=x>hi"}]
                              * 100},
    {"publishes": {}, "languages": ["en", "<sv>", 5, "x" * 50, None] * 40,
     "location": [{"type": "Place", "address": {"addressCountry": "Sweden",
                                                "addressLocality": "<b>Malmö</b>" * 200}}]},
    {"publishes": {}, "positions": 10**9, "remote": "yes", "location": "Malmö",
     "reciprocal": {"resourceQuantity": {"hasUnit": "EUR", "hasNumericalValue": "1e999"}}},
]  # fmt: skip


@pytest.mark.parametrize("fields", HOSTILE)
def test_hostile_calls_are_read_without_raising_and_keep_only_sane_terms(fields) -> None:
    doc = {"id": "https://be.smart.example/calls/1", "type": "Note", "purpose": "request",
           "attributedTo": "https://be.smart.example/projects/x", "content": "<p>hi</p>",
           **fields}  # fmt: skip
    terms = call_terms(doc)
    found = terms.extra["call"]
    assert terms.kind == "call" and terms.state in ("open", "closed", "filled")
    assert found["occupation"] is None and found["paid"] is None and found["effort"] is None
    assert found["starts_on"] is None and found["ends_on"] is None
    assert 1 <= found["positions"] <= 1000 and found["remote"] is False
    assert all(s["uri"] == PERFORM and "<" not in s["name"] for s in found["skills"])
    assert len(found["skills"]) <= 1 and len(found["languages"]) <= 10
    assert all("<" not in lang for lang in found["languages"])
    assert found["country"] is None and (found["city"] is None or "<" not in found["city"])
    assert terms.closes_at is None
    proposal = terms.extra["proposal"]
    assert proposal["primary"]["id"] == "https://be.smart.example/calls/1#primary"
    assert "<" not in str(proposal) and "NaN" not in str(proposal) and "e+" not in str(proposal)
    note = note_from_ap(doc, NOW)
    assert note.terms.kind == "call"


def test_our_call_passes_our_own_json_ld_checks_and_expands_to_valueflows() -> None:
    doc = call_to_ap(row(), OPERA)
    check_document(doc)
    [node] = expand(doc)
    assert node["https://w3id.org/valueflows/ont/vf#purpose"] == [{"@value": "request"}]
    [work] = node["https://w3id.org/valueflows/ont/vf#publishes"]
    assert work["https://w3id.org/valueflows/ont/vf#resourceConformsTo"] == [{"@id": DANCER}]
    assert "http://schema.org#DefinedTerm" in str(node)


def test_terms_are_worded_in_each_language() -> None:
    terms = {**TERMS, "remote": True, "state": "filled"}
    assert "Ersättning: betalt, 3000 EUR per månad" in terms_html(terms, None, "sv")
    assert "Où: Malmö, SE ou à distance" in terms_html(terms, None, "fr-BE")
    assert "Umfang: 40 Tage" in terms_html(terms, None, "de")
    assert "Estado: cubierta" in terms_html(terms, None, "es")
    assert terms_html(terms, None, "xx") == terms_html(terms, None, "en")
    for language in ("en", "sv", "fr", "nl", "de", "it", "es"):
        html = terms_html(
            {**TERMS, "effort": {"amount": "1", "unit": "hour"}}, "2027-01-15", language
        )
        assert html.count("<br>") == 7 and "2027-01-15" in html


def test_every_intent_has_the_fep_0837_required_properties() -> None:
    for extra in ({"call": TERMS}, {"call": {**TERMS, "paid": None, "effort": None}}):
        doc = call_to_ap(row(extra=extra), OPERA)
        intents = [doc["publishes"], *([doc["reciprocal"]] if "reciprocal" in doc else [])]
        for intent, fragment in zip(intents, ("primary", "reciprocal"), strict=False):
            assert intent["id"] == f"{CALL}#{fragment}" and intent["type"] == "Intent"
            assert intent["action"] in ("deliverService", "transfer")
            assert isinstance(intent["resourceQuantity"]["hasUnit"], str)
        assert doc["publishes"]["action"] == "deliverService"
        assert (doc["purpose"], doc["attributedTo"], doc["to"]) == ("request", OPERA, [PUBLIC])
        assert doc["unitBased"] is False and "availableQuantity" not in str(doc)


def test_a_proposal_that_requests_is_a_call_and_one_that_offers_is_not() -> None:
    doc = {**call_to_ap(row(), OPERA), "type": "Proposal"}
    note = note_from_ap(doc, NOW)
    assert (note.ap_type, note.terms.kind) == ("Proposal", "call")
    assert note.terms.extra["call"] == TERMS
    minimal = {"id": CALL, "type": "Proposal", "purpose": "request", "attributedTo": OPERA,
               "to": PUBLIC, "name": "Bike courier",
               "publishes": {"id": f"{CALL}#p", "type": "Intent", "action": "deliverService",
                             "resourceQuantity": {"hasUnit": "hour", "hasNumericalValue": "3"}},
               "unitBased": True}  # fmt: skip
    read = note_from_ap(minimal, NOW)
    assert read.terms.kind == "call" and read.terms.extra["proposal"] == {
        "primary": {"id": f"{CALL}#p", "unit": "hour", "amount": "3"}, "reciprocal": None,
        "unitBased": True}  # fmt: skip
    with pytest.raises(BadNote, match="purpose offer"):
        note_from_ap({**minimal, "purpose": "offer"}, NOW)
