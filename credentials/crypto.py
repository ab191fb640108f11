"""Issuer private keys at rest: AES-256-GCM under a key derived from the setting
`CREDENTIALS_ENCRYPTION_KEY` (any long random string; production requires it).

Stored form: version byte, 4-byte fingerprint of the wrapping key, 12-byte nonce,
ciphertext + tag. The issuer's entity id and the key id are the associated data, so a
ciphertext copied onto another row does not decrypt. The fingerprint lets a wrong or
changed setting fail with a sentence saying so rather than a bare authentication error.
"""

import hashlib
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = b"\x01"
MIN_SECRET_LENGTH = 32


class KeyDecryptionError(Exception):
    pass


@lru_cache(maxsize=4)
def _wrapping_key(secret: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"badges issuer signing keys v1"
    ).derive(secret.encode("utf-8"))


def _current_key() -> bytes:
    secret = getattr(settings, "CREDENTIALS_ENCRYPTION_KEY", "") or ""
    if len(secret) < MIN_SECRET_LENGTH:
        raise ImproperlyConfigured(
            f"CREDENTIALS_ENCRYPTION_KEY must be set to a random string of at least "
            f"{MIN_SECRET_LENGTH} characters: it encrypts the issuers' signing keys."
        )
    return _wrapping_key(secret)


def _fingerprint(key: bytes) -> bytes:
    return hashlib.sha256(b"fingerprint" + key).digest()[:4]


def encrypt(plaintext: bytes, *, context: str) -> bytes:
    key = _current_key()
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext, context.encode("utf-8"))
    return VERSION + _fingerprint(key) + nonce + sealed


def decrypt(stored: bytes, *, context: str) -> bytes:
    stored = bytes(stored)
    key = _current_key()
    if stored[:1] != VERSION:
        raise KeyDecryptionError("The stored signing key is in an unknown format.")
    if stored[1:5] != _fingerprint(key):
        raise KeyDecryptionError(
            "The signing key was encrypted with another CREDENTIALS_ENCRYPTION_KEY."
        )
    try:
        return AESGCM(key).decrypt(stored[5:17], stored[17:], context.encode("utf-8"))
    except InvalidTag:
        raise KeyDecryptionError("The stored signing key is damaged or not this row's.") from None
