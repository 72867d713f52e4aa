"""Key material on disk: the key-encryption key (KEK), the slip signing key and agencies' private keys.

Every key is a file of mode 0600 holding one base64 line, in the keys folder (``Settings.keys_dir``), never in
the database. The KEK may instead come from the environment (``REFERRAL_KEK``, base64), for hosts that inject
secrets that way. A KEK is known by an id derived from it, stored next to each wrapped data key, so that a key
rotation interrupted half-way still opens every case: the vault holds the current KEK and, while a rotation is
under way, the next one (``kek.next``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from .errors import KeyFileUnsafe, KeyMissing

KEK_FILE = "kek"
NEXT_KEK_FILE = "kek.next"
SIGNING_FILE = "signing.key"
AGENCY_DIR = "agencies"
KEY_BYTES = 32


def kek_id(key: bytes) -> str:
    """A short public name for a KEK (a hash of it, so it says nothing usable about the key)."""
    return hashlib.sha256(b"referral/kek-id/v1\x00" + key).hexdigest()[:16]


def fingerprint(public_key: bytes) -> str:
    """The fingerprint of an agency's (or the signing) public key, as pinned in pathway files."""
    return hashlib.sha256(public_key).hexdigest()


@dataclass
class KeyRing:
    """The KEKs the vault may unwrap with; ``current`` is the one new data keys are wrapped with."""

    current: str
    keys: dict[str, bytes] = field(repr=False)

    def get(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)


def read_key_file(path: Path, length: int = KEY_BYTES) -> bytes:
    """Read one key file; refuse it unless only its owner can read it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        raise KeyMissing(f"no key file at {path}: run `referral init` to create the keys") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileUnsafe(f"{path} has mode {stat.S_IMODE(mode):04o}; it must be 0600 (chmod 600 {path})")
    return _decode(path.read_text(encoding="ascii").strip(), length, str(path))


def _decode(text: str, length: int, where: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyMissing(f"{where} does not hold a base64 key") from exc
    if len(raw) != length:
        raise KeyMissing(f"{where} holds a key of {len(raw)} bytes, not {length}")
    return raw


def write_key_file(path: Path, key: bytes, replace: bool = False) -> None:
    """Write a key as a 0600 file, durably; never overwrite unless ``replace`` (then atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = path.with_name(path.name + ".tmp") if replace else path
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    if replace and target.exists():
        target.unlink()
    fd = os.open(target, flags, 0o600)
    try:
        os.write(fd, base64.b64encode(key) + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    if replace:
        os.replace(target, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_keyring(keys_dir: Path, kek_file: Path, kek_from_env: str = "") -> KeyRing:
    """The current KEK (environment first, else the file) and, mid-rotation, the next one."""
    if kek_from_env:
        current = _decode(kek_from_env.strip(), KEY_BYTES, "REFERRAL_KEK")
    else:
        current = read_key_file(kek_file)
    keys = {kek_id(current): current}
    pending = kek_file.with_name(NEXT_KEK_FILE)
    if not kek_from_env and pending.exists():
        nxt = read_key_file(pending)
        keys[kek_id(nxt)] = nxt
    return KeyRing(current=kek_id(current), keys=keys)


def load_signing_key(keys_dir: Path) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(read_key_file(keys_dir / SIGNING_FILE))


def provision(keys_dir: Path, kek_file: Path, kek_from_env: str = "") -> list[str]:
    """Create whichever of the KEK and the signing key is missing; return what was created."""
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    created = []
    if not kek_from_env and not kek_file.exists():
        write_key_file(kek_file, os.urandom(KEY_BYTES))
        created.append("key-encryption key")
    if not (keys_dir / SIGNING_FILE).exists():
        seed = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        write_key_file(keys_dir / SIGNING_FILE, seed)
        created.append("slip signing key")
    return created


def new_kek() -> bytes:
    return os.urandom(KEY_BYTES)


def start_rotation(kek_file: Path) -> bytes:
    """Write the next KEK beside the current one (or reuse one left by an interrupted rotation)."""
    pending = kek_file.with_name(NEXT_KEK_FILE)
    if pending.exists():
        return read_key_file(pending)
    key = new_kek()
    write_key_file(pending, key)
    return key


def finish_rotation(kek_file: Path) -> None:
    """Make the next KEK the current one; the old KEK's file is gone after this."""
    pending = kek_file.with_name(NEXT_KEK_FILE)
    os.replace(pending, kek_file)
    _fsync_dir(kek_file.parent)


def new_agency_key(keys_dir: Path) -> tuple[bytes, str]:
    """Generate an agency key pair; keep the private half in the keys folder; return (public key, fingerprint)."""
    private = X25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    write_key_file(keys_dir / AGENCY_DIR / f"{fingerprint(public)[:32]}.key", raw)
    return public, fingerprint(public)


def load_agency_private_key(keys_dir: Path, agency_fingerprint: str) -> X25519PrivateKey:
    path = keys_dir / AGENCY_DIR / f"{agency_fingerprint[:32]}.key"
    return X25519PrivateKey.from_private_bytes(read_key_file(path))
