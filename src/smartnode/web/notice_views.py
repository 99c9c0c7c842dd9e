"""A member's notifications in plain words of the page's language, each with a link to what it
is about (content/notice_cases.py reads them), and the few the signed-in home page shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.config import Settings
from smartnode.content import notice_cases as cases
from smartnode.content.notice_cases import Notices
from smartnode.matching.explain import render as explain
from smartnode.storage.models_work import Notification
from smartnode.web.call_views import remote_event_href
from smartnode.web.formats import format_datetime
from smartnode.web.i18n import N_, gettext, using
from smartnode.web.viewer import Viewer, page_language

HOME_NOTICES = 5
PRIVATE = {"Cache-Control": "private, no-store"}


@dataclass(frozen=True, slots=True)
class NoticeView:
    """One notification as a page shows it."""

    id: int
    text: str
    detail: str
    url: str | None
    link: str
    when: str
    iso: str
    unread: bool


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _local(uri: str, base_url: str, suffix: str, fallback: str | None = None) -> str | None:
    """`uri` + `suffix` when `uri` is a page of this node, else `fallback`."""
    return uri + suffix if uri.startswith(base_url + "/") else fallback


_DECISIONS = {
    "accepted": N_("Your application to %(title)s was accepted."),
    "rejected": N_("Your application to %(title)s was not accepted."),
    "shortlisted": N_("Your application to %(title)s is on the shortlist."),
}
_NEWS = N_("There is news about your application to %(title)s.")
_TAKING_PART = {
    "accepted": N_("You can take part in %(event)s: your request was accepted."),
    "rejected": N_("Your request to take part in %(event)s was not accepted."),
}


Wording = tuple[str, str, str | None, str]  # text, detail, url, link text


@dataclass(frozen=True, slots=True)
class _Names:
    """What a notification's data names, as the page writes it."""

    title: str
    who: str
    project: str
    event: str


def _names(row: Notification, handles: dict[str, str]) -> _Names:
    data = row.data
    title = _str(data, "title") or _str(data.get("call") or {}, "name") or _str(data, "name")
    who = handles.get(_str(data, "applicant") or _str(data, "actor"), "")
    project = handles.get(_str(data, "project") or row.object_uri, "")
    return _Names(title, who, project, _str(data, "event"))


def _about_calls(row: Notification, n: _Names, found: Notices, base_url: str) -> Wording | None:
    """A call that may suit the member, and applications to or from them."""
    data = row.data
    queue = _local(_str(data, "call"), base_url, "/applications", "/applications")
    if row.kind == "call_match":
        parts = data.get("parts")
        why = explain(parts, found.language, found.labels) if isinstance(parts, list) else ""
        return (gettext("A call may suit you: %(title)s", title=n.title or row.object_uri),
                why, row.object_uri, gettext("See the call"))  # fmt: skip
    if row.kind == "application":
        return (gettext("%(who)s applied to your call %(title)s.", who=n.who, title=n.title),
                "", queue, gettext("See the applications"))  # fmt: skip
    if row.kind == "withdrawal":
        if not (n.who and n.title):  # notified before withdrawals named their call
            return gettext("An application to one of your calls was withdrawn."), "", None, ""
        return (gettext("%(who)s withdrew their application to your call %(title)s.", who=n.who,
                        title=n.title), "", queue, gettext("See the applications"))  # fmt: skip
    if row.kind == "decision":
        text = _DECISIONS.get(_str(data, "state"), _NEWS)
        detail = _str(data, "message") or _str(data, "reason")
        return (gettext(text, title=n.title), detail, "/applications",
                gettext("See your applications"))  # fmt: skip
    return None


