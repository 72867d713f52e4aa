"""Find and register every blueprint of ``referral.web``, and the menu entries they offer.

A blueprint module has a module-level ``bp`` and may have ``NAV``: a list of (endpoint, label, roles) for the
menu. Adding an area of the app therefore means adding one module, without editing the factory.
"""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask, url_for

from .access import current_user


def register_all(app: Flask) -> None:
    nav: list[tuple[str, object, frozenset[str]]] = []
    package = importlib.import_module(__package__)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__package__}.{info.name}")
        blueprint = getattr(module, "bp", None)
        if blueprint is None:
            continue
        app.register_blueprint(blueprint)
        nav.extend((endpoint, label, frozenset(roles)) for endpoint, label, roles in getattr(module, "NAV", ()))

    @app.context_processor
    def menu() -> dict[str, object]:
        user = current_user()
        if user is None:
            return {"menu": []}
        return {"menu": [(url_for(endpoint), label) for endpoint, label, roles in nav if user.role in roles]}
