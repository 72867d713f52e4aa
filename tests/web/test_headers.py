"""Security headers and caching on every route, and error pages that echo nothing (P-09, P-18, P-21)."""

from __future__ import annotations

import logging

import pytest

from referral.web.access import public
from referral.web.hooks import CSP
from tests.conftest import ready_app

CANARY = "cnry-0f1e2d3c4b5a6978"


@pytest.fixture
def app(settings):
    app = ready_app(settings)

    @app.get("/__boom")
    @public
    def boom():
        raise RuntimeError(f"failed while handling {CANARY}")

    return app


def routes(app) -> list[str]:
    """Every GET route without arguments, plus pages that do not exist: a new route cannot escape the check."""
    found = [rule.rule for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.arguments]
    return [*found, f"/missing/{CANARY}", "/static/css/app.css", "/__boom"]


def test_every_response_carries_the_security_headers(app):
    client = app.test_client()
    for path in routes(app):
        response = client.get(path)
        assert response.headers["Content-Security-Policy"] == CSP, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "no-referrer", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "Server" not in response.headers
        expected = "public, max-age=604800" if path.startswith("/static/") else "no-store"
        assert response.headers["Cache-Control"] == expected, path


def test_error_pages_echo_nothing_and_the_log_keeps_no_input(app, caplog):
    client = app.test_client()
    missing = client.get(f"/missing/{CANARY}?q={CANARY}")
    assert missing.status_code == 404 and CANARY not in missing.get_data(as_text=True)
    with caplog.at_level(logging.DEBUG):
        failed = client.get("/__boom")
    assert failed.status_code == 500
    body = failed.get_data(as_text=True)
    assert CANARY not in body and "Traceback" not in body and "RuntimeError" not in body
    assert CANARY not in caplog.text and "RuntimeError" in caplog.text
