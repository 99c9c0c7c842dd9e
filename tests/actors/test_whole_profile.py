"""A profile form's change: the profile and parts of the matching profile in one use case, one
Update{Person}, and only by the member themself (or an admin)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from smartnode.accounts import principal as principals
from smartnode.actors.inputs import MemberUpdate
from smartnode.actors.member_cases import MatchingProfileChange, change_whole_profile
from smartnode.errors import Forbidden
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Activity
from smartnode.storage.models_matching import MatchingProfile, MemberLanguage
from smartnode.storage.models_profiles import MemberProfile
from tests.conftest import make_member, now


async def test_the_profile_and_the_matching_profile_change_with_one_update(db, settings) -> None:
    anna = await make_member(db, settings, "anna", country="SE", city="Lund")
    uris = NodeUris(settings.base_url, settings.domain)
    change = MemberUpdate(name="Anna L", city="Malmö")
    matching = MatchingProfileChange.model_validate(
        {"languages": [{"language": "sv", "level": "native"}], "opt_ins": {"suggestions": True}}
    )
    async with db.session() as s, s.begin():
        actor, profile = await change_whole_profile(
            s, uris, principals.member(anna.id), "anna", change, matching, now()
        )
        assert (actor.name, profile.city, profile.country) == ("Anna L", "Malmö", "SE")
    async with db.session() as s:
        updates = list(await s.scalars(select(Activity).where(Activity.activity_type == "Update")))
        assert len(updates) == 1 and updates[0].document["object"]["name"] == "Anna L"
        assert (await s.get(MatchingProfile, anna.id)).suggestions is True  # type: ignore[union-attr]
        [lang] = await s.scalars(select(MemberLanguage))
        assert (lang.language, lang.level) == ("sv", "native")
        assert (await s.get(MemberProfile, anna.id)).city == "Malmö"  # type: ignore[union-attr]


async def test_another_member_may_not_change_it(db, settings) -> None:
    await make_member(db, settings, "anna")
    bo = await make_member(db, settings, "bo")
    async with db.session() as s, s.begin():
        with pytest.raises(Forbidden):
            await change_whole_profile(
                s, NodeUris(settings.base_url, settings.domain), principals.member(bo.id), "anna",
                MemberUpdate(name="Bo was here"), MatchingProfileChange(), now(),
            )  # fmt: skip
    async with db.session() as s:
        assert list(await s.scalars(select(Activity))) == []
