"""Remote JSON documents: bounded parsing, forbidden JSON-LD features, bundled contexts only.

`parse_object` turns bytes into a dict with a depth limit (≤ 32) and array-length caps;
`check_document` rejects `@graph`, `@included`, `@reverse`, `@nest`, `@id`, `@type` as keys and
inline contexts that alias keywords or give a term we read as plain JSON (the AS context's, and
publicKey/owner/publicKeyPem) another meaning (FEDERATION.md "Inline @context").
`parse_document` does both in one walk of the parsed value (the inbox's and fetches' path). All
raise DocumentRejected (a 400). JSON-LD
processing (`expand`, `compact`) uses an offline loader that serves the bundled contexts
(contexts/, see contexts/SOURCES.md) and refuses every other URL — never the network.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson
from pyld import jsonld

from smartnode.errors import BadRequest

MAX_DEPTH = 32
MAX_ARRAY_ITEMS = 5_000
FORBIDDEN_KEYWORDS = frozenset({"@graph", "@included", "@reverse"})
#: Keyword spellings a JSON-LD processor reads and we do not, with the reason given back.
_UNREAD_KEYWORDS = {
    "@id": "we read an object's id as `id`",
    "@type": "we read an object's type as `type`",
    "@nest": "its properties would belong to the object around it",
}
#: Why a document holding one of these keys is refused.
_KEY_REFUSALS = {
    **{key: f"{key} is not accepted" for key in FORBIDDEN_KEYWORDS},
    **{key: f"the key {key} is not accepted: {why}" for key, why in _UNREAD_KEYWORDS.items()},
}
_FORBIDDEN_CONTAINERS = frozenset({"@graph", "@included"})
# Interop: the AS context itself maps these two; an inline context may repeat them, no more.
_CORE_ALIASES = {"id": "@id", "type": "@type"}
#: What an inline context may set besides terms, and the JSON types of its value.
_CONTEXT_KEYWORDS: dict[str, type | tuple[type, ...]] = {
    "@base": (str, type(None)),
    "@direction": (str, type(None)),
    "@language": (str, type(None)),
    "@propagate": bool,
    "@protected": bool,
    "@version": (int, float),
    "@vocab": (str, type(None)),
}
_DEFINITION_KEYS = frozenset(
    {"@id", "@type", "@container", "@context", "@language", "@direction", "@index", "@nest",
     "@prefix", "@protected"}
)  # fmt: skip
#: Containers that leave a term we read as plain JSON readable the same way.
_READ_CONTAINERS = frozenset({"@set", "@list"})
#: The security terms we read (the AS context's terms are all read).
_READ_SECURITY_TERMS = ("publicKey", "owner", "publicKeyPem")
# Interop: Mobilizon and PeerTube map `location` to schema.org's, a place all the same.
_TOLERATED = {
    "location": (
        "http://schema.org#location",
        "http://schema.org/location",
        "https://schema.org/location",
        "https://schema.org#location",
    )
}
_HTTPS_SPELLINGS = (
    ("http://www.w3.org/ns/activitystreams#", "https://www.w3.org/ns/activitystreams#"),
    ("http://w3id.org/security#", "https://w3id.org/security#"),
)
_NO_IRI = object()

AS_CONTEXT_URL = "https://www.w3.org/ns/activitystreams"
SECURITY_V1_URL = "https://w3id.org/security/v1"
_BUNDLED_FILES = {AS_CONTEXT_URL: "activitystreams.jsonld", SECURITY_V1_URL: "security-v1.jsonld"}


class DocumentRejected(BadRequest):
    """A document we refuse to process: malformed, too deep or using forbidden JSON-LD."""

    code = "bad_document"


def parse_object(
    body: bytes | str, *, max_depth: int = MAX_DEPTH, max_items: int = MAX_ARRAY_ITEMS
) -> dict[str, Any]:
    """Parse a JSON object within the depth and array caps, or raise DocumentRejected."""
    value = _loads(body, max_depth)
    check_shape(value, max_depth=max_depth, max_items=max_items)
    return value


def parse_document(body: bytes | str) -> dict[str, Any]:
    """`parse_object` then `check_document`, in one walk of the parsed value."""
    value = _loads(body, MAX_DEPTH)
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DocumentRejected(f"JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            for key, child in item.items():
                if key in _KEY_REFUSALS:
                    raise DocumentRejected(_KEY_REFUSALS[key])
                if key == "@context":
                    if isinstance(child, dict | list):
                        check_shape(child, at_depth=depth + 1)
                    check_context(child)
                elif isinstance(child, dict | list):
                    stack.append((child, depth + 1))
        elif len(item) > MAX_ARRAY_ITEMS:
            raise DocumentRejected(f"a JSON array has more than {MAX_ARRAY_ITEMS} items")
        else:
            stack.extend((child, depth + 1) for child in item if isinstance(child, dict | list))
    return value


def _loads(body: bytes | str, max_depth: int) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc).lower() or "recursion" in str(exc).lower():
            raise DocumentRejected(f"JSON nested deeper than {max_depth} levels") from None
        raise DocumentRejected("the body is not valid JSON") from None
    except RecursionError:
        raise DocumentRejected(f"JSON nested deeper than {max_depth} levels") from None
    if not isinstance(value, dict):
        raise DocumentRejected("the document is not a JSON object")
    return value


def check_shape(
    value: Any, *, max_depth: int = MAX_DEPTH, max_items: int = MAX_ARRAY_ITEMS, at_depth: int = 1
) -> None:
    """Refuse nesting deeper than `max_depth` containers or arrays longer than `max_items`
    (`value` itself `at_depth` containers down)."""
    stack: list[tuple[Any, int]] = [(value, at_depth)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise DocumentRejected(f"JSON nested deeper than {max_depth} levels")
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            if len(item) > max_items:
                raise DocumentRejected(f"a JSON array has more than {max_items} items")
            children = item
        else:
            continue
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def check_document(doc: Any) -> None:
    """Refuse keyword spellings we do not read and inline contexts that change what we read."""
    stack: list[Any] = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if key in _KEY_REFUSALS:
                raise DocumentRejected(_KEY_REFUSALS[key])
            if key == "@context":
                check_context(value)
            else:
                stack.append(value)


def check_context(context: Any) -> None:
    """An inline @context: URLs pass (resolved only from the bundle); objects are read in order,
    each term checked against what we read and with the prefixes defined so far."""
    prefixes = dict(_bundled_terms().prefixes)
    for entry in context if isinstance(context, list) else [context]:
        if entry is None or isinstance(entry, str):
            continue
        if not isinstance(entry, dict):
            raise DocumentRejected("@context entries must be URLs or objects")
        prefixes.update((k, v) for k, v in entry.items() if isinstance(v, str) and k[:1] != "@")
        for term, definition in entry.items():
            if term.startswith("@"):
                _check_context_keyword(term, definition)
            else:
                _check_term(term, definition, prefixes)


def _check_context_keyword(key: str, value: Any) -> None:
    if key == "@import":
        raise DocumentRejected("@import in a context is not accepted")
    allowed = _CONTEXT_KEYWORDS.get(key)
    if allowed is None:
        raise DocumentRejected(f"the context key {key} is not accepted")
    if not isinstance(value, allowed) or (isinstance(value, str) and value.startswith("@")):
        raise DocumentRejected(f"the context's {key} has a value we do not accept")


def _check_term(term: str, definition: Any, prefixes: dict[str, str]) -> None:
    """One term definition: no keyword alias, no graph container, no change to a term we read."""
    if isinstance(definition, dict):
        _check_definition_keys(term, definition)
        target = definition.get("@id", _NO_IRI)
    elif definition is None or isinstance(definition, str):
        target = definition
    else:
        raise DocumentRejected(f"the term {term!r} has a definition that is not a term definition")
    if term in _CORE_ALIASES:
        if target != _CORE_ALIASES[term]:
            raise DocumentRejected(f"the context redefines the core term {term!r}")
        return
    if isinstance(target, str) and target.startswith("@"):
        raise DocumentRejected(f"the term {term!r} aliases the keyword {target}")
    read = _bundled_terms().terms.get(term)
    if read is not None:
        _check_read_term(term, read, definition, prefixes)


def _check_definition_keys(term: str, definition: dict[str, Any]) -> None:
    for key in definition:
        if key == "@reverse":
            raise DocumentRejected(f"@reverse is not accepted (the term {term!r})")
        if key not in _DEFINITION_KEYS:
            raise DocumentRejected(f"the term {term!r} has the key {key!r}, not a term definition")
    if _FORBIDDEN_CONTAINERS.intersection(_containers(definition)):
        raise DocumentRejected(f"the term {term!r} declares a graph or included container")
    if "@context" in definition:
        check_context(definition["@context"])


def _check_read_term(term: str, read: _ReadTerm, definition: Any, prefixes: dict[str, str]) -> None:
    """A term we read as plain JSON keeps its IRI; it may be coerced to IRIs or made a set/list."""
    target = definition.get("@id", _NO_IRI) if isinstance(definition, dict) else definition
    iri = _expand(target, prefixes)
    if iri not in (read.iri, *_TOLERATED.get(term, ())):
        raise DocumentRejected(
            f"the context gives the {read.vocabulary} term {term!r} another meaning "
            f"({iri or 'no IRI'})"
        )
    if iri != read.iri or not isinstance(definition, dict):
        return
    coercion = _expand(definition.get("@type"), prefixes)
    if coercion not in (None, "@id", "@vocab", read.coercion):
        raise DocumentRejected(f"the context changes how the term {term!r} is read ({coercion})")
    extra = _containers(definition) - _READ_CONTAINERS - read.containers
    if extra:
        raise DocumentRejected(
            f"the context changes how the term {term!r} is read ({sorted(extra)[0]})"
        )


def _containers(definition: dict[str, Any]) -> frozenset[str]:
    container = definition.get("@container")
    listed = container if isinstance(container, list) else [container]
    return frozenset(c for c in listed if isinstance(c, str))


def _expand(value: Any, prefixes: dict[str, str]) -> str | None:
    """A term's IRI: a compact IRI expanded with the known prefixes, AS spelt with https."""
    if not isinstance(value, str):
        return None
    iri: str = value
    prefix, colon, suffix = iri.partition(":")
    if colon and not suffix.startswith("//") and prefix in prefixes:
        iri = prefixes[prefix] + suffix
    for http, https in _HTTPS_SPELLINGS:
        if iri.startswith(http):
            return https + iri[len(http) :]
    return iri


