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


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()
