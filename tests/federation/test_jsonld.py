"""Bounded JSON parsing, forbidden JSON-LD features and the offline context loader."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest
from pyld import jsonld as pyld_jsonld
from pyld.jsonld import JsonLdError

from smartnode.errors import BadRequest
from smartnode.federation.jsonld import (
    AS_CONTEXT_URL,
    MAX_ARRAY_ITEMS,
    MAX_DEPTH,
    SECURITY_V1_URL,
    DocumentRejected,
    bundled_context,
    check_document,
    compact,
    expand,
    load_bundled,
    parse_document,
    parse_object,
)
from smartnode.federation.vocab import ACTOR_CONTEXT

# Interop fixtures: the inline contexts real peers send (Mastodon actor, Mobilizon event,
# Pleroma/Akkoma language), which must pass the checks.
MASTODON_ACTOR_CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
        "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
        "movedTo": {"@id": "as:movedTo", "@type": "@id"},
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
        "Hashtag": "as:Hashtag",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
    },
]
MOBILIZON_CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    "https://litepub.social/litepub/context.jsonld",
    {
        "sc": "http://schema.org#",
        "mz": "https://joinmobilizon.org/ns#",
        "location": {"@id": "sc:location", "@type": "sc:Place"},
        "address": {"@id": "sc:address", "@type": "sc:PostalAddress"},
        "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
    },
]
PLEROMA_CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    "https://pleroma.example/schemas/litepub-0.1.jsonld",
    {"@language": "und"},
]


def _actor(context: Any) -> dict[str, Any]:
    return {
        "@context": context,
        "id": "https://remote.example/users/alice",
        "type": "Person",
        "preferredUsername": "alice",
        "name": "Alice",
        "inbox": "https://remote.example/users/alice/inbox",
        "publicKey": {
            "id": "https://remote.example/users/alice#main-key",
            "owner": "https://remote.example/users/alice",
            "publicKeyPem": "-----BEGIN PUBLIC KEY-----\n…",
        },
    }


def _nested(depth: int) -> bytes:
    """A JSON object `depth` containers deep."""
    return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)


# --- parse_object ---------------------------------------------------------------------------


def test_depth_ten_thousand_is_a_typed_400_not_a_crash() -> None:
    with pytest.raises(DocumentRejected) as caught:
        parse_object(b'{"a":' * 10_000 + b"1" + b"}" * 10_000)
    assert caught.value.status_code == 400
    assert isinstance(caught.value, BadRequest)
    assert "deeper than 32" in caught.value.message


def test_deep_arrays_are_refused_too() -> None:
    with pytest.raises(DocumentRejected):
        parse_object(b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}")


def test_depth_limit_is_exactly_32() -> None:
    assert MAX_DEPTH == 32
    parse_object(_nested(32))
    with pytest.raises(DocumentRejected, match="deeper than 32"):
        parse_object(_nested(33))


def test_array_length_is_capped() -> None:
    parse_object(orjson.dumps({"to": ["x"] * MAX_ARRAY_ITEMS}))
    with pytest.raises(DocumentRejected, match="more than"):
        parse_object(orjson.dumps({"to": ["x"] * (MAX_ARRAY_ITEMS + 1)}))


@pytest.mark.parametrize("body", [b"[]", b'"a"', b"1", b"null", b"[{}]"])
def test_top_level_must_be_an_object(body: bytes) -> None:
    with pytest.raises(DocumentRejected, match="not a JSON object"):
        parse_object(body)


@pytest.mark.parametrize("body", [b"", b"{", b"{'a': 1}", b"\xff\xfe", b'{"a": NaN}'])
def test_malformed_json_is_refused(body: bytes) -> None:
    with pytest.raises(DocumentRejected, match="not valid JSON"):
        parse_object(body)


# --- check_document -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "context",
    [ACTOR_CONTEXT, MASTODON_ACTOR_CONTEXT, MOBILIZON_CONTEXT, PLEROMA_CONTEXT, AS_CONTEXT_URL],
)
def test_contexts_real_peers_send_pass(context: Any) -> None:
    check_document(_actor(context))


def test_repeating_the_as_core_aliases_is_allowed() -> None:
    check_document(_actor([AS_CONTEXT_URL, {"id": "@id", "type": "@type"}]))


@pytest.mark.parametrize("keyword", ["@graph", "@included", "@reverse"])
def test_forbidden_keywords_are_refused_at_the_top(keyword: str) -> None:
    doc = _actor(AS_CONTEXT_URL) | {keyword: [{"id": "https://remote.example/x"}]}
    with pytest.raises(DocumentRejected, match=keyword):
        check_document(doc)


@pytest.mark.parametrize("keyword", ["@graph", "@included", "@reverse"])
def test_forbidden_keywords_are_refused_deep_inside(keyword: str) -> None:
    doc = {
        "@context": AS_CONTEXT_URL,
        "id": "https://remote.example/create/1",
        "type": "Create",
        "object": {"type": "Note", "tag": [{"type": "Mention", "x": {keyword: {}}}]},
    }
    with pytest.raises(DocumentRejected, match=keyword):
        check_document(doc)


@pytest.mark.parametrize(
    "inline",
    [
        {"type": "@id"},
        {"id": "@type"},
        {"id": "https://evil.example/id"},
        {"type": {"@id": "@id"}},
        {"id": None},
        {"uri": "@id"},
        {"kind": {"@id": "@type"}},
        {"nest": "@nest"},
        {"knows": {"@reverse": "http://xmlns.com/foaf/0.1/knows"}},
        {"items": {"@id": "as:items", "@container": "@graph"}},
        {"extra": {"@id": "ex:extra", "@container": ["@included", "@set"]}},
        {"@import": "https://evil.example/context.jsonld"},
        {"scoped": {"@id": "ex:scoped", "@context": {"id": "@type"}}},
        {"@type": "@id"},
        {"@vocab": "@type"},
        {"actor": "https://evil.example/ns#actor"},
        {"inReplyTo": None},
        {"as": "https://evil.example/ns#"},
        {"object": {"@id": "as:object", "@type": "@json"}},
        {"to": {"@id": "as:to", "@container": "@index"}},
        {"owner": {"@id": "https://evil.example/ns#owner", "@type": "@id"}},
        {"Note": {"@id": "as:Note", "@context": {"content": "https://evil.example/ns#c"}}},
    ],
)
def test_keyword_aliasing_in_inline_contexts_is_refused(inline: dict[str, Any]) -> None:
    with pytest.raises(DocumentRejected) as caught:
        check_document(_actor([AS_CONTEXT_URL, inline]))
    assert caught.value.status_code == 400


def test_aliasing_in_an_embedded_objects_context_is_refused() -> None:
    doc = {
        "@context": AS_CONTEXT_URL,
        "id": "https://remote.example/announce/1",
        "type": "Announce",
        "object": {"@context": {"id": "@type"}, "id": "https://remote.example/note/1"},
    }
    with pytest.raises(DocumentRejected, match="core term 'id'"):
        check_document(doc)


@pytest.mark.parametrize("key", ["@id", "@type", "@nest"])
def test_keyword_spellings_of_what_we_read_are_refused_in_objects(key: str) -> None:
    doc = _actor(AS_CONTEXT_URL) | {"attachment": [{"type": "PropertyValue", key: {}}]}
    with pytest.raises(DocumentRejected, match=f"the key {key} is not accepted"):
        check_document(doc)


@pytest.mark.parametrize(
    "inline",
    [
        {"ext": "https://www.w3.org/ns/activitystreams#", "actor": "ext:actor"},
        {"actor": "http://www.w3.org/ns/activitystreams#actor"},
        {"published": {"@id": "as:published", "@type": "xsd:dateTime"}},
        {"contentMap": {"@id": "as:content", "@container": "@language"}},
        {"location": {"@id": "http://schema.org/location", "@type": "http://schema.org/Place"}},
        {"expires": "as:endTime"},
    ],
)
def test_repeating_or_tolerated_meanings_pass(inline: dict[str, Any]) -> None:
    check_document(_actor([AS_CONTEXT_URL, SECURITY_V1_URL, inline]))


@pytest.mark.parametrize("entry", [1, True, [AS_CONTEXT_URL]])
def test_context_entries_must_be_urls_or_objects(entry: Any) -> None:
    with pytest.raises(DocumentRejected, match="@context entries"):
        check_document(_actor([AS_CONTEXT_URL, entry]))


# --- parse_document: parse_object then check_document, in one walk ---------------------------


def _in_context(value: Any, depth: int) -> dict[str, Any]:
    """A document whose @context holds `value`, the context `depth` containers down."""
    doc: dict[str, Any] = {"@context": value, "id": "https://remote.example/x"}
    for _ in range(depth - 1):
        doc = {"a": doc}
    return doc


_VERDICT_CASES: list[bytes] = [
    _nested(32), _nested(33), b'{"a":' + b"[" * 40 + b"]" * 40 + b"}",
    b"[]", b"1", b"{", b'{"a": NaN}', b'{"a": [{}, [[{"@id": 1}]]]}',
    orjson.dumps({"to": ["x"] * MAX_ARRAY_ITEMS}),
    orjson.dumps({"to": ["x"] * (MAX_ARRAY_ITEMS + 1)}),
    orjson.dumps({"a": [{"b": [1] * (MAX_ARRAY_ITEMS + 1)}]}),
    *(orjson.dumps(_actor(context)) for context in (ACTOR_CONTEXT, MASTODON_ACTOR_CONTEXT,
                                                     MOBILIZON_CONTEXT, PLEROMA_CONTEXT)),
    *(orjson.dumps(_actor(AS_CONTEXT_URL) | {key: {}}) for key in
      ("@graph", "@included", "@reverse", "@id", "@type", "@nest", "@context", "@language")),
    orjson.dumps({"object": {"tag": [{"x": {"@reverse": {}}}]}}),
    orjson.dumps(_actor([AS_CONTEXT_URL, {"type": "@id"}])),
    orjson.dumps(_actor([AS_CONTEXT_URL, 1])),
    orjson.dumps({"object": {"@context": {"id": "@type"}, "id": "https://remote.example/n"}}),
    orjson.dumps(_in_context([AS_CONTEXT_URL] * (MAX_ARRAY_ITEMS + 1), 1)),  # a huge context
    orjson.dumps(_in_context({"ex": "https://ex.example/"}, MAX_DEPTH - 1)),  # at the limit
    orjson.dumps(_in_context({"ex": "https://ex.example/"}, MAX_DEPTH)),  # one past it
    orjson.dumps(_in_context([{"ex": {"@id": "https://ex.example/"}}], MAX_DEPTH - 2)),
    orjson.dumps(_in_context([{"ex": {"@id": "https://ex.example/"}}], MAX_DEPTH - 1)),
    orjson.dumps(_in_context(AS_CONTEXT_URL, MAX_DEPTH)),  # a URL deepest of all
]  # fmt: skip


def _verdict(check: Any, body: bytes) -> Any:
    try:
        return check(body)
    except DocumentRejected as refused:
        return ("refused", refused.message)


def _in_two_walks(body: bytes) -> dict[str, Any]:
    value = parse_object(body)
    check_document(value)
    return value


@pytest.mark.parametrize("body", _VERDICT_CASES)
def test_one_walk_gives_the_verdict_of_the_two(body: bytes) -> None:
    assert _verdict(parse_document, body) == _verdict(_in_two_walks, body)


def test_the_cases_hold_documents_passed_and_refused_for_each_reason() -> None:
    verdicts = [_verdict(parse_document, body) for body in _VERDICT_CASES]
    refusals = {v[1].split(":")[0] for v in verdicts if isinstance(v, tuple)}
    assert sum(isinstance(v, dict) for v in verdicts) >= 8
    assert {
        "JSON nested deeper than 32 levels",
        f"a JSON array has more than {MAX_ARRAY_ITEMS} items",
        "@graph is not accepted",
        "the key @id is not accepted",
        "the document is not a JSON object",
        "the body is not valid JSON",
    } <= refusals


# --- bundled contexts and the offline loader ------------------------------------------------


def test_bundled_contexts_are_the_published_documents() -> None:
    activitystreams = bundled_context(AS_CONTEXT_URL)
    security = bundled_context(SECURITY_V1_URL)
    assert activitystreams is not None and security is not None
    assert activitystreams["@context"]["Person"] == "as:Person"
    assert activitystreams["@context"]["inbox"] == {"@id": "ldp:inbox", "@type": "@id"}
    assert security["@context"]["publicKeyPem"] == "sec:publicKeyPem"
    assert security["@context"]["owner"] == {"@id": "sec:owner", "@type": "@id"}


@pytest.mark.parametrize(
    "url",
    [
        "http://www.w3.org/ns/activitystreams",
        "https://www.w3.org/ns/activitystreams#",
        "https://www.w3.org/ns/activitystreams.jsonld",
        "https://w3id.org/security/v1/",
    ],
)
def test_spellings_of_bundled_urls_are_served(url: str) -> None:
    assert load_bundled(url)["document"]["@context"]


def test_loader_hands_out_copies() -> None:
    first = load_bundled(AS_CONTEXT_URL)["document"]
    first["@context"]["Person"] = "changed"
    assert load_bundled(AS_CONTEXT_URL)["document"]["@context"]["Person"] == "as:Person"


def test_loader_refuses_every_other_url() -> None:
    with pytest.raises(JsonLdError):
        load_bundled("https://litepub.social/litepub/context.jsonld")


class _Counter(BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 (shared by the handler instances of one test)

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        body = orjson.dumps({"@context": {"id": "@id"}})
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def context_server() -> Iterator[str]:
    """A loopback server that would answer context requests (none must reach it)."""
    _Counter.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/context.jsonld"
    finally:
        server.shutdown()
        server.server_close()


def test_expand_never_fetches_a_context(context_server: str) -> None:
    doc = {"@context": context_server, "id": "https://remote.example/n"}
    with pytest.raises(DocumentRejected, match="loading remote context failed"):
        expand(doc)
    assert _Counter.hits == []


def test_compact_never_fetches_a_context(context_server: str) -> None:
    with pytest.raises(DocumentRejected):
        compact({"id": "https://remote.example/n"}, context_server)
    assert _Counter.hits == []


def test_pyld_itself_defaults_to_the_offline_loader(context_server: str) -> None:
    with pytest.raises(JsonLdError):
        pyld_jsonld.expand({"@context": context_server, "id": "https://remote.example/n"})
    assert _Counter.hits == []


def test_expand_works_offline_with_our_actor_context() -> None:
    expanded = expand(_actor(ACTOR_CONTEXT))
    key = expanded[0]["https://w3id.org/security#publicKey"][0]
    assert key["https://w3id.org/security#owner"] == [{"@id": "https://remote.example/users/alice"}]
    assert expanded[0]["http://www.w3.org/ns/ldp#inbox"] == [
        {"@id": "https://remote.example/users/alice/inbox"}
    ]


def test_compact_works_offline() -> None:
    compacted = compact(_actor(MASTODON_ACTOR_CONTEXT[:2]), [AS_CONTEXT_URL, SECURITY_V1_URL])
    assert compacted["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert compacted["inbox"] == "https://remote.example/users/alice/inbox"


def test_expand_checks_the_document_first() -> None:
    with pytest.raises(DocumentRejected, match="@graph"):
        expand(_actor(AS_CONTEXT_URL) | {"@graph": []})
