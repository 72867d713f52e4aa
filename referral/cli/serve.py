"""`referral serve`: the app under gunicorn, a production-grade server, instead of Flask's development server."""

from __future__ import annotations

import click

# Access log lines carry the path without its query string (%(U)s), the status, size and time: never a form
# value, never a query parameter.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'


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

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")
            self.cfg.set("access_log_format", ACCESS_LOG_FORMAT)
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 20)

        def load(self):
            return app

    click.echo(f"serving on http://{host}:{port}/ with {workers} workers x {threads} threads")
    Server().run()
