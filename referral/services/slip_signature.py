"""Authentic slips: an Ed25519 signature (the vault's key) over the whole PDF, carried inside it, and short codes.

The signature block (format v1) is one uncompressed stream object of the PDF, referenced from the document
catalogue as ``/BRTSlipSignature``. Its content is ASCII and holds no personal data::

    %BRT-SLIP-SIGNATURE v1
    deployment-key: <the signing deployment's Ed25519 public key, 64 hex>
    referral: <the referral id>
    data-signature: <signature of the slip's canonical data, 128 hex>
    pdf-signature: <signature of the whole file as written with this value set to 128 zeros, 128 hex>

``pdf-signature`` covers every byte of the file except its own 128 characters, the rest of the block included:
any changed, added or removed byte fails the check, and so does a file that carries the block twice. Whether the
slip is *genuine* is a second question: the key in the block must be one the verifier trusts (its own
deployment's, or one given to it), since anybody can sign a file with a key of their own.

The codes printed on paper come from signatures too, so only the deployment can make them:
- the *verification code* (in the QR code) is derived from the signature of the canonical data;
- the *acknowledgement code*, which an agency off the system reads back by phone, from a signature of the
  referral id.
Each signature has its own prefix (``data``, ``pdf``, ``ack``) on top of the vault's slip context.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass

MARKER = b"%BRT-SLIP-SIGNATURE v1\n"
_PDF_FIELD = b"pdf-signature: "
_SIGNATURE_HEX = 128
_PLACEHOLDER = b"0" * _SIGNATURE_HEX
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read aloud over a bad phone line
CODE_LENGTH = 8


class SignatureError(ValueError):
    """The signature block could not be made or placed."""


def data_message(canonical: bytes) -> bytes:
    return b"data\x00" + canonical


def pdf_message(pdf_without_signature: bytes) -> bytes:
    return b"pdf\x00" + pdf_without_signature


def ack_message(referral_id: str) -> bytes:
    return b"ack\x00" + referral_id.encode("ascii")


def key_fingerprint(public_key: bytes) -> str:
    """The deployment's key as people compare it: SHA-256 of the raw key, first 16 hex digits in groups of 4."""
    digest = hashlib.sha256(public_key).hexdigest()[:16]
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))


def short_code(material: bytes, salt: bytes) -> str:
    """Eight characters of CODE_ALPHABET from ``material``, shown as XXXX-XXXX."""
    number = int.from_bytes(hashlib.sha256(salt + material).digest(), "big")
    chars = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


def verification_code(data_signature: bytes) -> str:
    return short_code(data_signature, b"verification\x00")


def acknowledgement_code(ack_signature: bytes) -> str:
    return short_code(ack_signature, b"acknowledgement\x00")


def same_code(typed: str, expected: str) -> bool:
    """Compare a code typed by a person (any case, spaces or dashes) with the expected one in constant time."""
    cleaned = "".join(ch for ch in typed.upper() if ch.isalnum())
    return hmac.compare_digest(cleaned.encode("ascii", "replace"), expected.replace("-", "").encode("ascii"))


def signature_block(public_key: bytes, referral_id: str, data_signature: bytes) -> bytes:
    """The block to embed, with the PDF signature still a row of zeros."""
    if not referral_id.isalnum():
        raise SignatureError("a referral id is letters and digits only")
    return (MARKER + b"deployment-key: " + public_key.hex().encode("ascii") + b"\n"
            + b"referral: " + referral_id.encode("ascii") + b"\n"
            + b"data-signature: " + data_signature.hex().encode("ascii") + b"\n"
            + _PDF_FIELD + _PLACEHOLDER + b"\n")


def _placeholder_span(pdf: bytes) -> tuple[int, int]:
    """Where the 128 characters of the PDF signature are; SignatureError unless there is exactly one block."""
    start = pdf.find(MARKER)
    if start < 0 or pdf.find(MARKER, start + 1) >= 0:
        raise SignatureError("the file must carry exactly one slip signature block")
    field = pdf.find(_PDF_FIELD, start)
    if field < 0 or field - start > 1024:
        raise SignatureError("the slip signature block is incomplete")
    begin = field + len(_PDF_FIELD)
    return begin, begin + _SIGNATURE_HEX


def sign_pdf(pdf: bytes, sign: Callable[[bytes], bytes]) -> bytes:
    """Fill in the PDF signature of a file written with a block from ``signature_block``."""
    begin, end = _placeholder_span(pdf)
    if pdf[begin:end] != _PLACEHOLDER:
        raise SignatureError("this file is signed already")
    signature = sign(pdf_message(pdf))
    return pdf[:begin] + signature.hex().encode("ascii") + pdf[end:]


@dataclass(frozen=True)
class SlipCheck:
    """What a check of a slip file found. ``genuine`` is the one answer that matters."""

    found: bool
    untouched: bool = False
    trusted: bool = False
    public_key: bytes = b""
    referral_id: str = ""
    data_signature: bytes = b""
    problem: str = ""

    @property
    def genuine(self) -> bool:
        return self.found and self.untouched and self.trusted

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.public_key) if self.public_key else ""

    @property
    def verification_code(self) -> str:
        return verification_code(self.data_signature) if self.data_signature else ""


def _fields(pdf: bytes, start: int) -> dict[bytes, bytes]:
    lines = pdf[start + len(MARKER):start + 1024].split(b"\n")[:4]
    return dict(line.split(b": ", 1) for line in lines if b": " in line)


def check_pdf(pdf: bytes, verify: Callable[[bytes, bytes, bytes], bool], trusted_keys: Iterable[bytes]) -> SlipCheck:
    """Check a slip file: ``verify(message, signature, public_key)`` is the vault's Ed25519 check."""
    try:
        begin, end = _placeholder_span(pdf)
        fields = _fields(pdf, pdf.find(MARKER))
        public_key = bytes.fromhex(fields[b"deployment-key"].decode("ascii"))
        referral_id = fields[b"referral"].decode("ascii")
        data_signature = bytes.fromhex(fields[b"data-signature"].decode("ascii"))
        signature = bytes.fromhex(pdf[begin:end].decode("ascii"))
    except (SignatureError, KeyError, ValueError, UnicodeDecodeError) as exc:
        return SlipCheck(found=False, problem=str(exc) if isinstance(exc, SignatureError)
                         else "the slip signature block is damaged")
    if len(public_key) != 32 or len(signature) != 64:
        return SlipCheck(found=False, problem="the slip signature block is damaged")
    untouched = verify(pdf_message(pdf[:begin] + _PLACEHOLDER + pdf[end:]), signature, public_key)
    trusted = any(hmac.compare_digest(public_key, bytes(key)) for key in trusted_keys)
    return SlipCheck(found=True, untouched=untouched, trusted=trusted, public_key=public_key,
                     referral_id=referral_id, data_signature=data_signature)


def signed_by(pdf: bytes, verify: Callable[[bytes, bytes, bytes], bool], public_key: bytes) -> bool:
    """Whether the file's PDF signature holds under ``public_key`` (whatever key the block names)."""
    try:
        begin, end = _placeholder_span(pdf)
        signature = bytes.fromhex(pdf[begin:end].decode("ascii"))
    except (SignatureError, ValueError, UnicodeDecodeError):
        return False
    return verify(pdf_message(pdf[:begin] + _PLACEHOLDER + pdf[end:]), signature, public_key)
