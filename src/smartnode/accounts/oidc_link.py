"""Which member a person vouched for by the cooperative's provider is.

In order: an identity (issuer, subject) seen before is its account; else the account the
cooperative registered with the address the provider verified (linked now; an invited account
becomes active); else, when the operator allows it, a new member made through the real
service; else refused. A suspended account is always refused. The caller owns the transaction
and rolls it back on a refusal, so a refused sign-in stores nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.accounts import (
    ACTIVE,
    INVITED,
    SUSPENDED,
    account_by_email,
    ensure_account,
    member_of,
)
from smartnode.accounts.oidc_errors import OidcRefused
from smartnode.accounts.oidc_flow import ProviderIdentity
from smartnode.actors.inputs import MemberInput
from smartnode.actors.members import create_member
from smartnode.actors.names import MAX_USERNAME, RESERVED, USERNAME_RE, to_ascii
from smartnode.actors.records import username_taken
from smartnode.config import Settings
from smartnode.errors import NotFound
from smartnode.storage.models_accounts import Account, ExternalIdentity

FALLBACK_USERNAME = "member"
_ROOM_FOR_SUFFIX = 5


@dataclass(frozen=True, slots=True)
class Linked:
    """The account a provider identity signs in to, and whether it was just made or linked."""

    account: Account
    how: str  # known | linked | created


async def account_for_identity(
    session: AsyncSession, settings: Settings, identity: ProviderIdentity, now: datetime
) -> Linked:
    """The active account this identity signs in to, or OidcRefused."""
    known = await session.scalar(
        select(ExternalIdentity).where(
            ExternalIdentity.issuer == identity.issuer,
            ExternalIdentity.subject == identity.subject,
        )
    )
    if known is not None:
        account = await session.get(Account, known.account_id)
        assert account is not None  # the foreign key cascades
        return Linked(await _admitted(session, account, now), "known")
    if identity.email is None or not identity.email_verified:
        raise OidcRefused("unverified", "the provider vouches for no email address")
    account = await account_by_email(session, identity.email)
    if account is not None:
        await _refuse_second_identity(session, account, identity)
        await _link(session, account, identity, now)
        return Linked(await _admitted(session, account, now), "linked")
    if not settings.oidc_create_members:
        raise OidcRefused("unknown", "no member has this address", email=identity.email)
    account = await _new_member(session, settings, identity, now)
    await _link(session, account, identity, now)
    return Linked(await _admitted(session, account, now), "created")


async def _admitted(session: AsyncSession, account: Account, now: datetime) -> Account:
    """The account, active (an invitation is answered by signing in), unless suspended or
    its member is gone."""
    if account.state == SUSPENDED:
        raise OidcRefused("suspended", f"account {account.id} is suspended")
    try:
        await member_of(session, account)
    except NotFound:
        raise OidcRefused("unknown", f"the member of account {account.id} is gone") from None
    if account.state == INVITED:
        account.state, account.updated_at = ACTIVE, now
        await session.flush()
    return account


async def _refuse_second_identity(
    session: AsyncSession, account: Account, identity: ProviderIdentity
) -> None:
    """A member signs in with one identity per provider: an address that moved to another
    person at the provider does not open the account."""
    other = await session.scalar(
        select(ExternalIdentity.id).where(
            ExternalIdentity.account_id == account.id,
            ExternalIdentity.issuer == identity.issuer,
        )
    )
    if other is not None:
        raise OidcRefused("linked_elsewhere", f"account {account.id} has another identity")


async def _link(
    session: AsyncSession, account: Account, identity: ProviderIdentity, now: datetime
) -> None:
    """Remember the identity; the provider verified the account's address."""
    session.add(
        ExternalIdentity(
            account_id=account.id,
            issuer=identity.issuer,
            subject=identity.subject,
            created_at=now,
        )
    )
    account.email_verified, account.updated_at = True, now
    await session.flush()


async def _new_member(
    session: AsyncSession, settings: Settings, identity: ProviderIdentity, now: datetime
) -> Account:
    """A member made by the real service, with an account for the verified address."""
    username = await free_username(session, username_base(identity))
    data = MemberInput(
        username=username,
        name=identity.name or username,
        email=identity.email,
        language=settings.language,
    )
    actor = await create_member(session, settings, data, now)
    return await ensure_account(session, actor, now, email=identity.email)


def username_base(identity: ProviderIdentity) -> str:
    """An ASCII username from preferred_username, else the address's local part."""
    local_part = (identity.email or "").partition("@")[0]
    for source in (identity.preferred_username, local_part):
        name = _ascii_name(source or "")
        if name and name not in RESERVED and USERNAME_RE.match(name):
            return name
    return FALLBACK_USERNAME


async def free_username(session: AsyncSession, base: str) -> str:
    """`base`, or `base2`, `base3`, … : the first that no local actor uses."""
    if not await username_taken(session, base):
        return base
    number = 2
    while await username_taken(session, f"{base}{number}"):
        number += 1
    return f"{base}{number}"


def _ascii_name(text: str) -> str:
    """Lower-case ASCII letters, digits and _, with . or - only between them."""
    name = re.sub(r"[^a-z0-9_.-]+", "_", to_ascii(text).lower())
    name = re.sub(r"[.-]*([.-])[.-]*", r"\1", name).strip("._-")
    return name[: MAX_USERNAME - _ROOM_FOR_SUFFIX].strip("._-")
