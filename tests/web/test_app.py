"""The application factory and its settings."""

from __future__ import annotations

import pytest

from referral import create_app, get_settings
from referral.config import ConfigError, Settings
from tests.conftest import DEMO_GUIDELINES, ready_app


def test_the_home_page_names_the_guidelines_in_use(settings):
    app = ready_app(settings.with_overrides(guidelines_dir=DEMO_GUIDELINES))
    response = app.test_client().get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page
    assert "Demonstration - first contact at a border post" in page and "XD" in page


def test_settings_come_from_the_environment(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s" * 40 + "\n", encoding="utf-8")
    settings = Settings.from_env({"REFERRAL_DATA_DIR": str(tmp_path / "d"), "REFERRAL_ENV": "production",
                                  "REFERRAL_SECRET_KEY_FILE": str(secret), "REFERRAL_COUNTRY": "tj"})
    assert settings.data_dir == tmp_path / "d"
    assert settings.database_url == f"sqlite:///{tmp_path / 'd' / 'referral.sqlite3'}"
    assert settings.secret_key == "s" * 40 and settings.default_country == "TJ"
    url = "postgresql+psycopg://app@localhost/referral"
    assert Settings.from_env({"REFERRAL_DATABASE_URL": url}).database_url == url


def test_production_refuses_to_start_without_a_real_secret(tmp_path):
    with pytest.raises(ConfigError):
        Settings.from_env({"REFERRAL_ENV": "production"})
    with pytest.raises(ConfigError):
        Settings.from_env({"REFERRAL_ENV": "production", "REFERRAL_SECRET_KEY_FILE": str(tmp_path / "none")})
    with pytest.raises(ConfigError):
        Settings(env="staging")


def test_settings_are_frozen_and_reach_the_app(settings):
    app = create_app(settings)
    assert get_settings(app) is settings
    with pytest.raises(AttributeError):
        settings.env = "production"


def test_broken_guidelines_stop_the_start(tmp_path, settings):
    from referral.engine import GuidelineError
    from tests.engine.guideline_files import make_set

    root = make_set(tmp_path / "g", trees={"t": "id: t\nnodes: [oops"})
    with pytest.raises(GuidelineError):
        create_app(settings.with_overrides(guidelines_dir=root))
