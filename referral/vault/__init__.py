"""The vault: the only code that touches key material (and the only importer of ``cryptography``).

Everything else asks it, by domain name, to seal or open a case payload, seal a referral to an agency, shred,
rotate or sign. It fails closed: ``Vault.from_settings`` raises when a key is missing or readable by others,
and ``create_app`` lets that stop the start.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from . import envelope, keys
from .errors import KeyDestroyed, KeyFileUnsafe, KeyMissing, SealedDataInvalid, VaultError
from .signing import CHECKPOINT_CONTEXT, SLIP_CONTEXT, Signer

__all__ = ["KeyDestroyed", "KeyFileUnsafe", "KeyMissing", "SealedCase", "SealedDataInvalid", "Vault",
           "VaultError", "provision_keys"]

_HPKE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
_REFERRAL_INFO = b"referral/agency-referral/v1\x00"


@dataclass(frozen=True)
class SealedCase:
    payload: bytes
    wrapped_key: bytes
    kek_id: str


def _to_json(payload: Mapping[str, object]) -> bytes:
    def default(value: object) -> object:
        if isinstance(value, frozenset | set | tuple):
            return sorted(value)
        raise TypeError(f"cannot seal a {type(value).__name__}")

    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=default).encode("utf-8")


def provision_keys(keys_dir: Path, kek_file: Path, kek_from_env: str = "") -> list[str]:
    """Create the missing installation keys (KEK, signing key); return what was created."""
    return keys.provision(keys_dir, kek_file, kek_from_env)


class Vault:
    """Seal, open, shred, rotate and sign with the installation's keys."""

    def __init__(self, keyring: keys.KeyRing, signer: Signer, keys_dir: Path, kek_file: Path,
                 kek_from_env: bool = False) -> None:
        self._keyring = keyring
        self._signer = signer
        self.keys_dir = keys_dir
        self._kek_file = kek_file
        self._kek_from_env = kek_from_env
        self._stamp = self._file_stamp()
        self._checked = time.monotonic()

    @classmethod
    def load(cls, keys_dir: Path, kek_file: Path, kek_from_env: str = "") -> Vault:
        """Load every key or raise KeyMissing / KeyFileUnsafe: no key, no start."""
        keyring = keys.load_keyring(keys_dir, kek_file, kek_from_env)
        signer = Signer(keys.load_signing_key(keys_dir))
        return cls(keyring, signer, keys_dir, kek_file, bool(kek_from_env))

    @property
    def current_kek_id(self) -> str:
        return self._keyring.current

    # -- case payloads ------------------------------------------------------------------------------------------

    def seal_case_payload(self, case_id: str, seal_count: int, payload: Mapping[str, object]) -> SealedCase:
        """Seal a case's identifying data under a fresh data key, wrapped by the current KEK."""
        self._refresh()
        data_key = envelope.new_data_key()
        sealed = envelope.seal(data_key, _to_json(payload), envelope.payload_ad(case_id, seal_count))
        kek = self._keyring.keys[self._keyring.current]
        return SealedCase(sealed, envelope.wrap_key(kek, data_key, case_id), self._keyring.current)

    def open_case_payload(self, case_id: str, seal_count: int, sealed: bytes | None, wrapped_key: bytes | None,
                          kek_id: str | None) -> dict[str, object]:
        """Open a sealed payload; KeyDestroyed after erasure, SealedDataInvalid on any tampering."""
        if wrapped_key is None or sealed is None:
            raise KeyDestroyed()
        kek = self._keyring.get(kek_id or "")
        if kek is None:
            self._refresh()
            kek = self._keyring.get(kek_id or "")
        if kek is None:
            raise SealedDataInvalid("the case's data key")
        data_key = envelope.unwrap_key(kek, bytes(wrapped_key), case_id)
        plain = envelope.open_sealed(data_key, bytes(sealed), envelope.payload_ad(case_id, seal_count),
                                     "the case record")
        return json.loads(plain)

    # -- key rotation -------------------------------------------------------------------------------------------

    def begin_rotation(self) -> str:
        """Create (or resume) the next KEK; return its id. Both KEKs open cases until ``end_rotation``."""
        if self._kek_from_env:
            raise VaultError("the KEK comes from REFERRAL_KEK: rotate it where it is stored, then re-wrap "
                             "with REFERRAL_KEK_FILE")
        nxt = keys.start_rotation(self._kek_file)
        self._keyring.keys[keys.kek_id(nxt)] = nxt
        return keys.kek_id(nxt)

    def rewrap(self, rows: Iterable[tuple[str, bytes, str]], target: str) -> Iterator[tuple[str, bytes]]:
        """For each (case id, wrapped key, KEK id), the key wrapped under KEK ``target``."""
        new = self._keyring.keys[target]
        for case_id, wrapped, old_id in rows:
            if old_id == target:
                continue
            old = self._keyring.get(old_id)
            if old is None:
                raise SealedDataInvalid("the case's data key")
            yield case_id, envelope.wrap_key(new, envelope.unwrap_key(old, bytes(wrapped), case_id), case_id)

    def end_rotation(self, target: str) -> None:
        """Make ``target`` the current KEK: the old key's file is replaced (kept in memory for a last sweep)."""
        keys.finish_rotation(self._kek_file)
        self._keyring.current = target
        self._stamp = self._file_stamp()

    def forget_old_keks(self) -> None:
        current = self._keyring.current
        self._keyring = keys.KeyRing(current=current, keys={current: self._keyring.keys[current]})

    def _file_stamp(self) -> tuple:
        if self._kek_from_env:
            return ()
        try:
            info = self._kek_file.stat()
        except FileNotFoundError:
            return ()
        return (info.st_ino, info.st_mtime_ns, self._kek_file.with_name(keys.NEXT_KEK_FILE).exists())

    def _refresh(self) -> None:
        """Pick up a rotation finished by another process, so no new case is wrapped under a retired KEK.

        Looks at the key files at most every 0.2 s: a stat per seal would cost more than the sealing.
        """
        moment = time.monotonic()
        if moment - self._checked < 0.2:
            return
        self._checked = moment
        stamp = self._file_stamp()
        if stamp != self._stamp:
            self._keyring = keys.load_keyring(self.keys_dir, self._kek_file)
            self._stamp = stamp

    # -- agencies -----------------------------------------------------------------------------------------------

    def new_agency_key(self) -> tuple[bytes, str]:
        """A key pair for an agency: the private half stays in the keys folder; (public key, fingerprint)."""
        return keys.new_agency_key(self.keys_dir)

    @staticmethod
    def fingerprint(public_key: bytes) -> str:
        return keys.fingerprint(public_key)

    def seal_for_agency(self, public_key: bytes, referral_id: str, payload: Mapping[str, object]) -> bytes:
        """Seal a referral's payload so that only the holder of the agency's private key can open it."""
        recipient = X25519PublicKey.from_public_bytes(bytes(public_key))
        return _HPKE.encrypt(_to_json(payload), recipient, info=_REFERRAL_INFO + referral_id.encode("ascii"))

    def open_as_agency(self, agency_fingerprint: str, referral_id: str, sealed: bytes) -> dict[str, object]:
        private = keys.load_agency_private_key(self.keys_dir, agency_fingerprint)
        try:
            plain = _HPKE.decrypt(bytes(sealed), private, info=_REFERRAL_INFO + referral_id.encode("ascii"))
        except Exception:  # noqa: BLE001 - any failure is the same to the caller: it does not open
            raise SealedDataInvalid("the referral") from None
        return json.loads(plain)

    # -- signatures ---------------------------------------------------------------------------------------------

    @property
    def signing_public_key(self) -> bytes:
        return self._signer.public_key

    def sign_slip(self, data: bytes) -> bytes:
        return self._signer.sign(SLIP_CONTEXT, data)

    def verify_slip(self, data: bytes, signature: bytes, public_key: bytes | None = None) -> bool:
        return self._signer.verify(SLIP_CONTEXT, data, signature, public_key)

    def sign_checkpoint(self, data: bytes) -> bytes:
        return self._signer.sign(CHECKPOINT_CONTEXT, data)

    def verify_checkpoint(self, data: bytes, signature: bytes) -> bool:
        return self._signer.verify(CHECKPOINT_CONTEXT, data, signature)


def init_app(app) -> Vault:  # noqa: ANN001 - a Flask app; the vault does not import Flask
    """Load the vault for ``app`` (or stop the start) and keep it in ``app.extensions['vault']``."""
    settings = app.extensions["referral.settings"]
    vault = Vault.load(settings.keys_dir, settings.kek_file, settings.kek_from_env)
    app.extensions["vault"] = vault
    return vault
