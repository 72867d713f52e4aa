"""Ed25519 signatures: referral slips, and checkpoints of the audit chain's head."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SLIP_CONTEXT = b"referral/slip/v1\x00"
CHECKPOINT_CONTEXT = b"referral/audit-checkpoint/v1\x00"


class Signer:
    """Signs with the installation's key; verifies with any public key given as raw bytes."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def sign(self, context: bytes, data: bytes) -> bytes:
        return self._key.sign(context + data)

    def verify(self, context: bytes, data: bytes, signature: bytes, public_key: bytes | None = None) -> bool:
        key = Ed25519PublicKey.from_public_bytes(public_key or self.public_key)
        try:
            key.verify(bytes(signature), context + data)
        except (InvalidSignature, ValueError):
            return False
        return True
