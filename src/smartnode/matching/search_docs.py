"""What the search index holds for a member, a project, a call, an event or a post
(docs/search.md).

Reads rows through a sync `Connection` (the index is written inside the session's commit, see
search_index.py) and decides privacy: a thing that may not be found gets no document.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import nh3
from sqlalchemy import select
from sqlalchemy.engine import Connection

from smartnode.actors.handles import handle_for, remote_domain
from smartnode.content.call_terms import CallTerms, read_terms
from smartnode.content.terms import ANNOUNCEMENT, CALL, EVENT
from smartnode.matching.terms import fold
from smartnode.storage.models import Actor, ContentObject, table
from smartnode.storage.models_matching import (
    LocalSkill,
    MatchingProfile,
    MemberAvailability,
    MemberLanguage,
    MemberSkill,
    SkillLabel,
)
from smartnode.storage.models_profiles import MemberProfile, Project

#: Remote actor types shown as members and as projects.
REMOTE_KINDS = {"Person": "member", "Group": "project", "Organization": "project"}
MAX_BODY = 20_000
#: How long a post's title (its first words, when it has no name) may be.
HEADLINE = 80
_BREAKS = re.compile(r"<br\s*/?>|</p>|</li>|</blockquote>|</pre>|</h\d>", re.IGNORECASE)
_Row = Mapping[str, Any]


@dataclass(slots=True)
class Doc:
    """One search document, ready to write."""

    kind: str
    uri: str
    local: bool
    language: str
    title: str
    body: str
    country: str
    remote: bool
    published_at: datetime
    updated_at: datetime
    skills: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    windows: list[tuple[date, date]] = field(default_factory=list)

    @property
    def folded(self) -> str:
        return fold(f"{self.title}\n{self.body}")


def plain(value: object) -> str:
    """The text of (sanitised) HTML, whitespace collapsed."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        stripped = nh3.clean(_BREAKS.sub(" ", value), tags=set())
    except Exception:  # nh3 refuses some input (NUL bytes); keep the raw text then
        stripped = value.replace("\x00", "")
    return " ".join(html.unescape(stripped).split())


def _join(parts: Iterable[object]) -> str:
    seen = dict.fromkeys(p.strip() for p in parts if isinstance(p, str) and p.strip())
    return "\n".join(seen)[:MAX_BODY]


def _strings(value: object, limit: int = 255) -> list[str]:
    items = value if isinstance(value, list) else []
    return list(dict.fromkeys(v[:limit] for v in items if isinstance(v, str) and v))


def _translations(text: object, translations: object) -> list[str]:
    values = translations.values() if isinstance(translations, dict) else []
    return [plain(text), *(plain(v) for v in values)]


def labels_of(conn: Connection, uris: Iterable[str]) -> dict[str, list[str]]:
    """Every preferred and alternative label of these concepts, in all languages, by
    concept."""
    wanted = sorted(set(uris))
    if not wanted:
        return {}
    labels = table(SkillLabel)
    rows = conn.execute(
        select(labels.c.concept_uri, labels.c.text)
        .where(labels.c.concept_uri.in_(wanted), labels.c.kind.in_(("preferred", "alt")))
        .order_by(labels.c.concept_uri, labels.c.language, labels.c.kind, labels.c.id)
    )
    found: dict[str, list[str]] = {}
    for concept, text in rows:
        found.setdefault(concept, []).append(text)
    return found


def _labels(labels: Mapping[str, list[str]], uris: list[str]) -> list[str]:
    """The labels of these concepts, in the order the database gave them."""
    wanted = set(uris)
    return [text for concept, texts in labels.items() if concept in wanted for text in texts]


def _one(conn: Connection, model: type[Any], key: str, value: int) -> _Row | None:
    tbl = table(model)
    row = conn.execute(select(tbl).where(tbl.c[key] == value)).mappings().first()
    return dict(row) if row is not None else None


def _member_skills(conn: Connection, member_id: int) -> tuple[list[str], list[str]]:
    """The member's skill URIs (ESCO, and what their local skills equal) and local labels."""
    skills, local = table(MemberSkill), table(LocalSkill)
    rows = conn.execute(
        select(skills.c.concept_uri, local.c.labels, local.c.same_as_uri)
        .select_from(skills.outerjoin(local, local.c.id == skills.c.local_skill_id))
        .where(skills.c.member_id == member_id)
        .order_by(skills.c.level.desc(), skills.c.id)
    ).all()
    uris = [u for row in rows for u in (row[0], row[2]) if isinstance(u, str)]
    names = [v for row in rows if isinstance(row[1], dict) for v in row[1].values()]
    return list(dict.fromkeys(uris)), [n for n in names if isinstance(n, str)]


def _member_facts(conn: Connection, member_id: int) -> tuple[list[str], list[tuple[date, date]]]:
    langs, avail = table(MemberLanguage), table(MemberAvailability)
    languages = conn.execute(select(langs.c.language).where(langs.c.member_id == member_id))
    windows = conn.execute(
        select(avail.c.starts_on, avail.c.ends_on).where(avail.c.member_id == member_id)
    )
    return [r[0] for r in languages], [(r[0], r[1]) for r in windows]


