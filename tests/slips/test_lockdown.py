"""The PDF renderer is locked down (SECURITY.md P-23): markup, file:// and http:// payloads typed into any free
text appear as text and fetch nothing; the fetcher serves package files and data: URIs only, logs a refusal
without the query, and stops the rendering; a rendering has a time limit; a 100 KB field cannot blow a slip up.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from referral.db import get_db
from referral.models import Agency, Case, Post
from referral.services import slip_pdf, slips
from referral.services.slip_pdf import RenderFailed
from tests.slips.conftest import by_kind, pdf_pages, pdf_text


@pytest.fixture
def listener():
    """A TCP port on 127.0.0.1 that counts connections: nothing may ever connect to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    hits = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            hits.append(1)
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], hits
    stop.set()
    thread.join(1)
    server.close()


def payloads(port: int) -> list[str]:
    base = f"http://127.0.0.1:{port}"
    return ['<img src="file:///etc/passwd">', f'<link rel=stylesheet href="{base}/x.css">',
            f"<style>@import url({base}/y.css);</style>", f'<div style="background:url({base}/z.png)">z</div>',
            '<svg><image href="file:///etc/hostname"/></svg>', f'<iframe src="{base}/f"></iframe>',
            "{{ 7*7 }}", f"<object data='{base}/o'></object>"]


@pytest.fixture
def recorded(monkeypatch):
    """Every URL the slip renderer's fetcher is asked for."""
    asked = []
    original = slip_pdf._make_fetcher_class

    def spying():  # noqa: ANN202
        fetcher = original()
        real = fetcher.fetch

        def fetch(self, url, headers=None):  # noqa: ANN001
            asked.append(url)
            return real(self, url, headers)

        fetcher.fetch = fetch
        return fetcher

    monkeypatch.setattr(slip_pdf, "_make_fetcher_class", spying)
    return asked


def test_payloads_in_every_free_text_field_show_as_text_and_fetch_nothing(app, make, render, listener, recorded,
                                                                          tmp_path):
    port, hits = listener
    attacks = payloads(port)
    identity = {"given_name": attacks[0][:100], "family_name": attacks[1][:100], "document_number": attacks[2][:64],
                "nationality": attacks[5][:64], "notes": "\n".join(attacks), "date_of_birth": "1990-01-01",
                "phone": "+000 111"}
    made = make(identity=identity)
    referral = by_kind(made, "unhcr")
    with get_db(app).session() as db:  # what administrators type: the post's and the agency's names
        post = db.get(Post, db.get(Case, made.case.id).post_id)
        post.name = attacks[3]
        agency = db.get(Agency, referral.agency_id)
        agency.name = attacks[4]
        db.add_all([post, agency])
        db.commit()
    app.extensions.pop("referral.slip_renderer", None)  # a fresh renderer, built with the spying fetcher
    slip = render(referral)
    pdf_pages(slip.pdf, "slip-payloads")
    text = " ".join(pdf_text(slip.pdf, tmp_path).split())
    for fragment in ("file:///etc/passwd", f"127.0.0.1:{port}/x.css", "@import", "<iframe", "{{ 7*7 }}",
                     "<svg><image", "background:url("):
        assert fragment in text, fragment
    assert hits == []
    fonts = [url for url in recorded if url.startswith("file:")]
    assert all("/referral/static/fonts/" in url for url in fonts)
    assert [url for url in recorded if not url.startswith(("file:", "data:image/png"))] == []


@pytest.mark.parametrize("html", [
    '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css?token=cnry-secret">',
    '<style>@import url("http://127.0.0.1:{port}/y.css?token=cnry-secret");</style>',
    '<p style="background: url(https://127.0.0.1:{port}/z.png?token=cnry-secret)">x</p>',
    '<img src="file:///{static}/../../pyproject.toml">',
    '<img src="data:text/html;base64,PHNjcmlwdD4=">',
    '<img src="ftp://127.0.0.1:{port}/a.png">',
])
def test_the_fetcher_refuses_logs_without_the_query_and_stops_the_rendering(app, listener, caplog, html):
    port, hits = listener
    with app.app_context():
        renderer = slips.renderer()
        with caplog.at_level(logging.WARNING, logger="referral.services.slip_pdf"):
            with pytest.raises(RenderFailed) as failed:
                renderer.pdf(f"<html><body><p>x</p>{html.format(port=port, static=slip_pdf.PACKAGE_FILES)}</body>"
                             "</html>", seconds=5)
    assert failed.value.reason == "blocked_fetch"
    assert hits == []
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "refused to fetch" in logged
    assert "cnry-secret" not in logged and "token=" not in logged


def test_a_rendering_over_its_time_limit_is_aborted(app):
    long_text = "<p>" + ("Съешь же ещё этих мягких французских булок, да выпей чаю. " * 1800) + "</p>"  # ~100 KB
    with app.app_context():
        renderer = slips.renderer()
        started = time.perf_counter()
        with pytest.raises(RenderFailed) as failed:
            renderer.pdf(f"<html><body>{long_text}</body></html>", seconds=0.3)
    assert failed.value.reason == "timeout"
    assert time.perf_counter() - started < 3


def test_a_100_kb_field_is_cut_to_fit_and_the_slip_stays_short(app, make, render, tmp_path):
    made = make()
    referral = by_kind(made, "unhcr")
    vault = app.extensions["vault"]
    with get_db(app).session() as db:  # a value far longer than the form allows, as a damaged import might bring
        case = db.get(Case, made.case.id)
        payload = vault.open_case_payload(case.id, case.seal_count, case.sealed_payload, case.wrapped_key,
                                          case.kek_id)
        payload["identity"]["notes"] = "Ә" * 100_000
        case.seal_count += 1
        sealed = vault.seal_case_payload(case.id, case.seal_count, payload)
        case.sealed_payload, case.wrapped_key, case.kek_id = sealed.payload, sealed.wrapped_key, sealed.kek_id
        db.add(case)
        db.commit()
    started = time.perf_counter()
    slip = render(referral, time_limit=slips.RENDER_TIME_LIMIT)
    assert time.perf_counter() - started < slips.RENDER_TIME_LIMIT
    assert len(pdf_pages(slip.pdf, "slip-100kb-field")) <= 2
    assert "the post keeps the full text" in " ".join(pdf_text(slip.pdf, tmp_path).split())


def test_the_time_limit_holds_on_a_worker_thread_too(app):
    """gunicorn's gthread workers render on threads other than the main one."""
    long_text = "<p>" + ("Съешь же ещё этих мягких французских булок, да выпей чаю. " * 1800) + "</p>"
    outcome = {}

    def run() -> None:
        with app.app_context():
            try:
                slips.renderer().pdf(f"<html><body>{long_text}</body></html>", seconds=0.3)
                outcome["result"] = "finished"
            except RenderFailed as exc:
                outcome["result"] = exc.reason

    worker = threading.Thread(target=run)
    started = time.perf_counter()
    worker.start()
    worker.join(10)
    assert outcome["result"] == "timeout" and time.perf_counter() - started < 3
