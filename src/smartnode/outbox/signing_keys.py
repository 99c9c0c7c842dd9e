"""An in-process cache of our actors' decrypted private keys (one per worker process).

Decrypting (Fernet) and parsing a PEM costs far more than signing; the cache keeps the key
object per actor id and re-decrypts only when the stored encrypted key changes (rotation).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.errors import ConfigError
from smartnode.federation.keys import decrypt_private_key, load_private_key
from smartnode.federation.signatures import PrivateKey
from smartnode.storage.models import Actor

DEFAULT_SIZE = 4096


@dataclass(frozen=True, slots=True)
class SigningKey:
    """What signs for one of our actors: its key id and the parsed private key."""

    key_id: str
    private_key: PrivateKey


def key_id_of(actor_uri: str) -> str:
    """Our actors' key id (PROTOCOL.md: `<actor>#main-key`)."""
    return f"{actor_uri}#main-key"


class SigningKeys:
    """Least-recently-used cache of SigningKey by actor id, checked against the stored token."""

    def __init__(self, secret: bytes, size: int = DEFAULT_SIZE) -> None:
        self._secret = secret
        self._size = size
        self._keys: OrderedDict[int, tuple[str, SigningKey]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._keys)

    def key_for(self, actor_id: int, actor_uri: str, private_key_enc: str) -> SigningKey:
        """The signing key of a row's actor, decrypted once per stored token."""
        cached = self._keys.get(actor_id)
        if cached is not None and cached[0] == private_key_enc:
            self._keys.move_to_end(actor_id)
            return cached[1]
        pem = decrypt_private_key(private_key_enc, self._secret)
        key = SigningKey(key_id_of(actor_uri), load_private_key(pem))
        self._keys[actor_id] = (private_key_enc, key)
        self._keys.move_to_end(actor_id)
        while len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return key

    async def load(self, session: AsyncSession, actor_ids: Iterable[int]) -> dict[int, SigningKey]:
        """Signing keys of these local actors (those without a private key are left out)."""
        wanted = sorted(set(actor_ids))
        if not wanted:
            return {}
        rows = await session.execute(
            select(Actor.id, Actor.uri, Actor.private_key_enc).where(
                Actor.id.in_(wanted), Actor.local.is_(True)
            )
        )
        found: dict[int, SigningKey] = {}
        for actor_id, uri, token in rows.all():
            if token:
                try:
                    found[actor_id] = self.key_for(actor_id, uri, token)
                except ConfigError:
                    continue  # a key that cannot be decrypted signs nothing; the row fails
        return found
