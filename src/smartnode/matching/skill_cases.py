"""The skills taxonomy as the native API and the CLI change it: each use case takes the acting
principal (actors/acting.py decides). Services never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import require_admin
from smartnode.matching.taxonomy import create_local_skill
from smartnode.storage.models_matching import LocalSkill


async def add_local_skill(
    session: AsyncSession, principal: Principal, labels: dict[str, str], now: datetime,
    *, slug: str | None, same_as: str | None,
) -> LocalSkill:  # fmt: skip
    """An admin adds a skill ESCO lacks (optionally the same as an ESCO concept)."""
    require_admin(principal)
    return await create_local_skill(session, labels, now, slug=slug, same_as=same_as)
