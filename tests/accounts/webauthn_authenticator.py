"""A software WebAuthn authenticator for tests, written here from the specification (not a
copy of anyone's): EC P-256 credentials, attestation "none", authenticatorData with its
flags and COSE key, and ES256 signatures over authenticatorData || SHA-256(clientDataJSON).

It plays the browser's part too: it writes clientDataJSON with the origin it is told, and
returns the JSON form of a PublicKeyCredential (base64url fields), as a script would post it.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

USER_PRESENT, USER_VERIFIED, ATTESTED_DATA = 0x01, 0x04, 0x40
AAGUID = bytes(16)  # "none" attestation: an all-zero AAGUID


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftCredential:
    """One credential held by the authenticator."""

    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


@dataclass
class SoftAuthenticator:
    """A passkey device: `origin` is where its browser runs; it may be told another origin or
    relying party id to play an attacker. `counts` False: a device that keeps no count."""

    origin: str
    counts: bool = True
    credentials: dict[bytes, SoftCredential] = field(default_factory=dict)

    def clone(self) -> SoftAuthenticator:
        """The same keys and counters copied to another device (what a cloned key is)."""
        return copy.deepcopy(self)

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin}
        return json.dumps({**data, "crossOrigin": False}).encode()

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        reuse: SoftCredential | None = None,
    ) -> dict[str, Any]:
        """navigator.credentials.create(): a new credential (or `reuse`'s, to test that the
        server refuses a credential id it knows), as JSON."""
        relying_party = rp_id or options["rp"]["id"]
        credential = reuse or SoftCredential(
            credential_id=secrets.token_bytes(32),
            key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=relying_party,
            user_handle=from_b64url(options["user"]["id"]),
        )
        excluded = {from_b64url(c["id"]) for c in options.get("excludeCredentials", [])}
        if credential.credential_id in excluded:
            raise ValueError("InvalidStateError: this authenticator holds an excluded credential")
        self.credentials[credential.credential_id] = credential
        attested = (
            AAGUID
            + struct.pack(">H", len(credential.credential_id))
            + credential.credential_id
            + credential.cose_key()
        )
        auth_data = self._auth_data(relying_party, USER_PRESENT | USER_VERIFIED | ATTESTED_DATA,
                                    credential.sign_count) + attested  # fmt: skip
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal", "hybrid"],
            },
        }

    @staticmethod
    def _auth_data(rp_id: str, flags: int, sign_count: int) -> bytes:
        rp_id_hash = hashlib.sha256(rp_id.encode()).digest()
        return rp_id_hash + bytes([flags]) + struct.pack(">I", sign_count)

    def _chosen(self, options: dict[str, Any], rp_id: str) -> SoftCredential:
        allowed = [from_b64url(c["id"]) for c in options.get("allowCredentials", [])]
        for credential in self.credentials.values():
            if credential.rp_id == rp_id and (not allowed or credential.credential_id in allowed):
                return credential
        raise LookupError("NotAllowedError: no credential of this authenticator is allowed")

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        credential: SoftCredential | None = None,
    ) -> dict[str, Any]:
        """navigator.credentials.get(): an assertion by an allowed credential, as JSON."""
        relying_party = rp_id or options["rpId"]
        chosen = credential or self._chosen(options, options["rpId"])
        if self.counts:
            chosen.sign_count += 1
        auth_data = self._auth_data(relying_party, USER_PRESENT | USER_VERIFIED,
                                    chosen.sign_count)  # fmt: skip
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = chosen.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(chosen.credential_id),
            "rawId": b64url(chosen.credential_id),
            "type": "public-key",
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(chosen.user_handle),
            },
        }