def _about_teams(row: Notification, n: _Names, base_url: str) -> Wording | None:
    """Teams the member runs or is invited to, and events they organise or asked to join."""
    if row.kind == "team_join":
        team = _local(_str(row.data, "project"), base_url, "/team")
        return (gettext("%(who)s asks to join the team of %(project)s.", who=n.who,
                        project=n.project), "", team, gettext("See the team"))  # fmt: skip
    if row.kind == "team_invite":
        return (gettext("You are invited to join the team of %(project)s.", project=n.project),
                "", "/team-invitations", gettext("See your invitations"))  # fmt: skip
    if row.kind == "team_no_coordinator":
        return (gettext("The team of %(project)s has no coordinator any more: choose one "
                        "together.", project=n.project), "",
                _local(row.object_uri, base_url, "/team"), gettext("See the team"))  # fmt: skip
    if row.kind == "event_join":
        requests = _local(n.event, base_url, "/participants")
        return (gettext("%(who)s asks to take part in %(event)s.", who=n.who, event=n.title),
                "", requests, gettext("See the requests"))  # fmt: skip
    if row.kind == "event_participation":
        text = _TAKING_PART["accepted" if _str(row.data, "state") == "accepted" else "rejected"]
        page = _local(n.event, base_url, "", n.event and remote_event_href(n.event))
        return gettext(text, event=n.title), "", page, gettext("See the event")
    return None


_FOLLOWS = {
    (False, False): N_("%(who)s follows you."),
    (False, True): N_("%(who)s asks to follow you."),
    (True, False): N_("%(who)s follows %(project)s."),
    (True, True): N_("%(who)s asks to follow %(project)s."),
}
_POSTS = {
    ("mention", False): N_("%(who)s mentioned you in a post."),
    ("mention", True): N_("%(who)s mentioned %(project)s in a post."),
    ("reply", False): N_("%(who)s replied to your post."),
    ("reply", True): N_("%(who)s replied to a post of %(project)s."),
}


def _web(value: str) -> str | None:
    """A link the notification's data gives, when it is a web address."""
    return value if value.startswith(("https://", "http://")) else None


def _about_people(row: Notification, n: _Names) -> Wording | None:
    """Someone follows the member (or a project they coordinate), mentions them, replies."""
    data, project = row.data, bool(_str(row.data, "project"))
    if row.kind == "follow":
        text = _FOLLOWS[(project, _str(data, "state") == "pending")]
        return (gettext(text, who=n.who, project=n.project), "", _web(_str(data, "profile")),
                gettext("See their profile"))  # fmt: skip
    if row.kind in ("mention", "reply"):
        text = _POSTS[(row.kind, project)]
        return (gettext(text, who=n.who, project=n.project), _str(data, "excerpt"),
                _web(_str(data, "url")), gettext("See the post"))  # fmt: skip
    return None


def _wording(row: Notification, found: Notices, base_url: str) -> Wording:
    """(text, detail, url, link text) of one notification, in the current language."""
    n = _names(row, found.handles)
    return (_about_calls(row, n, found, base_url) or _about_teams(row, n, base_url)
            or _about_people(row, n)
            or (gettext("Something new for you."), "", None, ""))  # fmt: skip


def notice_views(found: Notices, base_url: str, language: str) -> list[NoticeView]:
    """The notifications in `language`, newest first."""
    views = []
    with using(language):
        for row in found.rows:
            text, detail, url, link = _wording(row, found, base_url)
            views.append(NoticeView(row.id, text, detail, url, link if url else "",
                                    format_datetime(row.created_at), row.created_at.isoformat(),
                                    row.read_at is None))  # fmt: skip
    return views


async def home_notices(
    request: Request, session: AsyncSession, settings: Settings, viewer: Viewer | None
) -> dict[str, Any]:
    """The signed-in member's latest unread notifications and how many are unread (nothing for
    a visitor). Call before the page's other reads: it opens its own transactions."""
    if viewer is None:
        return {}
    language = page_language(request, settings, viewer.account)
    async with session.begin():
        found = await cases.my_notifications(
            session, viewer.principal, settings.domain, unread=True, lang=language,
            limit=HOME_NOTICES, before_id=None,
        )  # fmt: skip
        unread = await cases.unread_count(session, viewer.principal)
    return {"notices": notice_views(found, settings.base_url, language), "unread": unread,
            "headers": PRIVATE}  # fmt: skip
