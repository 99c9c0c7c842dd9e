"""The passkey ceremonies under way: a challenge handed to one browser, kept server-side until
it is answered once or expires."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from smartnode.storage.models import Base
from smartnode.storage.types import BigId, UTCDateTime


class PasskeyChallenge(Base):
    """A WebAuthn challenge: `purpose` register | signin; the browser holds a cookie whose
    SHA-256 is `token_hash`; `account_id` is the member it was made for, if known."""

    __tablename__ = "passkey_challenges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True, index=True
    )
    challenge: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
