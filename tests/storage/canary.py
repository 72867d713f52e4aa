"""The canary kit (SECURITY.md): unique markers in every identifying field, and a search of raw bytes for them.

Every marker carries a unique 16-hex-digit core, written with a Latin, Cyrillic or Arabic-script prefix. The
search looks at each file as it is, decoded from UTF-16LE (both alignments), with every base64-looking run
decoded (all four alignments), URL-decoded and JSON-unescaped, and in each view looks for any core, phone
number or date of birth of the kit.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import urllib.parse
from collections.abc import Iterable
from pathlib import Path

PREFIXES = ("cnry-", "кнры-", "كناري-")
_HEX = re.compile(rb"[0-9a-f]{16}")
_PHONE = re.compile(rb"9\d{11}")
_DATE = re.compile(rb"19[0-4]\d-[01]\d-[0-3]\d")
_B64_RUN = re.compile(rb"[A-Za-z0-9+/]{20,}={0,2}")
_JSON_ESCAPE = re.compile(rb"\\u([0-9a-fA-F]{4})")


class CanaryKit:
    def __init__(self) -> None:
        self.cores: set[bytes] = set()
        self.phones: set[bytes] = set()
        self.dates: set[bytes] = set()
        self.secrets: list[bytes] = []  # key material that must not show either (P-03)

    def marker(self, script: int) -> str:
        core = secrets.token_hex(8)
        self.cores.add(core.encode())
        return PREFIXES[script % len(PREFIXES)] + core

    def identity(self, number: int) -> dict[str, str]:
        phone = "9" + "".join(secrets.choice("0123456789") for _ in range(11))
        self.phones.add(phone.encode())
        dob = f"19{number % 45 + 1:02d}-{number % 12 + 1:02d}-{number % 28 + 1:02d}"
        self.dates.add(dob.encode())
        return {
            "given_name": self.marker(0),
            "family_name": self.marker(1),
            "date_of_birth": dob,
            "document_number": "N" + self.marker(0),
            "phone": "+" + phone,
            "nationality": self.marker(2),
            "notes": f"{self.marker(2)} / {self.marker(1)} / {self.marker(0)}\nsecond line",
        }

    def add_secret(self, raw: bytes) -> None:
        self.secrets.extend([raw, raw.hex().encode(), base64.b64encode(raw)])

    def hits_in(self, data: bytes) -> list[str]:
        hits = []
        for view_name, view in _views(data):
            hits += [f"{view_name}: marker" for m in _HEX.findall(view) if m in self.cores]
            hits += [f"{view_name}: phone" for m in _PHONE.findall(view) if m in self.phones]
            hits += [f"{view_name}: date of birth" for m in _DATE.findall(view) if m in self.dates]
        hits += ["key material" for s in self.secrets if s in data]
        return hits

    def scan(self, paths: Iterable[Path]) -> dict[str, list[str]]:
        found = {}
        for path in paths:
            if path.is_file():
                hits = self.hits_in(path.read_bytes())
                if hits:
                    found[str(path)] = sorted(set(hits))
        return found


def _views(data: bytes):  # noqa: ANN202
    yield "raw", data
    for offset in (0, 1):
        yield "utf-16le", data[offset:].decode("utf-16-le", errors="replace").encode("utf-8", errors="replace")
    decoded = []
    for run in _B64_RUN.findall(data):
        for start in range(4):
            chunk = run[start:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            try:
                decoded.append(base64.b64decode(chunk))
            except (binascii.Error, ValueError):
                continue
    yield "base64", b"\n".join(decoded)
    if b"%" in data:
        yield "url-encoded", urllib.parse.unquote_to_bytes(data)
    if b"\\u" in data:
        yield "json-escaped", _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)).encode("utf-8", "replace"), data)


def every_file(*roots: Path) -> list[Path]:
    out = []
    for root in roots:
        if root.is_file():
            out.append(root)
        elif root.is_dir():
            out += [p for p in root.rglob("*") if p.is_file()]
    return out


def self_test(kit: CanaryKit, identity: dict[str, str]) -> None:
    """The search must find the kit in every encoding it claims to cover."""
    text = json.dumps(identity, ensure_ascii=False)
    for form in (text.encode("utf-8"), text.encode("utf-16-le"), b"x" + text.encode("utf-16-le"),
                 base64.b64encode(text.encode()), b"ab" + base64.b64encode(b"z" + text.encode()),
                 urllib.parse.quote(text).encode(), json.dumps(identity).encode()):
        assert kit.hits_in(form), f"the canary search misses {form[:40]!r}"