def member_doc(conn: Connection, actor: _Row) -> Doc:
    """A local member who opted in: name, bio, place, sectors, skills in every language."""
    profile = _one(conn, MemberProfile, "actor_id", actor["id"]) or {}
    matching = _one(conn, MatchingProfile, "actor_id", actor["id"]) or {}
    uris, local_names = _member_skills(conn, actor["id"])
    languages, windows = _member_facts(conn, actor["id"])
    body = _join([
        f"@{actor['username']}", *_translations(actor["summary"], actor["summary_map"]),
        profile.get("city"), profile.get("country"), *_strings(matching.get("sectors")),
        *_strings(profile.get("skills")), *local_names, *_labels(labels_of(conn, uris), uris),
    ])  # fmt: skip
    return Doc(
        kind="member", uri=actor["uri"], local=True, language=actor["language"] or "und",
        title=actor["name"] or actor["username"], body=body,
        country=(profile.get("country") or "")[:2], remote=bool(matching.get("remote_ok")),
        published_at=actor["created_at"], updated_at=actor["updated_at"], skills=uris,
        languages=list(dict.fromkeys([*languages, *_strings(profile.get("languages"))])),
        windows=windows,
    )  # fmt: skip


def project_doc(conn: Connection, actor: _Row) -> Doc:
    """A local project: name, summary, place, sectors."""
    project = _one(conn, Project, "actor_id", actor["id"]) or {}
    body = _join([
        f"@{actor['username']}", *_translations(actor["summary"], actor["summary_map"]),
        project.get("city"), project.get("country"), *_strings(project.get("sectors")),
    ])  # fmt: skip
    return Doc(
        kind="project", uri=actor["uri"], local=True, language=actor["language"] or "und",
        title=actor["name"] or actor["username"], body=body,
        country=(project.get("country") or "")[:2], remote=False,
        published_at=actor["created_at"], updated_at=actor["updated_at"],
    )  # fmt: skip


def remote_actor_doc(actor: _Row) -> Doc:
    """A cached remote person or group: what its own document says (language unknown)."""
    handle = handle_for(actor["username"], remote_domain(actor["uri"], actor["domain"]))
    body = _join([handle, plain(actor["summary"])])
    return Doc(
        kind=REMOTE_KINDS[actor["ap_type"]], uri=actor["uri"], local=False, language="und",
        title=actor["name"] or actor["username"], body=body, country="", remote=False,
        published_at=actor["created_at"], updated_at=actor["updated_at"],
    )  # fmt: skip


def actor_doc(conn: Connection, actor_id: int) -> Doc | None:
    """The document of an actor, or None when it may not be found."""
    actor = _one(conn, Actor, "id", actor_id)
    if actor is None or actor["deleted_at"] is not None or actor["moved_to_uri"]:
        return None
    if actor["local"]:
        if actor["kind"] == "member" and actor["discoverable"] and actor["indexable"]:
            return member_doc(conn, actor)
        if actor["kind"] == "project" and actor["discoverable"]:
            return project_doc(conn, actor)
        return None
    # Interop: Mastodon's `discoverable` (and, when a profile carries it, `indexable`) is the
    # remote actor's consent to be found; without it the cached row is never indexed.
    if actor["ap_type"] in REMOTE_KINDS and (actor["discoverable"] or actor["indexable"]):
        return remote_actor_doc(actor)
    return None


def _day(value: date | None, fallback: datetime | None) -> date | None:
    if value is not None:
        return value
    return fallback.date() if fallback is not None else None


def _call_skills(terms: CallTerms) -> tuple[list[str], list[str]]:
    """Skill URIs (occupation first) and the names the call gives them."""
    entries = [terms.occupation, *terms.skill_uris]
    uris = [uri for uri in entries if uri is not None and len(uri) <= 255]
    names = [skill.name for skill in terms.skills if skill.name]
    return list(dict.fromkeys(uris)), names


def call_doc(conn: Connection, obj: _Row, labels: Mapping[str, list[str]] | None = None) -> Doc:
    """A call: title, text, skills in every language (`labels`: the skills' labels when
    already read, see object_docs)."""
    terms = read_terms(obj["extra"], name=obj["name"])
    uris, names = _call_skills(terms)
    if labels is None:
        labels = labels_of(conn, uris)
    text = _translations(obj["content"], obj["content_map"])
    title = terms.title or ""
    starts = _day(terms.starts_on, obj["starts_at"])
    ends = _day(terms.ends_on, obj["ends_at"]) or starts
    country = terms.country or ""
    return Doc(
        kind="call", uri=obj["uri"], local=obj["local"], language=obj["language"] or "und",
        title=(title or next((t for t in text if t), ""))[:300],
        body=_join([*text, *names, terms.city, country, *_labels(labels, uris)]),
        country=country, remote=terms.remote,
        published_at=obj["published_at"], updated_at=obj["updated_at"], skills=uris,
        languages=_strings(terms.language_codes, 16),
        windows=[(starts, ends)] if starts and ends and starts <= ends else [],
    )  # fmt: skip


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _local_day(moment: datetime | None, zone: object) -> date | None:
    """The day a moment falls on in the event's zone (UTC when it names none we know)."""
    if moment is None:
        return None
    try:
        tz = ZoneInfo(zone) if isinstance(zone, str) and zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        tz = UTC
    return moment.astimezone(tz).date()


