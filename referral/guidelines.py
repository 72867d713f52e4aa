"""The application's guideline set: where it lives, and how views and commands get it.

The engine caches a set until one of its files changes, so asking for it on every request is cheap; a set with
errors stops the start, naming every problem, rather than serving a half-read guideline.
"""

from __future__ import annotations

from flask import Flask, current_app

from .engine import GuidelineSet, load_guidelines


def init_app(app: Flask) -> None:
    settings = app.extensions["referral.settings"]
    app.extensions["referral.guidelines_dir"] = settings.guidelines_dir
    load_guidelines(settings.guidelines_dir)  # fail at start, not on the first request


def current_guidelines() -> GuidelineSet:
    """The checked guideline set of the running application."""
    return load_guidelines(current_app.extensions["referral.guidelines_dir"])
