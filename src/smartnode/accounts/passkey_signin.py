"""Signing in with a passkey: with no name at all (a discoverable credential tells who) or
after typing one (the options then list that member's passkeys).

The challenge, origin, relying party id hash, signature and user presence are checked by the
`webauthn` package; here the credential is bound to its account (and to the typed name, if
any), the account must be active, and the sign count may only go up, written in one
conditional UPDATE so that two racing answers of a cloned authenticator cannot both pass.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn import generate_authentication_options, options_to_json
from webauthn import verify_authentication_response as verify_answer
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import PublicKeyCredentialDescriptor, UserVerificationRequirement

from smartnode.accounts import throttle
from smartnode.accounts.accounts import ACTIVE
from smartnode.accounts.passkey_challenges import SIGN_IN, Taken, issue_challenge
from smartnode.accounts.passkeys import (
    EXPIRED,
    NOT_VERIFIED,
    TIMEOUT_MS,
    PasskeyRefused,
    descriptor,
    passkeys_of,
    relying_party,
    user_handle,
)
from smartnode.accounts.passwords import find_by_name
from smartnode.config import Settings
from smartnode.storage.models_accounts import Account, Passkey
from smartnode.translatable import N_

UNKNOWN = N_("This passkey is not registered on this node. Sign in another way.")
MAX_CREDENTIAL_ID = 1023


def _decoy(settings: Settings, typed: str) -> PublicKeyCredentialDescriptor:
    """A stable made-up credential for a name without passkeys, so the options look alike
    whether or not the name is a member's."""
    name = " ".join(typed.split()).lower().encode()
    fake = hmac.new(settings.secret(), b"passkey decoy:" + name, hashlib.sha256).digest()
    return PublicKeyCredentialDescriptor(id=fake)


async def signin_options(
    session: AsyncSession, settings: Settings, typed: str, now: datetime
) -> tuple[str, dict[str, Any]]:
    """Options for navigator.credentials.get() and the ceremony's browser token; `typed` is
    a username or email address, or empty for a discoverable credential."""
    account = await find_by_name(session, typed) if typed.strip() else None
    allowed = [descriptor(p) for p in await passkeys_of(session, account)] if account else []
    if typed.strip() and not allowed:
        allowed = [_decoy(settings, typed)]
    ceremony = await issue_challenge(session, SIGN_IN, account.id if account else None, now)
    options = generate_authentication_options(
        rp_id=relying_party(settings).id,
        challenge=ceremony.challenge,
        timeout=TIMEOUT_MS,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return ceremony.token, dict(json.loads(options_to_json(options)))


def _credential_id(credential: dict[str, Any]) -> bytes:
    raw = credential.get("rawId")
    if not isinstance(raw, str) or len(raw) > 2 * MAX_CREDENTIAL_ID:
        raise PasskeyRefused(NOT_VERIFIED)
    try:
        return base64url_to_bytes(raw)
    except ValueError:
        raise PasskeyRefused(NOT_VERIFIED) from None


def _handle_matches(settings: Settings, account: Account, credential: dict[str, Any]) -> bool:
    """A user handle the authenticator gave must be the account's."""
    response = credential.get("response")
    handle = response.get("userHandle") if isinstance(response, dict) else None
    if not handle:
        return True
    try:
        given = base64url_to_bytes(handle) if isinstance(handle, str) else b""
    except ValueError:
        return False
    return hmac.compare_digest(given, user_handle(settings, account))


async def _count_up(session: AsyncSession, passkey: Passkey, count: int, now: datetime) -> bool:
    """Store the authenticator's new sign count unless it did not go up (0 stays 0 for
    authenticators that keep no count)."""
    moved = Passkey.sign_count == 0 if count == 0 else Passkey.sign_count < count
    result = await session.execute(
        update(Passkey)
        .where(Passkey.id == passkey.id, moved)
        .values(sign_count=count, last_used_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return getattr(result, "rowcount", 0) == 1


async def _verified_passkey(
    session: AsyncSession, settings: Settings, taken: Taken, credential: dict[str, Any]
) -> tuple[Passkey, Account]:
    """The passkey and active account behind an answer, or PasskeyRefused."""
    passkey = await session.scalar(
        select(Passkey).where(Passkey.credential_id == _credential_id(credential))
    )
    if passkey is None:
        raise PasskeyRefused(UNKNOWN, 401)
    account = await session.get(Account, passkey.account_id)
    if account is None or account.state != ACTIVE:
        raise PasskeyRefused(NOT_VERIFIED, 401)
    if taken.account_id is not None and taken.account_id != account.id:
        raise PasskeyRefused(NOT_VERIFIED, 401)
    if not _handle_matches(settings, account, credential):
        raise PasskeyRefused(NOT_VERIFIED, 401)
    return passkey, account


async def sign_in_with_passkey(
    session: AsyncSession,
    settings: Settings,
    taken: Taken,
    credential: dict[str, Any],
    now: datetime,
) -> Account:
    """The active account whose passkey answered the challenge, or PasskeyRefused."""
    passkey, account = await _verified_passkey(session, settings, taken, credential)
    rp = relying_party(settings)
    try:
        verified = verify_answer(
            credential=credential,
            expected_challenge=taken.challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise PasskeyRefused(NOT_VERIFIED, 401) from None
    if not await _count_up(session, passkey, verified.new_sign_count, now):
        raise PasskeyRefused(NOT_VERIFIED, 401)
    return account


async def throttled_sign_in(
    session: AsyncSession,
    settings: Settings,
    taken: Taken | None,
    credential: dict[str, Any],
    address: str,
    now: datetime,
) -> Account | PasskeyRefused:
    """`sign_in_with_passkey` behind the address throttle: TooManyRequests when slowed down;
    a refusal is counted and returned (not raised), for the caller to commit the count."""
    keys = [throttle.address_key(address)]
    await throttle.check(session, keys, now)
    try:
        if taken is None:
            raise PasskeyRefused(EXPIRED, 400)
        return await sign_in_with_passkey(session, settings, taken, credential, now)
    except PasskeyRefused as refusal:
        await throttle.record_failure(session, keys, now)
        return refusal
