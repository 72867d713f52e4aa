"""Shared fixtures: settings in a temporary data folder, the app, its test client and command runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from referral import create_app
from referral.config import PROJECT_ROOT, Settings  # noqa: F401 - PROJECT_ROOT is used by tests
from referral.vault import provision_keys

GUIDELINES = PROJECT_ROOT / "guidelines"
DEMO_GUIDELINES = GUIDELINES / "demo"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(env="testing", data_dir=tmp_path / "data", secret_key="test-" + "x" * 40)
    provision_keys(settings.keys_dir, settings.kek_file)  # the app refuses to start without its keys
    return settings


def ready_app(settings: Settings):
    """An app whose database schema is up to date, as `referral init` leaves it."""
    from referral.db import get_db

    app = create_app(settings)
    get_db(app).upgrade()
    return app


@pytest.fixture
def app(settings: Settings):
    from referral.db import get_db

    app = ready_app(settings)
    yield app
    get_db(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()
