"""The identity form (forms/identity.yaml): which fields exist, how each is checked, which agency needs which.

Error messages name the field and the rule, never the value: the value is personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

FIELD_TYPES = ("text", "multiline", "date", "phone")
ALL = "all"


class IdentityInvalid(ValueError):
    """Identity data that does not fit the form; ``problems`` lists (field, rule) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {rule}" for name, rule in problems))


@dataclass(frozen=True)
class IdentityField:
    name: str
    label: str
    type: str
    sensitivity: str
    needed_by: frozenset[str] | None  # None: every destination kind
    max_length: int = 200
    pattern: re.Pattern[str] | None = None
    required: bool = False
    help: str = ""

    def check(self, value: object) -> str | None:
        """The rule ``value`` breaks, or None."""
        if not isinstance(value, str):
            return "must be text"
        if len(value) > self.max_length:
            return f"longer than {self.max_length} characters"
        if self.type != "multiline" and any(ch in value for ch in "\r\n"):
            return "must be one line"
        if self.type == "date" and value:
            try:
                date.fromisoformat(value)
            except ValueError:
                return "must be a date written YYYY-MM-DD"
        if self.pattern is not None and value and not self.pattern.fullmatch(value):
            return "has characters this field does not take"
        return None


@dataclass(frozen=True)
class IdentityForm:
    fields: Mapping[str, IdentityField]

    def clean(self, identity: Mapping[str, object]) -> dict[str, str]:
        """Check every field; drop empty ones; raise IdentityInvalid naming each field that is wrong."""
        problems = [(str(name), "is not a field of forms/identity.yaml") for name in identity
                    if name not in self.fields]
        out: dict[str, str] = {}
        for name, spec in self.fields.items():
            value = identity.get(name)
            if value is None or value == "":
                if spec.required:
                    problems.append((name, "is required"))
                continue
            rule = spec.check(value)
            if rule:
                problems.append((name, rule))
            else:
                out[name] = value.strip() if spec.type != "multiline" else value
        if problems:
            raise IdentityInvalid(problems)
        return out

    def needed_for(self, kinds: Iterable[str]) -> set[str]:
        """The fields that a referral standing for these destination kinds carries."""
        kinds = set(kinds)
        return {name for name, spec in self.fields.items() if spec.needed_by is None or spec.needed_by & kinds}


def _field(name: str, raw: Mapping[str, object]) -> IdentityField:
    kind = raw.get("type", "text")
    if kind not in FIELD_TYPES:
        raise ValueError(f"forms/identity.yaml: field {name}: type must be one of {', '.join(FIELD_TYPES)}")
    rules = raw.get("validation") or {}
    needed = raw.get("needed_by", ALL)
    pattern = rules.get("pattern")
    return IdentityField(
        name=name, label=str(raw.get("label", name)), type=kind, help=str(raw.get("help", "")),
        sensitivity=str(raw.get("sensitivity", "identifying")),
        needed_by=None if needed == ALL else frozenset(needed),
        max_length=int(rules.get("max_length", 200)), required=bool(rules.get("required", False)),
        pattern=re.compile(pattern) if pattern else None,
    )


@lru_cache(maxsize=8)
def load_identity_form(forms_dir: Path) -> IdentityForm:
    """Read forms/identity.yaml once per folder."""
    raw = yaml.safe_load((Path(forms_dir) / "identity.yaml").read_text(encoding="utf-8"))
    return IdentityForm({name: _field(name, spec) for name, spec in (raw.get("fields") or {}).items()})
