"""`referral serve` readies each worker for slips and recycles workers (PERFORMANCE.md G3, G4, G7)."""

from __future__ import annotations

import gc
import logging

from referral.cli import serve


class FakeWorker:
    pid = 4242
    log = logging.getLogger("test.gunicorn")


def test_serve_recycles_workers_by_pdfs_and_rarely_by_requests(app):
    settings = serve.gunicorn_settings(host="127.0.0.1", port=1, workers=2, threads=4, app=app)
    assert 500 <= serve.PDFS_PER_WORKER <= 2000 and 0 < serve.PDFS_JITTER < serve.PDFS_PER_WORKER
    assert settings["max_requests"] >= 20 * serve.PDFS_PER_WORKER  # a safety net, not the recycling itself
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


def test_a_worker_is_replaced_after_its_pdfs_whatever_else_it_served(settings):
    from flask import Response

    from referral import create_app
    from referral.web.access import public

    fresh = create_app(settings)  # an app that has served nothing yet, as in a new worker
    fresh.add_url_rule("/pdf", "pdf", public(lambda: Response(b"%PDF-1.7", mimetype="application/pdf")))
    fresh.add_url_rule("/page", "page", public(lambda: "a question page"))
    worker = FakeWorker()
    worker.alive = True
    serve.recycle_after_pdfs(fresh, worker, 3)
    client = fresh.test_client()
    for _ in range(50):
        client.get("/page")
    assert worker.alive  # question pages never count
    assert client.get("/pdf").mimetype == "application/pdf"
    client.get("/pdf")
    assert worker.alive
    client.get("/pdf")
    assert not worker.alive  # the third PDF: gunicorn finishes what is in flight, then replaces the worker
