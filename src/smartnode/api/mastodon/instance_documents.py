"""The instance documents of Mastodon 4.3 (REST::InstanceSerializer for /api/v2/instance,
REST::V1::InstanceSerializer for /api/v1/instance), pure: the node's settings and figures in,
dicts out.

Interop: `version` starts with the Mastodon API version we follow, so that apps which read it
to pick features (v2 instance, v2 filters…) treat us as Mastodon 4.3. Registrations are closed:
members are invited by the cooperative. The streaming API is served by the node itself, so its
URL is the base URL with `wss` (`ws` over plain HTTP); no polls (`max_options` 0); images
only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smartnode import __version__
from smartnode.actors.known_hosts import NodeCounts
from smartnode.config import UI_LANGUAGES, Settings
from smartnode.content.inputs import MAX_ALT, MAX_ATTACHMENTS, MAX_CONTENT
from smartnode.content.pins import MAX_PINS

MASTODON_API = "4.3.0"
VERSION = f"{MASTODON_API} (compatible; smartnode {__version__})"
#: The Mastodon API version of 4.3's `api_versions`.
API_VERSIONS = {"mastodon": 2}
#: Mastodon's placeholder for the characters a link counts for.
URL_CHARACTERS = 23
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
PREVIEW = "/static/instance-preview.png"


@dataclass(frozen=True, slots=True)
class InstanceFacts:
    """What both documents say, gathered once per request."""

    settings: Settings
    counts: NodeCounts
    registrations_message: str  # HTML, in the reader's language
    source_url: str  # the package's repository, when it declares one


def _languages(settings: Settings) -> list[str]:
    """The node's default language first, then the others its pages speak."""
    return [settings.language, *(lang for lang in UI_LANGUAGES if lang != settings.language)]


def _statuses() -> dict[str, int]:
    return {
        "max_characters": MAX_CONTENT,
        "max_media_attachments": MAX_ATTACHMENTS,
        "characters_reserved_per_url": URL_CHARACTERS,
    }


def _media(settings: Settings) -> dict[str, Any]:
    """What uploads the node takes: its own limits (SMARTNODE_MEDIA_MAX_BYTES, _MAX_PIXELS)."""
    return {
        "supported_mime_types": list(IMAGE_TYPES),
        "description_limit": MAX_ALT,
        "image_size_limit": settings.media_max_bytes,
        "image_matrix_limit": settings.media_max_pixels,
        "video_size_limit": 0,
        "video_frame_rate_limit": 0,
        "video_matrix_limit": 0,
    }


def streaming_url(base: str) -> str:
    """Where apps open the streaming API's WebSocket (they add `/api/v1/streaming`)."""
    scheme, _, rest = base.partition("://")
    return f"{'ws' if scheme == 'http' else 'wss'}://{rest}"


def _urls(base: str) -> dict[str, str | None]:
    """The streaming API's URL, and where apps send people to read about the node."""
    return {"streaming": streaming_url(base), "about": f"{base}/", "privacy_policy": None,
            "terms_of_service": None, "status": None}  # fmt: skip


def _polls() -> dict[str, int]:
    return {"max_options": 0, "max_characters_per_option": 0, "min_expiration": 0,
            "max_expiration": 0}  # fmt: skip


def instance_v2(facts: InstanceFacts) -> dict[str, Any]:
    """GET /api/v2/instance."""
    settings = facts.settings
    base = settings.base_url
    return {
        "domain": settings.domain,
        "title": settings.node_name,
        "version": VERSION,
        "source_url": facts.source_url,
        "description": settings.node_description,
        "usage": {"users": {"active_month": facts.counts.members_active_month}},
        "thumbnail": {"url": f"{base}{PREVIEW}"},
        "icon": [],
        "languages": _languages(settings),
        "configuration": {
            "urls": _urls(base),
            "vapid": {"public_key": ""},
            "accounts": {"max_featured_tags": 0, "max_pinned_statuses": MAX_PINS},
            "statuses": _statuses(),
            "media_attachments": _media(settings),
            "polls": _polls(),
            "translation": {"enabled": False},
        },
        "registrations": {
            "enabled": False,
            "approval_required": False,
            "message": facts.registrations_message,
            "url": None,
        },
        "api_versions": API_VERSIONS,
        "contact": {"email": "", "account": None},
        "rules": [],
    }


def instance_v1(facts: InstanceFacts) -> dict[str, Any]:
    """GET /api/v1/instance (deprecated by Mastodon, still read by many apps)."""
    settings, counts = facts.settings, facts.counts
    return {
        "uri": settings.domain,
        "title": settings.node_name,
        "short_description": settings.node_description,
        "description": settings.node_description,
        "email": "",
        "version": VERSION,
        "urls": {"streaming_api": streaming_url(settings.base_url)},
        "stats": {
            "user_count": counts.members,
            "status_count": counts.local_posts,
            "domain_count": counts.domains,
        },
        "thumbnail": f"{settings.base_url}{PREVIEW}",
        "languages": _languages(settings),
        "registrations": False,
        "approval_required": False,
        "invites_enabled": False,
        "configuration": {
            "accounts": {"max_featured_tags": 0, "max_pinned_statuses": MAX_PINS},
            "statuses": _statuses(),
            "media_attachments": _media(settings),
            "polls": _polls(),
        },
        "contact_account": None,
        "rules": [],
    }
