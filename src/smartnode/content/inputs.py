"""Validated input for announcements (API bodies): what a member or project publishes."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, field_validator

from smartnode.actors.inputs import Language

MAX_CONTENT = 20_000
MAX_TITLE = 200
MAX_ALT = 1_500
MAX_ATTACHMENTS = 4  # Interop: Mastodon shows at most four attachments
MAX_WARNING = 500


class Visibility(StrEnum):
    """Who may see a post: as Mastodon's visibilities, plus a project's team."""

    PUBLIC = "public"
    UNLISTED = "unlisted"
    FOLLOWERS = "followers"
    TEAM = "team"
    DIRECT = "direct"


def _hashtag(value: str) -> str:
    value = " ".join(value.split()).lstrip("#")
    if not value or len(value) > 60:
        raise ValueError("each hashtag must be 1-60 characters")
    return value


def _mention(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 300 or any(c.isspace() for c in value):
        raise ValueError("a mention is a handle like '@anna@se.smart.coop' or an actor URL")
    return value


Hashtag = Annotated[str, AfterValidator(_hashtag)]
Mention = Annotated[str, AfterValidator(_mention)]
Format = Literal["text", "html"]


class AttachmentInput(BaseModel):
    """A picture, video or document already online, with its alt text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: HttpUrl
    alt: str = Field(default="", max_length=MAX_ALT, description="Alt text (plain text).")
    media_type: str | None = Field(
        default=None, max_length=100, pattern=r"^[a-z]+/[a-zA-Z0-9.+-]+$", examples=["image/jpeg"]
    )


class AnnouncementInput(BaseModel):
    """A new announcement: a Note, or an Article when it has a title."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    content: str = Field(min_length=1, max_length=MAX_CONTENT)
    format: Format = Field(
        default="text", description="`text` (paragraphs, line breaks) or `html` (limited HTML)."
    )
    content_map: dict[Language, str] = Field(
        default_factory=dict, description="Translations of `content`: {'en': '...'}."
    )
    language: Language | None = Field(
        default=None, description="Language of `content`; default: the author's language."
    )
    name: str | None = Field(
        default=None, min_length=1, max_length=MAX_TITLE, description="A title: long form."
    )
    visibility: Visibility = Visibility.PUBLIC
    content_warning: str | None = Field(
        default=None,
        max_length=MAX_WARNING,
        description="A content warning (Mastodon's spoiler text), plain text; a Note only.",
    )
    mentions: list[Mention] = Field(
        default_factory=list, max_length=20, description="Handles or actor URLs."
    )
    hashtags: list[Hashtag] = Field(default_factory=list, max_length=20)
    attachments: list[AttachmentInput] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    in_reply_to: HttpUrl | None = Field(default=None, description="The post this answers.")
    project: str | None = Field(
        default=None,
        max_length=64,
        description="When a member posts to a project's team: the project's slug.",
    )

    @field_validator("content_map")
    @classmethod
    def _bounded(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 10 or any(len(v) > MAX_CONTENT for v in value.values()):
            raise ValueError(f"at most 10 translations of at most {MAX_CONTENT} characters each")
        return value


class AnnouncementUpdate(BaseModel):
    """An edit: only the fields given change. Audience, mentions and thread never change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    content: str | None = Field(default=None, min_length=1, max_length=MAX_CONTENT)
    format: Format | None = Field(default=None, description="Default: as first published.")
    content_map: dict[Language, str] | None = None
    language: Language | None = None
    name: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE)
    content_warning: str | None = Field(
        default=None,
        max_length=MAX_WARNING,
        description="A content warning (Mastodon's spoiler text), plain text; a Note only; "
        "empty takes it away.",
    )
    hashtags: list[Hashtag] | None = Field(default=None, max_length=20)
    attachments: list[AttachmentInput] | None = Field(default=None, max_length=MAX_ATTACHMENTS)

    @field_validator("content_map")
    @classmethod
    def _bounded(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None and (
            len(value) > 10 or any(len(v) > MAX_CONTENT for v in value.values())
        ):
            raise ValueError(f"at most 10 translations of at most {MAX_CONTENT} characters each")
        return value
