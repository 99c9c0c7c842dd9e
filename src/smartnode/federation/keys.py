"""Key generation and at-rest encryption of private keys (pure: no I/O)."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from smartnode.errors import ConfigError

RSA_BITS = 2048


def generate_rsa_keypair() -> tuple[str, str]:
    """A fresh RSA-2048 key pair as (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def _fernet(secret: bytes) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"smartnode private keys v1"
    ).derive(secret)
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_private_key(private_pem: str, secret: bytes) -> str:
    """Encrypt a PEM for storage (Fernet: AES-128-CBC + HMAC-SHA256, key derived by HKDF)."""
    return _fernet(secret).encrypt(private_pem.encode()).decode()


def decrypt_private_key(token: str, secret: bytes) -> str:
    """Decrypt a stored private key; a wrong secret is a configuration error."""
    try:
        return _fernet(secret).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ConfigError(
            "cannot decrypt a stored private key: SMARTNODE_SECRET_KEY differs from the one "
            "used when the key was created"
        ) from None


def load_private_key(private_pem: str) -> rsa.RSAPrivateKey:
    """Parse a PEM private key (RSA only for our own actors).

    The key is one we generated and stored encrypted (Fernet authenticates it), so the
    consistency checks of its numbers, which cost milliseconds per key, are skipped."""
    key = serialization.load_pem_private_key(
        private_pem.encode(), password=None, unsafe_skip_rsa_key_validation=True
    )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError("stored private key is not RSA")
    return key