@dataclass(frozen=True, slots=True)
class _ReadTerm:
    """A term of the bundled contexts that we read as plain JSON: its IRI, coercion, containers."""

    vocabulary: str
    iri: str
    coercion: str | None
    containers: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Bundled:
    terms: dict[str, _ReadTerm]
    prefixes: dict[str, str]


@functools.cache
def _bundled_terms() -> _Bundled:
    """Every term of the AS context and the security terms we read, with their full IRIs."""
    activitystreams = orjson.loads(_bundled_bytes(AS_CONTEXT_URL))["@context"]
    security = orjson.loads(_bundled_bytes(SECURITY_V1_URL))["@context"]
    prefixes = {k: v for doc in (activitystreams, security) for k, v in doc.items()
                if isinstance(v, str) and v.endswith(("#", "/"))}  # fmt: skip
    terms: dict[str, _ReadTerm] = {}
    chosen = [("ActivityStreams", t, d) for t, d in activitystreams.items() if t[:1] != "@"]
    chosen += [("security", t, security[t]) for t in _READ_SECURITY_TERMS]
    for vocabulary, term, definition in chosen:
        shape = definition if isinstance(definition, dict) else {"@id": definition}
        iri = _expand(shape.get("@id"), prefixes) or ""
        coercion = _expand(shape.get("@type"), prefixes)
        terms[term] = _ReadTerm(vocabulary, iri, coercion, _containers(shape))
    return _Bundled(terms=terms, prefixes=prefixes)


