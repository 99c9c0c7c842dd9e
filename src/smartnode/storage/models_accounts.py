"""Tables for people signing in and for apps: accounts, one-time links, browser sessions,
passkeys, recovery codes, identities at the cooperative's OpenID provider, OAuth 2 clients and
codes, the APIs' bearer tokens, and sign-in throttles. Secrets are stored hashed (links,
sessions, codes, client secrets, tokens) or encrypted (TOTP seeds); never in plain text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartnode.storage.models import Base
from smartnode.storage.types import BigId, Json, UTCDateTime


class Account(Base):
    """How one local member signs in. `state`: invited | active | suspended."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("actors.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(320), nullable=True, unique=True)
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    totp_secret: Mapped[str | None] = mapped_column(Text, nullable=True)  # encrypted
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(BigId, nullable=True)  # no code twice
    ui_language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccountLink(Base):
    """A one-time link sent to a member: `purpose` invite | reset. Works once, then expires."""

    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebSession(Base):
    """A browser session: the cookie holds a random token, only its SHA-256 is kept.

    `level` is `partial` after a password when a second factor is still owed, else `full`.
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[str] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(String(16))  # password | passkey | oidc | link
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the absolute limit


class Passkey(Base):
    """A WebAuthn credential registered by a member."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    credential_id: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    transports: Mapped[list[str]] = mapped_column(Json, default=list)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RecoveryCode(Base):
    """A one-time recovery code for the second factor; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ExternalIdentity(Base):
    """A member's identity at the cooperative's OpenID provider (issuer + subject)."""

    __tablename__ = "external_identities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("issuer", "subject"),)


class OAuthClient(Base):
    """An app registered for OAuth 2 (Mastodon's POST /api/v1/apps or the CLI)."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(Text, nullable=True)
    redirect_uris: Mapped[list[str]] = mapped_column(Json, default=list)
    scopes: Mapped[str] = mapped_column(Text)  # space-separated, as registered
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OAuthCode(Base):
    """An authorization code: single use, short-lived, bound to client, redirect and PKCE."""

    __tablename__ = "oauth_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    redirect_uri: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SignInThrottle(Base):
    """Failed attempts per key (`account:<id>` or `address:<ip>`) in the current window.

    Rows, not process memory, so that every API process sees the same count.
    """

    __tablename__ = "sign_in_throttles"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_sign_in_throttles_window", "window_started_at"),)


class ApiToken(Base):
    """A bearer token for the native API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(16))  # admin | member | app
    actor_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("actors.id", ondelete="CASCADE"), nullable=True
    )  # the member a member (or app) token acts for
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # OAuth 2 tokens (scope "app"): the app, its granted scopes, refresh token and expiry
    client_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("oauth_clients.id", ondelete="CASCADE"), nullable=True, index=True
    )
    scopes: Mapped[str | None] = mapped_column(Text, nullable=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
