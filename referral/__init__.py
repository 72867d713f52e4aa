"""The Border Referral Toolkit: identify people in vulnerable situations at the border and refer them."""

from __future__ import annotations

from flask import Flask

from .config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the application: settings, extensions, guidelines, blueprints, commands, error pages."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.data_dir.resolve()))
    app.config.from_mapping(SECRET_KEY=settings.secret_key, TESTING=settings.env == "testing",
                            SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                            SESSION_COOKIE_SECURE=settings.env == "production")
    app.extensions["referral.settings"] = settings

    from . import db, vault

    vault.init_app(app)  # fails closed: no key (or a key file others can read), no start
    db.init_app(app)

    from . import guidelines, i18n
    from .extensions import csrf

    csrf.init_app(app)
    i18n.configure(app)
    guidelines.init_app(app)

    from .web import access, blueprints, errors, hooks, sessions

    sessions.init_app(app)
    hooks.init_app(app)
    access.init_app(app)
    blueprints.register_all(app)
    errors.init_app(app)

    from .cli import register_commands

    register_commands(app)
    return app


def get_settings(app: Flask) -> Settings:
    return app.extensions["referral.settings"]
