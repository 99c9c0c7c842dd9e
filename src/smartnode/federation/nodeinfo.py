"""NodeInfo 2.1 documents (FEP-f1d5), pure: figures in, dicts out."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Any

SCHEMA_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
#: The content type the NodeInfo 2.1 schema asks for.
NODEINFO_21_JSON = f'application/json; profile="{SCHEMA_21}#"'
SOFTWARE_NAME = "smartnode"  # the schema allows ^[a-z0-9-]+$ only


@dataclass(frozen=True, slots=True)
class Usage:
    """Counts published in `usage`."""

    users_total: int
    users_active_month: int
    users_active_halfyear: int
    local_posts: int = 0


@dataclass(frozen=True, slots=True)
class Software:
    """What runs the node; repository and homepage only when the package declares them."""

    version: str
    repository: str | None = None
    homepage: str | None = None


def installed_software(version: str) -> Software:
    """Repository and homepage from the installed package's Project-URL entries, if any."""
    try:
        urls = metadata.metadata(SOFTWARE_NAME).get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    found = {}
    for entry in urls:
        label, _, url = entry.partition(",")
        found[label.strip().lower()] = url.strip()
    return Software(
        version=version,
        repository=found.get("repository") or found.get("source"),
        homepage=found.get("homepage"),
    )


def discovery_document(nodeinfo_url: str) -> dict[str, Any]:
    """/.well-known/nodeinfo: where the 2.1 document is."""
    return {"links": [{"rel": SCHEMA_21, "href": nodeinfo_url}]}


def nodeinfo_document(
    software: Software,
    usage: Usage,
    *,
    node_name: str,
    node_description: str,
    country: str,
    node_descriptions: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The NodeInfo 2.1 document: ActivityPub only, registrations closed (members are added).
    `node_descriptions` (the description by language) goes in the metadata when given."""
    metadata: dict[str, Any] = {"nodeName": node_name, "nodeDescription": node_description}
    if node_descriptions:
        metadata["nodeDescriptions"] = node_descriptions
    metadata["country"] = country
    about: dict[str, Any] = {"name": SOFTWARE_NAME, "version": software.version}
    if software.repository:
        about["repository"] = software.repository
    if software.homepage:
        about["homepage"] = software.homepage
    return {
        "version": "2.1",
        "software": about,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {
            "users": {
                "total": usage.users_total,
                "activeMonth": usage.users_active_month,
                "activeHalfyear": usage.users_active_halfyear,
            },
            "localPosts": usage.local_posts,
        },
        "metadata": metadata,
    }
