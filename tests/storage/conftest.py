"""Storage fixtures: every storage test runs on SQLite and on a throwaway PostgreSQL server."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from referral import create_app
from referral.config import Settings
from referral.db import MIGRATIONS_DIR, Database, get_db
from referral.services import users
from referral.services.intake import load_identity_form
from referral.vault import provision_keys
from tests.conftest import DEMO_GUIDELINES, PROJECT_ROOT
from tests.pg_server import INSTALL_HINT, PgServer, start_server

OWNER, APP_ROLE = "referral_owner", "referral_app"
_databases = itertools.count(1)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Argon2id with tiny parameters: the rules are tested, not the cost."""
    monkeypatch.setattr(users, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def pg_server():
    try:
        server = start_server()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - say what to do, whatever broke
        pytest.fail(f"the test PostgreSQL server did not start ({exc}); {INSTALL_HINT}")
    server.psql(f"CREATE ROLE {OWNER} LOGIN; CREATE ROLE {APP_ROLE} LOGIN;")
    yield server
    server.stop()


def new_pg_database(server: PgServer) -> str:
    name = f"referral_test_{next(_databases)}"
    server.psql(f"CREATE DATABASE {name} OWNER {OWNER}")
    return name


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def store_settings(backend, tmp_path: Path, request) -> Settings:
    """Settings for a fresh store on ``backend``, with keys and the demonstration guidelines (country XD)."""
    settings = Settings(env="testing", data_dir=tmp_path / "data", secret_key="test-" + "x" * 40,
                        guidelines_dir=DEMO_GUIDELINES, forms_dir=PROJECT_ROOT / "forms")
    if backend == "postgres":
        server = request.getfixturevalue("pg_server")
        name = new_pg_database(server)
        settings = settings.with_overrides(database_url_override=server.url(APP_ROLE, name),
                                           database_admin_url=server.url(OWNER, name))
    provision_keys(settings.keys_dir, settings.kek_file)
    return settings


@pytest.fixture
def store_app(store_settings):
    app = create_app(store_settings)
    get_db(app).upgrade()
    yield app
    get_db(app).dispose()


@pytest.fixture
def form():
    return load_identity_form(PROJECT_ROOT / "forms")


def migrate(database: Database, action, revision: str) -> None:  # noqa: ANN001 - alembic's command.upgrade or downgrade
    """Run one Alembic command up or down to ``revision`` on ``database`` (the migration tests)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config, revision)
