"""Settings: one typed, frozen object, read once from the environment (or given by a test).

Defaults are written here; derived values are properties. Secrets are read from the environment or from files,
never written in code; outside development a missing secret stops the start instead of falling back.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "testing", "production")


class ConfigError(Exception):
    """A setting is missing or unsafe; the message says which and what to do."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    data_dir: Path = PROJECT_ROOT / "instance"
    guidelines_dir: Path = PROJECT_ROOT / "guidelines"
    forms_dir: Path = PROJECT_ROOT / "forms"
    translations_dir: Path = PROJECT_ROOT / "translations"
    database_url_override: str | None = None
    secret_key: str = field(default="", repr=False)
    default_country: str = "KZ"
    idle_timeout_minutes: int = 10
    session_max_hours: int = 8
    # The vault's keys live outside the database: a folder of 0600 files, or the KEK in the environment.
    keys_dir_override: Path | None = None
    kek_file_override: Path | None = None
    kek_from_env: str = field(default="", repr=False)
    # Migrations run as the owner role; the app's role then gets no UPDATE or DELETE on the audit trail.
    database_admin_url: str | None = None
    retention_days: int = 365
    # An open screening draft not saved for this long is shredded by the retention job: a tablet left with a
    # screening open must not keep a person's answers for ever.
    draft_max_hours: int = 24

    def __post_init__(self) -> None:
        if self.env not in ENVIRONMENTS:
            raise ConfigError(f"REFERRAL_ENV must be one of {', '.join(ENVIRONMENTS)}, not {self.env!r}")
        if self.env == "production" and len(self.secret_key) < 32:
            raise ConfigError("production needs a secret key of at least 32 characters: set "
                              "REFERRAL_SECRET_KEY_FILE to a file readable only by the service")

    @property
    def database_url(self) -> str:
        """PostgreSQL when REFERRAL_DATABASE_URL says so; otherwise SQLite in the data directory."""
        return self.database_url_override or f"sqlite:///{self.data_dir / 'referral.sqlite3'}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def keys_dir(self) -> Path:
        return self.keys_dir_override or self.data_dir / "keys"

    @property
    def kek_file(self) -> Path:
        return self.kek_file_override or self.keys_dir / "kek"

    @property
    def audit_anchor_file(self) -> Path:
        """The last signed head of the audit chain, kept outside the database."""
        return self.keys_dir / "audit-anchor"

    @property
    def tombstones_file(self) -> Path:
        """Ids of erased cases, replayed after a backup is restored (P-05); kept with the keys."""
        return self.keys_dir / "tombstones"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read REFERRAL_* variables; paths are taken as given, secrets from *_FILE where possible."""
        env = dict(os.environ if environ is None else environ)
        kind = env.get("REFERRAL_ENV", "development")
        secret = _secret(env, "REFERRAL_SECRET_KEY")
        if not secret and kind != "production":
            # Development and tests: a fresh random key per process; sessions simply do not survive a restart.
            secret = secrets.token_urlsafe(32)
        defaults = cls.__dataclass_fields__
        return cls(
            env=kind,
            data_dir=Path(env.get("REFERRAL_DATA_DIR") or defaults["data_dir"].default),
            guidelines_dir=Path(env.get("REFERRAL_GUIDELINES_DIR") or defaults["guidelines_dir"].default),
            forms_dir=Path(env.get("REFERRAL_FORMS_DIR") or defaults["forms_dir"].default),
            database_url_override=env.get("REFERRAL_DATABASE_URL") or None,
            secret_key=secret,
            default_country=(env.get("REFERRAL_COUNTRY") or "KZ").upper(),
            keys_dir_override=Path(env["REFERRAL_KEYS_DIR"]) if env.get("REFERRAL_KEYS_DIR") else None,
            kek_file_override=Path(env["REFERRAL_KEK_FILE"]) if env.get("REFERRAL_KEK_FILE") else None,
            kek_from_env=env.get("REFERRAL_KEK", ""),
            database_admin_url=env.get("REFERRAL_DATABASE_ADMIN_URL") or None,
            retention_days=_positive_int(env, "REFERRAL_RETENTION_DAYS", 365),
            draft_max_hours=_positive_int(env, "REFERRAL_DRAFT_MAX_HOURS", 24),
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1")
    return int(raw)


def _secret(env: dict[str, str], name: str) -> str:
    """A secret from NAME_FILE (preferred: it stays out of process listings) or from NAME."""
    path = env.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE points to {path}, which cannot be read: {exc.strerror}") from exc
    return env.get(name, "")
