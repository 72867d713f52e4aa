"""Benchmark of one screening step on the web (PERFORMANCE.md G1, G2).

    .venv/bin/python bench/web_bench.py            # measure, write the section of docs/benchmarks.md
    .venv/bin/python bench/web_bench.py --quick    # a smoke run: 2 officials, a few steps, nothing written

It starts the app under gunicorn (`referral serve`, 2 workers x 4 threads) on 127.0.0.1 with a fresh SQLite
data folder, and, in the same run, a bare Flask page under the same gunicorn settings as the reference. Twenty
simulated officials (threads, each with its own cookie jar) sign in, start a screening and answer questions:
every step is a GET of the question page and a POST of the answer, which unseals, updates and reseals the draft.
Latencies are reported as p50/p95 and as a ratio to the bare page measured under the same concurrency.
Page weight: the first question page with its stylesheet, and a later question page (the stylesheet is cached).
"""

from __future__ import annotations

import argparse
import collections
import http.cookiejar
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- web-bench:start -->", "<!-- web-bench:end -->"
PASSWORD = "bench-official-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server stopped:\n" + process.communicate()[0])
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not answer in time")


def start_app(data: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "REFERRAL_DATA_DIR": str(data), "REFERRAL_ENV": "development",
           "REFERRAL_ADMIN_PASSWORD": "bench-admin-password"}
    cli = [sys.executable, "-m", "referral.cli"]
    subprocess.run([*cli, "init"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*cli, "demo", "seed"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([*cli, "serve", "--port", str(port), "--workers", "2", "--threads", "4"], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    # `referral serve` writes an access-log line per request to this pipe: drain it, or once the pipe's buffer
    # (64 KB, about 150 steps) is full every worker blocks on its next log line and the officials time out.
    threading.Thread(target=lambda: collections.deque(server.stdout, maxlen=0), daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    wait_for(base + "/", server)
    return server, base


def start_bare(folder: Path) -> tuple[subprocess.Popen, str]:
    """The reference: a bare Flask page under the same gunicorn settings."""
    (folder / "bare_app.py").write_text(textwrap.dedent("""
        from flask import Flask
        app = Flask(__name__)

        @app.get("/")
        def index():
            return "<!doctype html><title>ok</title><p>ok</p>"
    """), encoding="utf-8")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4",
                               "-b", f"127.0.0.1:{port}", "bare_app:app"], cwd=folder, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    wait_for(base + "/", server)
    return server, base


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
    server.communicate(timeout=30)


class Official:
    """One simulated official with a cookie jar: signs in, starts a screening, answers question after question."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.username = username
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path if path.startswith("/") else path, timeout=30) as response:
            return response.read().decode("utf-8"), response.geturl()

    def post(self, path: str, data: dict[str, str]) -> tuple[str, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        with self.opener.open(self.base + path, data=body, timeout=30) as response:
            return response.read().decode("utf-8"), response.geturl()

    @staticmethod
    def token(page: str) -> str:
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)

    def sign_in_and_start(self) -> str:
        page, _ = self.get("/login")
        self.post("/login", {"username": self.username, "password": PASSWORD, "csrf_token": self.token(page)})
        page, _ = self.get("/screening/")
        page, url = self.post("/screening/", {"language": "ru", "csrf_token": self.token(page)})
        return page

    def step(self, page: str, times: list[float], gets: list[float], posts: list[float]) -> str | None:
        """Answer the question on ``page``; then GET the next one. Returns the next page, None at the plan."""
        form = re.search(r'<form method="post" class="question"[^>]*action="([^"]+)"', page)
        if form is None:
            return None
        action = form.group(1).replace("&amp;", "&")
        value = re.findall(r'name="value" value="([^"]+)"', page)
        data = {"csrf_token": self.token(page), "action": "save"}
        if value:
            data["value"] = value[-1]  # the last button is "unknown", accepted by every question
        else:
            data["action"] = "unknown"
        started = time.perf_counter()
        self.post(action, data)  # the redirect to the next question is followed: a GET is part of this time
        total = time.perf_counter() - started
        started = time.perf_counter()
        page, url = self.get(action.rsplit("/q/", 1)[0] + "/next")
        gets.append(time.perf_counter() - started)
        posts.append(total)
        times.append(total)
        return page


def run_officials(base: str, officials: int, steps: int, seconds: float) -> dict[str, list[float]]:
    gets: list[float] = []
    posts: list[float] = []
    steps_done: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    def work(number: int) -> None:
        official = Official(base, f"bench-official-{number}")
        try:
            page = official.sign_in_and_start()
            for _ in range(steps):
                if time.monotonic() > deadline:
                    break
                page = official.step(page, steps_done, gets, posts)
                if page is None:
                    page = official.sign_in_and_start()
        except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(officials)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"get": gets, "post": posts, "errors": errors}


def bare_latencies(base: str, clients: int, requests: int) -> list[float]:
    times: list[float] = []

    def work() -> None:
        for _ in range(requests):
            started = time.perf_counter()
            urllib.request.urlopen(base + "/", timeout=30).read()
            times.append(time.perf_counter() - started)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def page_weight(base: str) -> tuple[int, int, int]:
    official = Official(base, "bench-official-0")
    first = official.sign_in_and_start()
    css = re.search(r'href="(/static/css/[^"]+)"', first).group(1)
    stylesheet, _ = official.get(css)
    later = official.step(first, [], [], []) or ""
    return len(first.encode()), len(stylesheet.encode()), len(later.encode())


def create_officials(data: Path, count: int) -> None:
    script = textwrap.dedent(f"""
        from referral import create_app
        from referral.db import get_db
        from referral.models import Post
        from referral.services.users import create_user, find_user
        from sqlmodel import select
        app = create_app()
        with app.app_context(), get_db(app).session() as db:
            post = db.exec(select(Post).where(Post.code == "KZ-DEMO-1")).first()
            for n in range({count}):
                if find_user(session=db, username=f"bench-official-{{n}}") is None:
                    create_user(session=db, username=f"bench-official-{{n}}", password="{PASSWORD}",
                                role="official", post_id=post.id)
            db.commit()
    """)
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "REFERRAL_DATA_DIR": str(data), "REFERRAL_ENV": "development"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 officials, 3 steps; writes nothing")
    args = parser.parse_args()
    officials, steps, seconds = (2, 3, 30) if args.quick else (20, 12, 120)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        server, base = start_app(data)
        try:
            create_officials(data, officials)
            bare, bare_base = start_bare(Path(folder))
            try:
                bare_latencies(bare_base, 2, 20)  # warm-up
                reference = bare_latencies(bare_base, officials, 10 if args.quick else 50)
            finally:
                stop(bare)
            first, css, later = page_weight(base)
            result = run_officials(base, officials, steps, seconds)
        finally:
            stop(server)
    text = report(officials, result, reference, first, css, later)
    print(text)
    if not args.quick:
        write(text)  # errors too are results: they are in the table
    if result["errors"]:
        print("errors:", *sorted(set(result["errors"]))[:5], sep="\n  ", file=sys.stderr)
        sys.exit(1)


def report(officials: int, result: dict, reference: list[float], first: int, css: int, later: int) -> str:
    get_p95, post_p95 = percentile(result["get"], 0.95), percentile(result["post"], 0.95)
    bare_p50, bare_p95 = statistics.median(reference), percentile(reference, 0.95)
    ms = 1000
    kinds = ", ".join(sorted({error.split(":")[0] for error in result["errors"]}))
    return "\n".join([
        START, "",
        f"Measured {time.strftime('%Y-%m-%d')} with `.venv/bin/python bench/web_bench.py`: gunicorn 2 workers x 4 "
        f"threads and {officials} simulated officials on the same 2 cores, loopback only, SQLite.", "",
        "| what | requests | p50 | p95 | ratio to the bare page (p95) |", "|---|---|---|---|---|",
        f"| bare Flask page (reference) | {len(reference)} | {bare_p50 * ms:.1f} ms | {bare_p95 * ms:.1f} ms | 1 |",
        f"| question page (GET) | {len(result['get'])} | {statistics.median(result['get']) * ms:.1f} ms "
        f"| {get_p95 * ms:.1f} ms | {get_p95 / bare_p95:.1f} |",
        f"| answer (POST: unseal, update, reseal; with the redirect's GET) | {len(result['post'])} "
        f"| {statistics.median(result['post']) * ms:.1f} ms | {post_p95 * ms:.1f} ms | {post_p95 / bare_p95:.1f} |",
        "", f"Errors: {len(result['errors'])} ({kinds or 'none'}). Goal G1: one question step p95 ≤ 50 ms with 20 "
        "officials.", "",
        f"Page weight (G2): the first question page {first / 1024:.1f} KB + stylesheet {css / 1024:.1f} KB "
        f"= {(first + css) / 1024:.1f} KB, no script, no web font; a later question page {later / 1024:.1f} KB "
        "(the stylesheet is cached for a week). Budget: ≤ 110 KB for the first load, ≤ 15 KB for a later page.",
        "", END])


def write(text: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    current = path.read_text(encoding="utf-8")
    if START in current:
        current = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _m: text, current, flags=re.S)
    else:
        current += "\n## Web: one screening step (G1, G2)\n" + text + "\n"
    path.write_text(current, encoding="utf-8")


if __name__ == "__main__":
    main()
