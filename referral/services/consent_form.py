"""The consent form (forms/consent.yaml): what the official reads to the person, per destination kind.

The rules themselves (a child, life at risk) are the engine's ``mandatory_when`` in guidelines/facts.yaml; this
file holds only the words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

_KEYS = {"introduction", "rules", "children", "mandatory", "destinations"}


@dataclass(frozen=True)
class ConsentText:
    text: str = ""  # for the official
    statement: str = ""  # for the person, in the person's language


@dataclass(frozen=True)
class ConsentForm:
    introduction: ConsentText
    rules: tuple[str, ...]
    children: ConsentText
    mandatory: ConsentText
    destinations: Mapping[str, ConsentText]

    def statement(self, kind: str) -> str:
        return self.destinations.get(kind, ConsentText()).statement


def _text(raw: object, where: str) -> ConsentText:
    if raw is None:
        return ConsentText()
    if not isinstance(raw, dict) or set(raw) - {"text", "statement"}:
        raise ValueError(f"forms/consent.yaml: {where} takes `text` and `statement` only")
    return ConsentText(str(raw.get("text") or "").strip(), str(raw.get("statement") or "").strip())


@lru_cache(maxsize=8)
def load_consent_form(forms_dir: Path) -> ConsentForm:
    """Read forms/consent.yaml once per folder; a key the format does not have is an error."""
    raw = yaml.safe_load((Path(forms_dir) / "consent.yaml").read_text(encoding="utf-8")) or {}
    unknown = set(raw) - _KEYS
    if unknown:
        raise ValueError(f"forms/consent.yaml: unknown keys {sorted(unknown)}")
    return ConsentForm(
        introduction=_text(raw.get("introduction"), "introduction"),
        rules=tuple(str(rule).strip() for rule in raw.get("rules") or ()),
        children=_text(raw.get("children"), "children"),
        mandatory=_text(raw.get("mandatory"), "mandatory"),
        destinations={str(kind): _text(spec, f"destinations/{kind}")
                      for kind, spec in (raw.get("destinations") or {}).items()},
    )
