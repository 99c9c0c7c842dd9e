"""Remote JSON documents: bounded parsing, forbidden JSON-LD features, bundled contexts only.

`parse_object` turns bytes into a dict with a depth limit (≤ 32) and array-length caps;
`check_document` rejects `@graph`, `@included`, `@reverse` anywhere and inline contexts that
alias keywords or redefine `id`/`type`. Both raise DocumentRejected (a 400). JSON-LD
processing (`expand`, `compact`) uses an offline loader that serves the bundled contexts
(contexts/, see contexts/SOURCES.md) and refuses every other URL — never the network.
"""

from __future__ import annotations

import copy
import functools
from importlib import resources
from typing import Any

import orjson
from pyld import jsonld

from smartnode.errors import BadRequest

MAX_DEPTH = 32
MAX_ARRAY_ITEMS = 5_000
FORBIDDEN_KEYWORDS = frozenset({"@graph", "@included", "@reverse"})
_FORBIDDEN_CONTAINERS = frozenset({"@graph", "@included"})
# Interop: the AS context itself maps these two; an inline context may repeat them, no more.
_CORE_ALIASES = {"id": "@id", "type": "@type"}

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
    check_shape(value, max_depth=max_depth, max_items=max_items)
    return value


def check_shape(
    value: Any, *, max_depth: int = MAX_DEPTH, max_items: int = MAX_ARRAY_ITEMS
) -> None:
    """Refuse nesting deeper than `max_depth` containers or arrays longer than `max_items`."""
    stack: list[tuple[Any, int]] = [(value, 1)]
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
    """Refuse @graph/@included/@reverse anywhere and keyword aliasing in inline contexts."""
    stack: list[Any] = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if key in FORBIDDEN_KEYWORDS:
                raise DocumentRejected(f"{key} is not accepted")
            if key == "@context":
                _check_context(value)
            stack.append(value)


def _check_context(context: Any) -> None:
    """An inline @context: URLs pass (they are resolved only from the bundle); objects are read."""
    for entry in context if isinstance(context, list) else [context]:
        if entry is None or isinstance(entry, str):
            continue
        if not isinstance(entry, dict):
            raise DocumentRejected("@context entries must be URLs or objects")
        for term, definition in entry.items():
            _check_term(term, definition)


def _check_term(term: str, definition: Any) -> None:
    if term.startswith("@"):
        if term == "@import":
            raise DocumentRejected("@import in a context is not accepted")
        return
    target = definition.get("@id") if isinstance(definition, dict) else definition
    if isinstance(definition, dict):
        container = definition.get("@container")
        containers = container if isinstance(container, list) else [container]
        if _FORBIDDEN_CONTAINERS.intersection(c for c in containers if isinstance(c, str)):
            raise DocumentRejected(f"the term {term!r} declares a graph or included container")
    if term in _CORE_ALIASES:
        if target != _CORE_ALIASES[term]:
            raise DocumentRejected(f"the context redefines the core term {term!r}")
        return
    if isinstance(target, str) and target.startswith("@"):
        raise DocumentRejected(f"the term {term!r} aliases the keyword {target}")


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
