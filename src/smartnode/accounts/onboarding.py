"""Invitations and password resets: the one-time links a member gets by mail (or from an
admin), and what using one does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.accounts import (
    ACTIVE,
    INVITED,
    SUSPENDED,
    IssuedLink,
    account_of,
    ensure_account,
    issue_link,
    local_member_named,
    member_of,
    peek_link,
    use_link,
)
from smartnode.accounts.passwords import check_strength, find_by_name, set_password
from smartnode.accounts.principal import Principal
from smartnode.accounts.sessions import end_all_sessions
from smartnode.config import Settings
from smartnode.errors import Conflict, Forbidden
from smartnode.storage.models import Actor
from smartnode.storage.models_accounts import Account
from smartnode.storage.models_profiles import MemberProfile


@dataclass(frozen=True, slots=True)
class Invitation:
    """An invitation made: the member, their account, the link's secret and its expiry."""

    actor: Actor
    account: Account
    link: IssuedLink


def invitation_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/invitation/{token}"


def reset_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/reset/{token}"


async def invite_member(
    session: AsyncSession,
    settings: Settings,
    by: Principal,
    username: str,
    now: datetime,
    *,
    email: str | None = None,
) -> Invitation:
    """An admin invites a local member to choose how to sign in (a new link each time; earlier
    ones stop working). Only an account that is not yet active can be invited."""
    if not by.is_admin:
        raise Forbidden("only an admin of the node invites members")
    actor = await local_member_named(session, username)
    if email is None and await account_of(session, actor.id) is None:
        profile = await session.get(MemberProfile, actor.id)
        email = profile.email if profile is not None else None  # the address Smart knows
    account = await ensure_account(session, actor, now, email=email)
    if account.state == ACTIVE:
        raise Conflict("this member already signs in; a forgotten password is reset at /reset")
    if account.state == SUSPENDED:
        raise Conflict("this member is suspended; reactivate them first")
    lifetime = timedelta(days=settings.invitation_days)
    link = await issue_link(session, account, "invite", now, lifetime)
    return Invitation(actor=actor, account=account, link=link)


async def accept_invitation(
    session: AsyncSession, token: str, password: str | None, now: datetime
) -> Account | None:
    """Use an invitation: with a password, set it; without, the member goes on to add a
    passkey. The account becomes active; None when the link is used, expired or unknown.
    A weak password raises before the link is spent."""
    account = await peek_link(session, token, "invite", now)
    if account is None:
        return None
    actor = await member_of(session, account)
    if password is not None:
        check_strength(password, [actor.username, actor.name, *(account.email or "").split("@")])
    if await use_link(session, token, "invite", now) is None:
        return None
    if password is not None:
        await set_password(session, account, actor, password, now)
    account.state, account.updated_at = ACTIVE, now
    if account.email:
        account.email_verified = True  # the link reached them at this address
    await session.flush()
    return account


@dataclass(frozen=True, slots=True)
class ResetMade:
    """A reset link for an account with a mail address."""

    account: Account
    actor: Actor
    link: IssuedLink


async def request_reset(
    session: AsyncSession, settings: Settings, typed: str, now: datetime
) -> ResetMade | None:
    """A reset link when `typed` names an active account with an address; None otherwise
    (the page says the same either way)."""
    account = await find_by_name(session, typed) if typed.strip() else None
    if account is None or account.state != ACTIVE or not account.email:
        return None
    lifetime = timedelta(minutes=settings.reset_minutes)
    link = await issue_link(session, account, "reset", now, lifetime)
    return ResetMade(account=account, actor=await member_of(session, account), link=link)


async def reset_password(
    session: AsyncSession, token: str, password: str, now: datetime
) -> Account | None:
    """Set a new password through a reset link; every session of the account ends. None when
    the link does not work (any more); a weak password raises before the link is spent."""
    account = await peek_link(session, token, "reset", now)
    if account is None or account.state == INVITED:
        return None
    actor = await member_of(session, account)
    check_strength(password, [actor.username, actor.name, *(account.email or "").split("@")])
    if await use_link(session, token, "reset", now) is None:
        return None
    await set_password(session, account, actor, password, now)
    account.email_verified = True
    await end_all_sessions(session, account)
    return account
