"""What each OAuth scope lets an app do, in plain words for the consent and apps pages."""

from __future__ import annotations

from dataclasses import dataclass

from smartnode.accounts.principal import KNOWN_SCOPES
from smartnode.web.i18n import N_

SCOPE_WORDS: dict[str, str] = {
    "read": N_("See everything in your account: profile, posts, follows, notifications, "
               "applications and more."),
    "write": N_("Change everything in your account: post, edit and delete, follow, edit your "
                "profile, apply to calls and run your projects."),
    "follow": N_("See and change whom you follow, block and mute."),
    "push": N_("Send you push notifications."),
    "profile": N_("See your name, username and profile picture."),
    "read:accounts": N_("See your profile and account details."),
    "read:blocks": N_("See whom you block."),
    "read:bookmarks": N_("See your bookmarks."),
    "read:favourites": N_("See the posts you liked."),
    "read:filters": N_("See your filters."),
    "read:follows": N_("See whom you follow."),
    "read:lists": N_("See your lists."),
    "read:mutes": N_("See whom you mute."),
    "read:notifications": N_("See your notifications."),
    "read:search": N_("Search for you."),
    "read:statuses": N_("See all your posts, private ones too."),
    "read:applications": N_("See your applications to open calls."),
    "write:accounts": N_("Change your profile and account settings."),
    "write:blocks": N_("Block and unblock people and domains."),
    "write:bookmarks": N_("Add and remove bookmarks."),
    "write:conversations": N_("Hide and delete conversations."),
    "write:favourites": N_("Like posts and take likes back."),
    "write:filters": N_("Create and change filters."),
    "write:follows": N_("Follow and unfollow people and projects."),
    "write:lists": N_("Create and change lists."),
    "write:media": N_("Upload pictures and other files."),
    "write:mutes": N_("Mute and unmute people and conversations."),
    "write:notifications": N_("Clear your notifications."),
    "write:reports": N_("Report other accounts."),
    "write:statuses": N_("Publish, edit and delete posts."),
    "write:projects": N_("Create and edit projects and run their teams."),
    "write:calls": N_("Publish, edit and close open calls."),
    "write:applications": N_("Apply to open calls and withdraw applications."),
    "write:events": N_("Publish and edit events."),
}  # fmt: skip
assert set(SCOPE_WORDS) == KNOWN_SCOPES, "every scope needs its words"


@dataclass(frozen=True, slots=True)
class ScopeView:
    """A scope's name and the message saying what it allows (templates translate it)."""

    name: str
    words: str


def scope_views(scopes: tuple[str, ...] | list[str]) -> list[ScopeView]:
    """The scopes with their words, in the given order."""
    return [ScopeView(name, SCOPE_WORDS[name]) for name in scopes if name in SCOPE_WORDS]
