"""WebFinger (RFC 7033). Server side: read a `resource`, describe a local actor as a JRD (pure).

The client side (lookup of remote handles, loop-back check) joins this module later; server
functions are named `parse_resource`, `actor_jrd`, `select_links` and `host_meta_*`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from smartnode.errors import BadRequest, NotFound
from smartnode.federation.uris import ActorKind, LocalRef, NodeUris
from smartnode.federation.vocab import ACTIVITY_JSON

JRD_JSON = "application/jrd+json"
XRD_XML = "application/xrd+xml"
SELF_REL = "self"
PROFILE_PAGE_REL = "http://webfinger.net/rel/profile-page"
SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"
#: FEP-d556: the link relation naming a server-level actor.
SERVICE_REL = "https://www.w3.org/ns/activitystreams#Service"
MAX_RESOURCE = 1024
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ResourceTarget:
    """What a resource names: a local actor by handle (`username`) or by id (`ref`)."""

    username: str | None = None
    ref: LocalRef | None = None


def parse_resource(uris: NodeUris, resource: str | None) -> ResourceTarget:
    """Read a WebFinger `resource`; BadRequest when malformed, NotFound when not ours."""
    value = (resource or "").strip()
    if not value:
        raise BadRequest("the resource parameter is required, e.g. acct:user@host")
    if len(value) > MAX_RESOURCE:
        raise BadRequest(f"the resource parameter is longer than {MAX_RESOURCE} characters")
    match = _SCHEME.match(value)
    scheme = match.group(1).lower() if match else ""
    if scheme in ("http", "https"):
        return _url_target(uris, value)
    if scheme not in ("", "acct"):
        raise BadRequest(f"unsupported resource scheme {scheme!r}: use acct: or https:")
    user, sep, domain = value[len("acct:") if scheme else 0 :].lstrip("@").rpartition("@")
    if not sep or not user or not domain:
        raise BadRequest("an acct resource must look like acct:user@host")
    username = uris.parse_acct(value)
    if username is None:
        raise NotFound(f"{domain!r} is not this node's domain")
    return ResourceTarget(username=username)


def _url_target(uris: NodeUris, value: str) -> ResourceTarget:
    """Our actor ids, and FEP-d556: the node's base URL (with or without `/`) → node actor."""
    try:
        parts = urlsplit(value)
    except ValueError:
        raise BadRequest("the resource is not a valid URL") from None
    if not uris.is_local(value):
        raise NotFound("the resource is not on this node")
    if parts.path in ("", "/") and not parts.query and not parts.fragment:
        return ResourceTarget(ref=LocalRef(ActorKind.NODE, ""))
    ref = uris.parse_actor(value)
    if ref is None:
        raise NotFound("the resource is not an actor of this node")
    return ResourceTarget(ref=ref)


def actor_jrd(
    uris: NodeUris, *, kind: ActorKind, username: str, actor_uri: str, profile_url: str
) -> dict[str, Any]:
    """The JRD of a local actor. Interop: Mastodon re-fingers `subject`, so it is the handle."""
    links: list[dict[str, str]] = [
        {"rel": SELF_REL, "type": ACTIVITY_JSON, "href": actor_uri},
        {"rel": PROFILE_PAGE_REL, "type": "text/html", "href": profile_url},
    ]
    if kind is ActorKind.NODE:
        links.append({"rel": SERVICE_REL, "type": ACTIVITY_JSON, "href": actor_uri})
    else:
        links.append({"rel": SUBSCRIBE_REL, "template": uris.authorize_interaction_template()})
    aliases = list(dict.fromkeys([actor_uri, profile_url]))
    return {"subject": uris.acct(username), "aliases": aliases, "links": links}


def select_links(jrd: dict[str, Any], rels: list[str]) -> dict[str, Any]:
    """RFC 7033 §4.3: with `rel` given, keep only those links (subject and aliases stay)."""
    if not rels:
        return jrd
    wanted = set(rels)
    return {**jrd, "links": [link for link in jrd["links"] if link["rel"] in wanted]}


def host_meta_xrd(uris: NodeUris) -> str:
    """host-meta (RFC 6415) pointing at our WebFinger endpoint through an lrdd template."""
    template = uris.webfinger_template().replace("&", "&amp;").replace('"', "&quot;")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="{XRD_XML}" template="{template}"/>\n'
        "</XRD>\n"
    )


def host_meta_jrd(uris: NodeUris) -> dict[str, Any]:
    """host-meta.json: the same lrdd template as JSON."""
    return {"links": [{"rel": "lrdd", "type": JRD_JSON, "template": uris.webfinger_template()}]}