def _country(value: object) -> str:
    """An ISO 3166 alpha-2 code, upper case, else "" (a place may spell its country out)."""
    if isinstance(value, str) and len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()
    return ""


def _languages(obj: _Row) -> list[str]:
    return _strings(list(_dict(obj["content_map"])), 16)


def event_doc(conn: Connection, obj: _Row) -> Doc:
    """An event: title, text in every language, place; its days (in its zone) as a window."""
    facts = _dict(_dict(obj["extra"]).get("event"))
    place = _dict(facts.get("place"))
    text = _translations(obj["content"], obj["content_map"])
    zone = facts.get("timezone")
    starts = _local_day(obj["starts_at"], zone)
    ends = _local_day(obj["ends_at"], zone) or starts
    where = [place.get(k) for k in ("name", "locality", "region", "country")]
    return Doc(
        kind="event", uri=obj["uri"], local=obj["local"], language=obj["language"] or "und",
        title=(plain(obj["name"]) or next((t for t in text if t), ""))[:300],
        body=_join([*text, *where]), country=_country(place.get("country")),
        remote=bool(facts.get("online_url")),  # it can be joined online
        published_at=obj["published_at"], updated_at=obj["updated_at"],
        languages=_languages(obj),
        windows=[(starts, ends)] if starts and ends and starts <= ends else [],
    )  # fmt: skip


def _headline(text: str) -> str:
    """The first words of a text, cut between words."""
    if len(text) <= HEADLINE:
        return text
    return text[:HEADLINE].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


def post_doc(conn: Connection, obj: _Row) -> Doc | None:
    """A post that is not a reply, by an author who lets their posts be found (`indexable`):
    title (or first words) and text in every language; a post behind a content warning is
    found by its warning only."""
    if obj["in_reply_to_uri"]:
        return None
    author = _one(conn, Actor, "id", obj["actor_id"])
    if author is None or author["deleted_at"] is not None or not author["indexable"]:
        return None
    # Interop: Mastodon sends a Note's content warning as its summary (an Article's is a lead).
    warning = plain(obj["summary"]) if obj["ap_type"] != "Article" else ""
    text = [warning] if warning else _translations(obj["content"], obj["content_map"])
    first = next((t for t in text if t), "")
    return Doc(
        kind="post", uri=obj["uri"], local=obj["local"], language=obj["language"] or "und",
        title=(plain(obj["name"]) or _headline(first))[:300], body=_join(text),
        country="", remote=False, published_at=obj["published_at"],
        updated_at=obj["updated_at"], languages=_languages(obj),
    )  # fmt: skip


#: The document each kind of content gets (replies, and every other kind, get none).
_CONTENT_DOCS: dict[str, Callable[[Connection, _Row], Doc | None]] = {
    CALL: call_doc, EVENT: event_doc, ANNOUNCEMENT: post_doc,
}  # fmt: skip
#: Content kinds that may have a document.
CONTENT_KINDS = tuple(_CONTENT_DOCS)


def object_doc(conn: Connection, object_id: int) -> Doc | None:
    """The document of a piece of content (ours or a remote one), or None when it may not be
    found: only public, live calls, events and posts."""
    return object_docs(conn, [object_id])[object_id]


def object_docs(conn: Connection, object_ids: Sequence[int]) -> dict[int, Doc | None]:
    """object_doc of each of these (at most a few hundred): the rows, and the labels of the
    calls' skills, read in one statement each."""
    objects = table(ContentObject)
    rows = {
        row["id"]: dict(row)
        for row in conn.execute(select(objects).where(objects.c.id.in_(sorted(set(object_ids)))))
        .mappings()
    }  # fmt: skip
    findable = {
        object_id: obj for object_id, obj in rows.items()
        if obj["deleted_at"] is None and obj["visibility"] == "public"
        and obj["kind"] in _CONTENT_DOCS
    }  # fmt: skip
    calls = [obj for obj in findable.values() if obj["kind"] == CALL]
    labels = labels_of(conn, (
        uri for obj in calls for uri in _call_skills(read_terms(obj["extra"], name=obj["name"]))[0]
    ))  # fmt: skip
    docs: dict[int, Doc | None] = dict.fromkeys(object_ids)
    for object_id, obj in findable.items():
        docs[object_id] = (
            call_doc(conn, obj, labels) if obj["kind"] == CALL
            else _CONTENT_DOCS[obj["kind"]](conn, obj)
        )  # fmt: skip
    return docs