@functools.cache
def _bundled_bytes(url: str) -> bytes:
    name = _BUNDLED_FILES[url]
    return (resources.files("smartnode.federation") / "contexts" / name).read_bytes()


def bundled_context(url: str) -> dict[str, Any] | None:
    """A fresh copy of a bundled context document (http/https, with or without .jsonld)."""
    key = _bundled_key(url)
    if key is None:
        return None
    document: dict[str, Any] = orjson.loads(_bundled_bytes(key))
    return document


def _bundled_key(url: str) -> str | None:
    candidate = url.split("#", 1)[0].rstrip("/")
    candidate = candidate.removesuffix(".jsonld")
    if candidate.startswith("http://"):
        candidate = "https://" + candidate[len("http://") :]
    return candidate if candidate in _BUNDLED_FILES else None


def load_bundled(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader: the bundled contexts, and a refusal for every other URL."""
    document = bundled_context(url)
    if document is None:
        raise jsonld.JsonLdError(
            "Refusing to load a context that is not bundled.",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        )
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": document,
    }


# pyld's own default loader uses the network; no pyld call in this process may fall back to it.
jsonld.set_document_loader(load_bundled)


def expand(doc: dict[str, Any]) -> list[Any]:
    """JSON-LD expansion of a checked document, offline (bundled contexts only)."""
    check_document(doc)
    expanded: list[Any] = _run(jsonld.expand, doc)
    return expanded


def compact(doc: dict[str, Any], context: Any) -> dict[str, Any]:
    """JSON-LD compaction of a checked document against `context`, offline."""
    check_document(doc)
    compacted: dict[str, Any] = _run(jsonld.compact, doc, copy.deepcopy(context))
    return compacted


def _run(operation: Any, *args: Any) -> Any:
    try:
        return operation(*args, {"documentLoader": load_bundled})
    except jsonld.JsonLdError as exc:
        raise DocumentRejected(f"JSON-LD processing failed: {_root_message(exc)}") from None
    except RecursionError:
        raise DocumentRejected("JSON-LD processing nested too deeply") from None


def _root_message(exc: Any) -> str:
    """pyld's error code and the URL it concerns (its messages are long and generic)."""
    details = exc.details if isinstance(exc.details, dict) else {}
    where = f" ({details['url']})" if isinstance(details.get("url"), str) else ""
    return f"{exc.code or exc.type}{where}"
