"""Passkeys (WebAuthn): registering a member's authenticators, listing, renaming and removing
them. The relying party is this node: its id is the host of BASE_URL (no port), its origin
BASE_URL itself. Signing in with a passkey is in passkey_signin.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn import generate_registration_options, options_to_json, verify_registration_response
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from smartnode.accounts.passkey_challenges import REGISTER, Taken, issue_challenge
from smartnode.actors.handles import handle_for
from smartnode.config import Settings
from smartnode.errors import BadRequest
from smartnode.storage.models import Actor
from smartnode.storage.models_accounts import Account, ExternalIdentity, Passkey
from smartnode.translatable import N_

MAX_NAME = 100
TIMEOUT_MS = 300_000
TRANSPORTS = frozenset(transport.value for transport in AuthenticatorTransport)

EXPIRED = N_("This passkey request expired. Try again.")
NOT_VERIFIED = N_("The passkey could not be checked. Try again, or use another passkey.")
TAKEN = N_("This passkey is registered already.")
LAST_WAY_IN = N_(
    "This is your only way to sign in. Choose a password or add another passkey first."
)


class PasskeyRefused(BadRequest):
    """A passkey step refused; `reason` is an English message the pages translate."""

    code = "passkey_refused"

    def __init__(self, reason: str, status_code: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """This node as WebAuthn sees it."""

    id: str
    name: str
    origin: str


def relying_party(settings: Settings) -> RelyingParty:
    host = urlsplit(settings.base_url).hostname or settings.domain
    return RelyingParty(id=host, name=settings.node_name, origin=settings.base_url)


def user_handle(settings: Settings, account: Account) -> bytes:
    """The account's opaque WebAuthn user id: stable, and telling nothing about the member."""
    message = f"webauthn user handle:{account.id}".encode()
    return hmac.new(settings.secret(), message, hashlib.sha256).digest()


def descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = [AuthenticatorTransport(t) for t in passkey.transports if t in TRANSPORTS]
    return PublicKeyCredentialDescriptor(id=passkey.credential_id, transports=transports or None)


async def passkeys_of(session: AsyncSession, account: Account) -> list[Passkey]:
    """The account's passkeys, oldest first."""
    rows = await session.scalars(
        select(Passkey).where(Passkey.account_id == account.id).order_by(Passkey.id)
    )
    return list(rows)


async def registration_options(
    session: AsyncSession, settings: Settings, account: Account, actor: Actor, now: datetime
) -> tuple[str, dict[str, Any]]:
    """Options for navigator.credentials.create() and the ceremony's browser token."""
    ceremony = await issue_challenge(session, REGISTER, account.id, now)
    rp = relying_party(settings)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=handle_for(actor.username, settings.domain),
        user_id=user_handle(settings, account),
        user_display_name=actor.name or actor.username,
        challenge=ceremony.challenge,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[descriptor(p) for p in await passkeys_of(session, account)],
    )
    return ceremony.token, dict(json.loads(options_to_json(options)))


def _transports(credential: dict[str, Any]) -> list[str]:
    response = credential.get("response")
    listed = response.get("transports") if isinstance(response, dict) else None
    return [t for t in listed if t in TRANSPORTS][:8] if isinstance(listed, list) else []


async def register_passkey(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    taken: Taken | None,
    credential: dict[str, Any],
    name: str,
    now: datetime,
) -> Passkey:
    """Check an authenticator's answer to the account's challenge and keep its credential."""
    if taken is None or taken.account_id != account.id:
        raise PasskeyRefused(EXPIRED)
    rp = relying_party(settings)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=taken.challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise PasskeyRefused(NOT_VERIFIED) from None
    taken_already = await session.scalar(
        select(func.count()).where(Passkey.credential_id == verified.credential_id)
    )
    if taken_already:
        raise PasskeyRefused(TAKEN, 409)
    passkey = Passkey(
        account_id=account.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=_transports(credential),
        name=name.strip()[:MAX_NAME],
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(passkey)
    except IntegrityError:
        raise PasskeyRefused(TAKEN, 409) from None
    return passkey


async def _own_passkey(session: AsyncSession, account: Account, passkey_id: int) -> Passkey | None:
    passkey = await session.get(Passkey, passkey_id)
    return passkey if passkey is not None and passkey.account_id == account.id else None


async def rename_passkey(
    session: AsyncSession, account: Account, passkey_id: int, name: str
) -> bool:
    """Give one of the account's passkeys a new name; False when it is not theirs."""
    passkey = await _own_passkey(session, account, passkey_id)
    name = " ".join(name.split())[:MAX_NAME]
    if passkey is None or not name:
        return False
    passkey.name = name
    await session.flush()
    return True


async def _other_way_in(session: AsyncSession, account: Account) -> bool:
    """Whether the account can sign in without the passkey being removed."""
    if account.password_hash is not None:
        return True
    passkeys = await session.scalar(select(func.count()).where(Passkey.account_id == account.id))
    identities = await session.scalar(
        select(func.count()).where(ExternalIdentity.account_id == account.id)
    )
    return bool((passkeys or 0) > 1 or identities)


async def remove_passkey(session: AsyncSession, account: Account, passkey_id: int) -> bool:
    """Remove one of the account's passkeys; False when it is not theirs. PasskeyRefused when
    it is the member's only way to sign in."""
    passkey = await _own_passkey(session, account, passkey_id)
    if passkey is None:
        return False
    if not await _other_way_in(session, account):
        raise PasskeyRefused(LAST_WAY_IN, 409)
    await session.delete(passkey)
    await session.flush()
    return True
