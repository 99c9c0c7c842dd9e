"""/api/smart/v1/skills (the skills taxonomy) and /api/smart/v1/members/{username}/matching-profile.

The taxonomy is public. A matching profile is private: only the member (with their own member
token) or an admin sees or changes it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from smartnode.actors import member_cases as members
from smartnode.actors.inputs import Language
from smartnode.actors.member_cases import MatchingProfileChange
from smartnode.api.deps import DocumentsDep, SessionDep, UrisDep
from smartnode.api.v1.auth import ChallengeRoute, MaybePrincipalDep, PrincipalDep
from smartnode.api.v1.schemas import ErrorOut, errors, json_response
from smartnode.matching import skill_cases
from smartnode.matching.inputs import MatchingProfileInput
from smartnode.matching.profiles import ProfileView
from smartnode.matching.taxonomy import (
    ConceptHit,
    search_concepts,
    search_local_skills,
)
from smartnode.matching.terms import LANGUAGES

router = APIRouter(tags=["skills"], route_class=ChallengeRoute)

ATTRIBUTION = "This service uses the ESCO classification of the European Commission."
Username = Annotated[str, Path(max_length=64, description="The member's username.")]
ConceptKind = Literal["skill", "occupation", "isco_group", "skill_group"]
Lang = Annotated[str, Query(pattern=r"^[a-z]{2,3}$", description="Language of the labels.")]


def _responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    found = errors(*(s for s in statuses if s != 403))
    if 403 in statuses:
        found[403] = {"model": ErrorOut, "description": "A token of another member."}
    return found


# ---------------------------------------------------------------- the taxonomy


class SkillOut(BaseModel):
    """A concept of the taxonomy (ESCO `uri`) or a local skill (`slug`)."""

    uri: str | None = Field(description="ESCO URI; null for a local skill.")
    slug: str | None = Field(description="Local skill slug; null for an ESCO concept.")
    kind: str = Field(description="skill, occupation, isco_group, skill_group or local.")
    label: str = Field(description="Preferred label in `language`.")
    language: str = Field(description="The label's language (English when `lang` has none).")
    matched: str | None = Field(description="The label that matched, when not `label`.")
    provenance: str | None = Field(description="esco-v1.2, smartnode-translation, …")


class SkillPage(BaseModel):
    """Search results, best first, with the attribution ESCO asks for."""

    items: list[SkillOut]
    attribution: str = ATTRIBUTION


def _skill_out(hit: ConceptHit) -> SkillOut:
    return SkillOut(
        uri=hit.uri, slug=hit.slug, kind=hit.kind, label=hit.label, language=hit.language,
        matched=hit.matched, provenance=hit.provenance,
    )  # fmt: skip


@router.get(
    "/skills",
    response_model=SkillPage,
    summary="Search the skills taxonomy",
    description="Concepts whose label in `lang` (or English) contains `q`, case and accents "
    "ignored: exact matches first, then prefixes, then word starts. Local skills follow.",
    responses=errors(),
)
async def search_skills(
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Words to look for.")],
    lang: Lang = "en",
    kind: Annotated[ConceptKind | None, Query(description="Only concepts of this kind.")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> Response:
    hits = await search_concepts(session, q, lang, kinds=[kind] if kind else (), limit=limit)
    if kind is None and len(hits) < limit:
        hits += await search_local_skills(session, q, lang, limit=limit - len(hits))
    return json_response(SkillPage(items=[_skill_out(h) for h in hits]))


class LocalSkillIn(BaseModel):
    """A skill ESCO lacks (a tool like TouchDesigner), optionally the same as an ESCO concept."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    slug: str | None = Field(default=None, max_length=64, description="Default: from a label.")
    labels: dict[Language, Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        min_length=1, max_length=len(LANGUAGES), description="{'en': 'TouchDesigner', …}"
    )
    same_as: str | None = Field(default=None, description="An ESCO URI of the taxonomy.")


@router.post(
    "/skills/local",
    status_code=201,
    response_model=SkillOut,
    summary="Add a local skill (admin)",
    responses=errors(401, 403, 409),
)
async def add_local_skill(
    data: LocalSkillIn, principal: MaybePrincipalDep, session: SessionDep
) -> Response:
    async with session.begin():
        skill = await skill_cases.add_local_skill(
            session, principal, dict(data.labels), datetime.now(UTC), slug=data.slug,
            same_as=data.same_as,
        )  # fmt: skip
    language, label = next(iter(data.labels.items()))
    out = SkillOut(uri=None, slug=skill.slug, kind="local", label=label, language=language,
                   matched=None, provenance=None)  # fmt: skip
    return json_response(out, status_code=201)


# ---------------------------------------------------------------- matching profiles


