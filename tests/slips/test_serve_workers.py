"""`referral serve` readies each worker for slips and recycles workers (PERFORMANCE.md G3, G4, G7)."""

from __future__ import annotations

import gc
import logging

from referral.cli import serve


class FakeWorker:
    pid = 4242
    log = logging.getLogger("test.gunicorn")


def test_serve_recycles_workers_with_jitter(app):
    settings = serve.gunicorn_settings(host="127.0.0.1", port=1, workers=2, threads=4, app=app)
    assert 500 <= settings["max_requests"] <= 2000
    assert 0 < settings["max_requests_jitter"] < settings["max_requests"]
    assert settings["worker_class"] == "gthread" and settings["access_log_format"] == serve.ACCESS_LOG_FORMAT


def test_each_worker_warms_the_slip_renderer_up_once_it_has_started(app, monkeypatch):
    from referral.services import slips

    seen = []
    monkeypatch.setattr(slips, "warm_up", lambda: seen.append(app.extensions["referral.settings"]) or 0.0)
    settings = serve.gunicorn_settings(host="127.0.0.1", port=1, workers=2, threads=4, app=app)
    try:
        settings["post_worker_init"](FakeWorker())
        assert seen == [app.extensions["referral.settings"]]  # called once, inside the app's context
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_worker_whose_warm_up_fails_still_starts(app, monkeypatch):
    from referral.services import slips

    def broken() -> float:
        raise OSError("no fonts")

    monkeypatch.setattr(slips, "warm_up", broken)
    try:
        assert serve.warm_worker(app) >= 0
    finally:
        gc.unfreeze()


def test_warming_a_worker_really_renders(app):
    from referral.services import slips

    try:
        assert serve.warm_worker(app) < slips.RENDER_TIME_LIMIT
        assert "referral.slip_renderer" in app.extensions
    finally:
        gc.unfreeze()
