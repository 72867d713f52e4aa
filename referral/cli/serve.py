"""`referral serve`: the app under gunicorn, a production-grade server, instead of Flask's development server."""

from __future__ import annotations

import ctypes
import gc
import itertools
import logging
import random
import time

import click

# Access log lines carry the path without its query string (%(U)s), the status, size and time: never a form
# value, never a query parameter.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
# A worker is replaced after about this many PDFs (slips, training reports). WeasyPrint and Pango keep native
# memory that Python never gives back (a few KB a slip, Kozea/WeasyPrint#1977): recycling bounds it (PERFORMANCE.md
# G4). The jitter keeps the workers from being replaced at the same moment, so one of them is always serving.
PDFS_PER_WORKER = 1000
PDFS_JITTER = 100
# Counted by PDFs, not by requests: question pages leave nothing behind, and each replacement costs a second of
# warm-up CPU on a core the other worker shares. Recycled every 1,000 requests, the workers were replaced in the
# middle of screening loads and the question pages' p99 rose from about 30 ms to 260 ms (bench/web_bench.py).
# Requests still replace a worker, rarely, as a safety net for a leak no one has seen yet.
MAX_REQUESTS = 50_000
MAX_REQUESTS_JITTER = 5_000
M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)

log = logging.getLogger(__name__)


def warm_worker(app) -> float:  # noqa: ANN001 - a Flask app
    """Make a freshly started worker ready for slips: seconds taken.

    Runs in each worker, not in the master before the fork: the renderer's font configuration writes the
    slip fonts to a temporary folder that it removes when it is destroyed, so a worker exiting after
    ``max_requests`` would pull the fonts from under the master and every worker forked after it.
    """
    from ..services import slips

    started = time.perf_counter()
    _fewer_malloc_arenas()
    try:
        with app.app_context():
            slips.warm_up()  # WeasyPrint imported, fonts read: the first real slip is as fast as the next (G3, G7)
    except Exception:  # noqa: BLE001 - a worker that cannot warm up still serves; its first slip pays instead
        log.exception("slip warm-up failed")
    # What exists now (the app, the guideline set, WeasyPrint's modules and caches) lives as long as the worker.
    # Freezing it keeps the garbage collector from walking it all again on every full collection, which
    # otherwise lands in the middle of a slip every few slips and adds tens of ms to it (G3 p95).
    gc.collect()
    gc.freeze()
    return time.perf_counter() - started


def recycle_after_pdfs(app, worker, limit: int) -> None:  # noqa: ANN001 - a Flask app, gunicorn's worker
    """Replace ``worker`` once it has sent ``limit`` PDF responses.

    Clearing ``alive`` is how gunicorn's own ``max_requests`` ends a worker: it finishes the requests in flight,
    then exits, and the master starts a new one (which warms up again).
    """
    sent = itertools.count(1)

    @app.after_request
    def count_pdfs(response):  # noqa: ANN001, ANN202
        if response.mimetype == "application/pdf" and next(sent) >= limit:
            worker.alive = False
        return response


def _fewer_malloc_arenas(limit: int = 2) -> None:
    """Let the worker's threads share two glibc heaps instead of one each (glibc's default allows eight per core).

    A gthread worker serves each request on whichever of its threads is free, so every thread's heap ends up
    holding freed slip memory of its own: RSS grows with the number of threads, not with what is in use. Called
    before the worker starts its threads; without glibc, nothing to do.
    """
    try:
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, limit)
    except (OSError, AttributeError):
        pass


def gunicorn_settings(*, host: str, port: int, workers: int, threads: int, app) -> dict:  # noqa: ANN001
    """The gunicorn configuration of `referral serve` (a function, so that a test can read it)."""

    def post_worker_init(worker) -> None:  # noqa: ANN001 - gunicorn's worker
        recycle_after_pdfs(app, worker, PDFS_PER_WORKER + random.randint(0, PDFS_JITTER))  # noqa: S311
        worker.log.info("worker %s ready for slips in %.2f s", worker.pid, warm_worker(app))

    return {"bind": f"{host}:{port}", "workers": workers, "threads": threads, "worker_class": "gthread",
            "accesslog": "-", "access_log_format": ACCESS_LOG_FORMAT, "timeout": 60, "graceful_timeout": 20,
            "max_requests": MAX_REQUESTS, "max_requests_jitter": MAX_REQUESTS_JITTER,
            "post_worker_init": post_worker_init}


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Worker processes (one per core).")
@click.option("--threads", default=4, show_default=True, type=int, help="Threads per worker.")
def serve_command(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the application with gunicorn (settings from the REFERRAL_* environment)."""
    from gunicorn.app.base import BaseApplication

    from .. import create_app
    from ..db import get_db

    app = create_app()  # build it once here so that a broken configuration fails before any worker starts
    if not get_db(app).schema_is_current():
        raise click.ClickException("the database is missing or not up to date: run `referral init` first")
    # The check above left an open connection in the engine's pool. Workers are forked from this process, and an
    # SQLite connection carried across fork breaks the file locks: workers then wait on each other until requests
    # time out. Close it here; each worker opens its own.
    get_db(app).dispose()
    settings = gunicorn_settings(host=host, port=port, workers=workers, threads=threads, app=app)

    class Server(BaseApplication):
        def load_config(self) -> None:
            for name, value in settings.items():
                self.cfg.set(name, value)

        def load(self):
            return app

    click.echo(f"serving on http://{host}:{port}/ with {workers} workers x {threads} threads")
    Server().run()
