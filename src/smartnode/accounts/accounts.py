"""A member's account: made with the member (state `invited`), activated when they choose how
to sign in, suspended by an admin. One-time links (invitation, password reset) live here too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.accounts.secrets import digest, new_secret
from smartnode.config import UI_LANGUAGES
from smartnode.errors import Conflict, Forbidden, NotFound, ValidationFailed
from smartnode.storage.models import Actor
from smartnode.storage.models_accounts import (
    Account,
    AccountLink,
    ApiToken,
    ExternalIdentity,
    Passkey,
    WebSession,
)

INVITED, ACTIVE, SUSPENDED = "invited", "active", "suspended"
LinkPurpose = Literal["invite", "reset"]
MAX_EMAIL = 320


def normal_email(email: str | None) -> str | None:
    """An address trimmed and lower-cased; None when empty. Refuses what is not an address."""
    email = (email or "").strip().lower()
    if not email:
        return None
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or len(email) > MAX_EMAIL or " " in email:
        raise ValidationFailed("email: this is not an email address")
    return email


async def account_of(session: AsyncSession, actor_id: int) -> Account | None:
    """The account of a member, if one was made."""
    return await session.scalar(select(Account).where(Account.actor_id == actor_id))


async def account_by_email(session: AsyncSession, email: str) -> Account | None:
    """The account with this address (compared lower-cased)."""
    address = normal_email(email)
    if address is None:
        return None
    return await session.scalar(select(Account).where(Account.email == address))


async def local_member_named(session: AsyncSession, username: str) -> Actor:
    """The live local member of a username (`anna`, `@anna`); NotFound otherwise."""
    actor = await session.scalar(
        select(Actor).where(
            Actor.local.is_(True),
            Actor.kind == "member",
            Actor.username == username.strip().lstrip("@").lower(),
            Actor.deleted_at.is_(None),
        )
    )
    if actor is None:
        raise NotFound(f"no member named {username!r} on this node")
    return actor


async def change_state(
    session: AsyncSession, by: Principal, username: str, state: str, now: datetime
) -> Account:
    """An admin suspends a member or makes them active again (an account that never chose
    how to sign in goes back to invited)."""
    if not by.is_admin:
        raise Forbidden("only an admin of the node suspends or reactivates members")
    account = await ensure_account(session, await local_member_named(session, username), now)
    if state == ACTIVE and account.password_hash is None and not await _signs_in(session, account):
        state = INVITED
    await set_state(session, account, state, now)
    return account


async def _signs_in(session: AsyncSession, account: Account) -> bool:
    """Whether the account has a way in other than a password (a passkey, the provider)."""
    for table in (Passkey, ExternalIdentity):
        found = await session.scalar(select(table.id).where(table.account_id == account.id))
        if found is not None:
            return True
    return False


async def member_of(session: AsyncSession, account: Account) -> Actor:
    """The live local member an account belongs to."""
    actor = await session.get(Actor, account.actor_id)
    if actor is None or actor.deleted_at is not None:
        raise NotFound("this member no longer exists")
    return actor


async def ensure_account(
    session: AsyncSession, actor: Actor, now: datetime, *, email: str | None = None
) -> Account:
    """The member's account, made `invited` when there is none; sets the address if given."""
    if not actor.local or actor.kind != "member":
        raise ValidationFailed("only a local member has an account")
    account = await account_of(session, actor.id)
    address = normal_email(email)
    if address is not None:
        other = await account_by_email(session, address)
        if other is not None and (account is None or other.id != account.id):
            raise Conflict("another member already uses this email address")
    if account is None:
        account = Account(
            actor_id=actor.id,
            state=INVITED,
            email=address,
            email_verified=False,
            created_at=now,
            updated_at=now,
        )
        session.add(account)
    elif address is not None and address != account.email:
        account.email, account.email_verified, account.updated_at = address, False, now
    await session.flush()
    return account


async def set_state(session: AsyncSession, account: Account, state: str, now: datetime) -> None:
    """Suspend or reactivate; a suspension ends every browser session and revokes every
    app's grant at once (a reactivated member signs in and grants again)."""
    if state not in (INVITED, ACTIVE, SUSPENDED):
        raise ValidationFailed(f"state must be one of {INVITED}, {ACTIVE}, {SUSPENDED}")
    account.state, account.updated_at = state, now
    if state == SUSPENDED:
        await session.execute(delete(WebSession).where(WebSession.account_id == account.id))
        await session.execute(
            delete(ApiToken).where(ApiToken.actor_id == account.actor_id, ApiToken.scope == "app")
        )
    await session.flush()


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """A one-time link's secret (shown or mailed once) and when it stops working."""

    token: str
    expires_at: datetime


async def issue_link(
    session: AsyncSession,
    account: Account,
    purpose: LinkPurpose,
    now: datetime,
    lifetime: timedelta,
) -> IssuedLink:
    """A new one-time link; earlier unused links of the same purpose stop working."""
    await session.execute(
        update(AccountLink)
        .where(
            AccountLink.account_id == account.id,
            AccountLink.purpose == purpose,
            AccountLink.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = new_secret()
    session.add(
        AccountLink(
            token_hash=digest(token),
            account_id=account.id,
            purpose=purpose,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    await session.flush()
    return IssuedLink(token=token, expires_at=now + lifetime)


async def peek_link(
    session: AsyncSession, token: str, purpose: LinkPurpose, now: datetime
) -> Account | None:
    """The account of a link that still works (not used, not expired), without using it."""
    link = await session.scalar(
        select(AccountLink).where(
            AccountLink.token_hash == digest(token), AccountLink.purpose == purpose
        )
    )
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    account = await session.get(Account, link.account_id)
    if account is None or account.state == SUSPENDED:
        return None
    return account


async def use_link(
    session: AsyncSession, token: str, purpose: LinkPurpose, now: datetime
) -> Account | None:
    """Spend a link: its account when it still worked, else None. A second use finds nothing,
    even when two requests race (the row is claimed by one conditional UPDATE)."""
    result = await session.execute(
        update(AccountLink)
        .where(
            AccountLink.token_hash == digest(token),
            AccountLink.purpose == purpose,
            AccountLink.used_at.is_(None),
            AccountLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(AccountLink.account_id)
    )
    account_id = result.scalar_one_or_none()
    if account_id is None:
        return None
    account = await session.get(Account, account_id)
    if account is None or account.state == SUSPENDED:
        return None
    return account


async def set_ui_language(
    session: AsyncSession, account: Account, language: str | None, now: datetime
) -> None:
    """The member's language for pages and mail (None: follow the browser)."""
    if language is not None and language not in UI_LANGUAGES:
        raise ValidationFailed(f"language must be one of {', '.join(UI_LANGUAGES)}")
    account.ui_language, account.updated_at = language, now
    await session.flush()