class ProfileSkillOut(BaseModel):
    uri: str | None
    slug: str | None
    kind: str
    label: str
    language: str
    level: int = Field(description="1 basic, 2 intermediate, 3 advanced, 4 expert.")
    level_name: str
    can_teach: bool
    wants_to_learn: bool


class LanguageOut(BaseModel):
    language: str
    level: str = Field(description="A1-C2 or native.")


class WindowOut(BaseModel):
    starts_on: date
    ends_on: date


class LocationOut(BaseModel):
    country: str
    city: str
    latitude: float | None = Field(description="Rounded to 0.1° (~10 km).")
    longitude: float | None = Field(description="Rounded to 0.1° (~10 km).")


class OptInsOut(BaseModel):
    listed: bool
    visible_to_nodes: bool
    suggestions: bool
    indexable: bool
    found_by_peers: bool


class MatchingProfileOut(BaseModel):
    """A member's matching profile, private to the member and the node's admins."""

    username: str
    skills: list[ProfileSkillOut]
    languages: list[LanguageOut]
    availability: list[WindowOut]
    location: LocationOut
    remote_ok: bool
    travel_radius_km: int | None
    cross_border: bool
    sectors: list[str]
    opt_ins: OptInsOut


def _profile_out(username: str, view: ProfileView) -> MatchingProfileOut:
    return MatchingProfileOut(
        username=username,
        skills=[
            ProfileSkillOut(uri=s.uri, slug=s.slug, kind=s.kind, label=s.label,
                            language=s.language, level=s.level, level_name=s.level_name,
                            can_teach=s.can_teach, wants_to_learn=s.wants_to_learn)
            for s in view.skills
        ],
        languages=[LanguageOut(language=lang, level=level) for lang, level in view.languages],
        availability=[WindowOut(starts_on=s, ends_on=e) for s, e in view.availability],
        location=LocationOut(country=view.country, city=view.city, latitude=view.latitude,
                             longitude=view.longitude),
        remote_ok=view.remote_ok, travel_radius_km=view.travel_radius_km,
        cross_border=view.cross_border, sectors=view.sectors,
        opt_ins=OptInsOut(listed=view.listed, visible_to_nodes=view.visible_to_nodes,
                          suggestions=view.suggestions, indexable=view.indexable,
                          found_by_peers=view.found_by_peers),
    )  # fmt: skip


PROFILE = "/members/{username}/matching-profile"


@router.get(
    PROFILE,
    response_model=MatchingProfileOut,
    summary="Read a member's matching profile (the member or an admin)",
    description="To the member themself (a member token, or an app granted `read:accounts`) "
    "or an admin.",
    responses=_responses(401, 403, 404, 410),
)
async def read_matching_profile(
    username: Username, principal: PrincipalDep, session: SessionDep, lang: Lang | None = None
) -> Response:
    async with session.begin():
        actor, view = await members.read_matching_profile(session, principal, username, lang)
    return json_response(_profile_out(actor.username, view))


@router.put(
    PROFILE,
    response_model=MatchingProfileOut,
    summary="Replace a member's matching profile (the member or an admin)",
    description="The whole profile: what is left out takes its default and every opt-in is "
    "off unless given. Skills are ESCO URIs of the taxonomy (`uri`), local skills (`local`) or "
    "new local skills (`name`). Coordinates are stored rounded to 0.1° (~10 km). By the member "
    "themself (a member token, or an app granted `write:accounts`) or an admin; followers get "
    "Update{Person}.",
    responses=_responses(401, 403, 404, 410),
)
async def replace_matching_profile(
    username: Username,
    data: MatchingProfileInput,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        actor, view = await members.replace_matching_profile(
            session, uris, principal, username, data, datetime.now(UTC)
        )
    documents.clear()
    return json_response(_profile_out(actor.username, view))


@router.patch(
    PROFILE,
    response_model=MatchingProfileOut,
    summary="Change parts of a member's matching profile (the member or an admin)",
    description="Only the parts given are replaced, each as a whole (`skills`, `languages`, "
    "`availability`, `location`, `remote_ok`, `travel_radius_km`, `cross_border`, `sectors`, "
    "`opt_ins`); the rest stays. Who may: as for PUT.",
    responses=_responses(401, 403, 404, 410),
)
async def change_matching_profile(
    username: Username,
    change: MatchingProfileChange,
    principal: PrincipalDep,
    session: SessionDep,
    uris: UrisDep,
    documents: DocumentsDep,
) -> Response:
    async with session.begin():
        actor, view = await members.change_matching_profile(
            session, uris, principal, username, change, datetime.now(UTC)
        )
    documents.clear()
    return json_response(_profile_out(actor.username, view))
