"""Envelope encryption of case records: AES-256-GCM under a fresh data key per case.

A sealed payload is ``version || nonce || ciphertext+tag``; its associated data is the case id and the case's
seal counter, so a payload moved to another case, or an older payload put back, fails to open. The data key is
wrapped (AES-256-GCM again) under the key-encryption key with the case id as associated data, so wrapped keys
cannot be swapped between cases either. Nonces are 96 random bits from the OS; each data key seals once.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import SealedDataInvalid

FORMAT = b"\x01"
NONCE_BYTES = 12
_PAYLOAD_AD = b"referral/case-payload/v1\x00"
_WRAP_AD = b"referral/data-key/v1\x00"


def payload_ad(case_id: str, seal_count: int) -> bytes:
    return _PAYLOAD_AD + case_id.encode("ascii") + b"\x00" + str(seal_count).encode("ascii")


def wrap_ad(case_id: str) -> bytes:
    return _WRAP_AD + case_id.encode("ascii")


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    """Encrypt and authenticate ``plaintext`` under ``key``, bound to ``associated``."""
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def open_sealed(key: bytes, sealed: bytes, associated: bytes, what: str = "sealed data") -> bytes:
    """Authenticate and decrypt; any change of bytes, key or associated data raises SealedDataInvalid."""
    if not isinstance(sealed, bytes | bytearray | memoryview):
        raise SealedDataInvalid(what)
    sealed = bytes(sealed)
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[:1] != FORMAT:
        raise SealedDataInvalid(what)
    try:
        return AESGCM(key).decrypt(sealed[1:1 + NONCE_BYTES], sealed[1 + NONCE_BYTES:], associated)
    except InvalidTag:
        raise SealedDataInvalid(what) from None


def wrap_key(kek: bytes, data_key: bytes, case_id: str) -> bytes:
    return seal(kek, data_key, wrap_ad(case_id))


def unwrap_key(kek: bytes, wrapped: bytes, case_id: str) -> bytes:
    return open_sealed(kek, wrapped, wrap_ad(case_id), "the case's data key")
