"""Benchmark of one screening step on the web (PERFORMANCE.md G1, and the bytes of G2).

    .venv/bin/python bench/web_bench.py            # measure, write the section of docs/benchmarks.md
    .venv/bin/python bench/web_bench.py --quick    # a smoke run: 2 officials, a few seconds, nothing written

The app runs under gunicorn (`referral serve`, 2 workers x 4 threads) on 127.0.0.1 with a fresh SQLite data
folder; the reference is the floor page of PERFORMANCE.md §3.4 (a bare Flask app rendering a 1.5 KB question-like
template with a session, a CSRF token and no-store) under the same gunicorn settings, measured in the same run
with the same load. As §5 asks, both servers are pinned to core 0 and the load generator to core 1.

Twenty simulated officials (threads, each with its own session cookie) sign in, start a screening of a
Dari-speaking person and answer question after question: a step is the GET of the question page (the sealed
draft opened, the trees walked) and the POST of the answer (opened, changed, resealed, audited, one FULL commit),
whose redirect names the next question. Two loads are measured:

- paced: an official takes a pause before each answer (uniform around ``--think`` seconds; a real one listens
  to a person through an interpreter for far longer). Three runs; the figures are the medians of the runs.
- saturated: no pause at all, so the twenty keep the server busy; this shows the capacity of the 2 workers on
  one core, and how latency grows with the queue.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import os
import random
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
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- web-bench:start -->", "<!-- web-bench:end -->"
PASSWORD = "bench-official-password"
SERVER_CORES, LOAD_CORES = "0", {1}


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


def pinned(command: list[str], cores: str | None) -> list[str]:
    """``command`` run on ``cores`` with taskset, when the machine has cores to spare and taskset exists."""
    if cores is None or (os.cpu_count() or 1) < 2 or not Path("/usr/bin/taskset").exists():
        return command
    return ["/usr/bin/taskset", "-c", cores, *command]


def _serve(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    server = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, start_new_session=True)
    # The server writes an access-log line per request to this pipe: drain it, or once the pipe's buffer (64 KB,
    # about 150 steps) is full every worker blocks on its next log line and the officials time out.
    threading.Thread(target=lambda: collections.deque(server.stdout, maxlen=0), daemon=True).start()
    return server


def app_env(data: Path) -> dict[str, str]:
    return {**os.environ, "REFERRAL_DATA_DIR": str(data), "REFERRAL_ENV": "development",
            "REFERRAL_ADMIN_PASSWORD": "bench-admin-password"}


def start_app(data: Path, cores: str | None = None) -> tuple[subprocess.Popen, str]:
    """Initialise a data folder with the demo data (unless done) and serve the app on a free port."""
    env = app_env(data)
    cli = [sys.executable, "-m", "referral.cli"]
    if not (data / "referral.db").exists():
        subprocess.run([*cli, "init"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([*cli, "demo", "seed"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    server = _serve(pinned([*cli, "serve", "--port", str(port), "--workers", "2", "--threads", "4"], cores),
                    ROOT, env)
    base = f"http://127.0.0.1:{port}"
    wait_for(base + "/", server)
    return server, base


FLOOR_APP = '''
from flask import Flask, make_response, render_template_string
from flask_wtf.csrf import generate_csrf

app = Flask(__name__)
app.secret_key = "floor-page-of-the-benchmark"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Question 3</title>
<link rel="stylesheet" href="/static/app.css"></head><body><header><p>Border Referral Toolkit</p>
<nav><a href="/">Start</a> <a href="/cases">Cases</a> <a href="/logout">Sign out</a></nav></header><main>
<p class="progress">Question 3</p><form method="post" class="question" action="/q/unhcr-2016/fear">
<input type="hidden" name="csrf_token" value="{{ token }}"><fieldset><legend><h1>Does the person say they
fear harm if returned?</h1></legend><div class="say"><p>Say to the person:</p><p lang="fa-AF" dir="rtl">
آیا از بازگشت به کشور خود می ترسید؟</p></div><p class="guidance">Any fear counts: do not judge it.</p>
{% for value, label in options %}<button type="submit" name="value" value="{{ value }}">{{ label }}</button>
{% endfor %}</fieldset></form><nav class="steps"><a href="/back">Back</a> <a href="/discard">Discard this
screening</a></nav></main><footer><p>Personal data stays on this server.</p></footer></body></html>"""
OPTIONS = [("yes", "Yes"), ("no", "No"), ("unknown", "Unknown or refuses to say")]


@app.get("/")
def page():
    response = make_response(render_template_string(PAGE, token=generate_csrf(), options=OPTIONS))
    response.headers["Cache-Control"] = "no-store"
    return response
'''


def start_floor(folder: Path, cores: str | None = None) -> tuple[subprocess.Popen, str]:
    """The reference of PERFORMANCE.md §3.4: the framework's floor for a question page, same gunicorn settings."""
    (folder / "floor_app.py").write_text(textwrap.dedent(FLOOR_APP), encoding="utf-8")
    port = free_port()
    server = _serve(pinned([sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4",
                            "--access-logfile", "-", "-b", f"127.0.0.1:{port}", "floor_app:app"], cores),
                    folder, {**os.environ, "PYTHONPATH": str(folder)})
    base = f"http://127.0.0.1:{port}"
    wait_for(base + "/", server)
    return server, base


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


class Client:
    """One browser: a session cookie, and a connection per request (a tablet's idle pauses outlast keep-alive)."""

    def __init__(self, base: str) -> None:
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname, parsed.port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        """Status, Location and body of one request; redirects are not followed."""
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())} \
            if self.cookies else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8")
            for value in response.headers.get_all("Set-Cookie") or ():
                name, _equals, rest = value.partition("=")
                content = rest.split(";", 1)[0]
                if content and "max-age=0" not in value.lower():
                    self.cookies[name] = content
                else:
                    self.cookies.pop(name, None)
            location = urllib.parse.urlsplit(response.headers.get("Location", "")).path
            return response.status, location, text
        finally:
            connection.close()


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


@dataclass
class Tally:
    """What one load run measured, in seconds."""

    gets: list[float] = field(default_factory=list)
    posts: list[float] = field(default_factory=list)
    steps: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, get: float, post: float) -> None:
        with self.lock:
            self.gets.append(get)
            self.posts.append(post)
            self.steps.append(get + post)


class Official:
    """A simulated official: signs in, screens a Dari-speaking person, answers question after question."""

    def __init__(self, base: str, username: str, think: float, seed: int) -> None:
        self.client = Client(base)
        self.username = username
        self.think = think
        self.random = random.Random(seed)
        self.where: str | None = None  # the next question's URL, once signed in with a screening started

    def pause(self) -> None:
        if self.think > 0:
            time.sleep(self.random.uniform(0.5 * self.think, 1.5 * self.think))

    def sign_in(self) -> None:
        _status, _location, page = self.client.request("GET", "/login")
        status, _location, _page = self.client.request(
            "POST", "/login", {"username": self.username, "password": PASSWORD, "csrf_token": csrf(page)})
        if status != 303:
            raise RuntimeError(f"sign-in answered {status}")

    def start(self) -> str:
        _status, _location, page = self.client.request("GET", "/screening/")
        status, location, _page = self.client.request("POST", "/screening/",
                                                      {"language": "fa_AF", "csrf_token": csrf(page)})
        if status != 303:
            raise RuntimeError(f"starting a screening answered {status}")
        return location

    def answer_of(self, page: str) -> tuple[str, dict[str, str]] | None:
        """The form's action and an answer to it ("unknown", which every question accepts), or None at the plan."""
        form = re.search(r'<form method="post" class="question"[^>]*action="([^"]+)"', page)
        if form is None:
            return None
        values = re.findall(r'name="value" value="([^"]+)"', page)
        data = {"csrf_token": csrf(page), "action": "save"}
        if values:
            data["value"] = values[-1]  # the last button is "unknown"
        else:
            data["action"] = "unknown"
        return form.group(1).replace("&amp;", "&"), data

    def ready(self) -> None:
        """Signed in, with a screening started (once: later runs go on where the last one stopped, because
        twenty officials signing in at the same moment, argon2id at work, is not what a run measures)."""
        if self.where is None:
            self.sign_in()
            self.where = self.start()

    def next_screening(self, page: str) -> None:
        """At the plan: discard this screening, as a real one would be submitted or discarded, and start another
        (an official does not keep dozens of screenings open, and the start page lists the open ones)."""
        draft = self.where.split("/")[2]
        self.client.request("POST", f"/screening/{draft}/abandon", {"csrf_token": csrf(page)})
        self.where = self.start()

    def work(self, tally: Tally, deadline: float) -> None:
        self.ready()
        if self.think > 0:  # officials arrive over a pause, not all in the same millisecond (a ramp-up)
            time.sleep(self.random.uniform(0, self.think))
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status, location, page = self.client.request("GET", self.where)
            get = time.perf_counter() - started
            if status == 303:  # the questions are done: the next page is the plan
                _status, _location, page = self.client.request("GET", location)
                self.next_screening(page)
                continue
            answer = self.answer_of(page)
            if answer is None:
                raise RuntimeError(f"no question at {self.where}")
            self.pause()
            action, data = answer
            started = time.perf_counter()
            status, self.where, _page = self.client.request("POST", action, data)
            post = time.perf_counter() - started
            if status != 303:
                raise RuntimeError(f"an answer was refused ({status})")
            tally.add(get, post)


def run_officials(officials: list[Official], seconds: float, think: float) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds

    def work(official: Official) -> None:
        official.think = think
        try:
            official.work(tally, deadline)
        except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
            official.where = None  # start afresh in the next run
            with tally.lock:
                tally.errors.append(f"{type(exc).__name__}: {exc}")

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(official,)) for official in officials]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.seconds = time.monotonic() - started
    return tally


def run_floor(base: str, count: int, seconds: float, think: float) -> Tally:
    """The floor page under the same load: each client reads it, pauses as an official would, and reads it again."""
    tally = Tally()
    deadline = time.monotonic() + seconds

    def work(number: int) -> None:
        client, pace = Client(base), random.Random(number)
        try:
            if think > 0:  # the same ramp-up as the officials'
                time.sleep(pace.uniform(0, think))
            while time.monotonic() < deadline:
                started = time.perf_counter()
                status, _location, _page = client.request("GET", "/")
                if status != 200:
                    raise RuntimeError(f"the floor page answered {status}")
                with tally.lock:
                    tally.gets.append(time.perf_counter() - started)
                if think > 0:
                    time.sleep(pace.uniform(0.5 * think, 1.5 * think))
        except Exception as exc:  # noqa: BLE001 - counted and reported
            with tally.lock:
                tally.errors.append(f"{type(exc).__name__}: {exc}")

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.seconds = time.monotonic() - started
    return tally


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def page_weight(base: str) -> tuple[int, int, int]:
    """Bytes of the first question page, of its stylesheet, and of a later question page (uncompressed HTML)."""
    official = Official(base, "bench-official-0", 0, 0)
    official.sign_in()
    _status, _location, first = official.client.request("GET", official.start())
    css = re.search(r'href="(/static/css/[^"]+)"', first).group(1)
    _status, _location, stylesheet = official.client.request("GET", css)
    action, data = official.answer_of(first)
    _status, where, _page = official.client.request("POST", action, data)
    _status, _location, later = official.client.request("GET", where)
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
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, env=app_env(data))


def in_process(data: Path, steps: int) -> tuple[float, float]:
    """The app's own cost of a step, without HTTP or contention: medians of GET and POST in the test client."""
    script = textwrap.dedent(f"""
        import re, statistics, time
        from referral import create_app
        app = create_app()
        client = app.test_client()
        def token(page):
            return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        page = client.get("/login").text
        client.post("/login", data={{"username": "bench-official-0", "password": "{PASSWORD}",
                                     "csrf_token": token(page)}})
        def start():
            page = client.get("/screening/").text
            return client.post("/screening/", data={{"language": "fa_AF", "csrf_token": token(page)}}).location
        where, gets, posts = start(), [], []
        while len(posts) < {steps}:
            began = time.perf_counter()
            answer = client.get(where)
            took = time.perf_counter() - began
            form = re.search(r'<form method="post" class="question"[^>]*action="([^"]+)"', answer.text)
            if answer.status_code != 200 or form is None:
                where = start()
                continue
            values = re.findall(r'name="value" value="([^"]+)"', answer.text)
            data = {{"csrf_token": token(answer.text), "action": "save" if values else "unknown"}}
            if values:
                data["value"] = values[-1]
            began = time.perf_counter()
            where = client.post(form.group(1).replace("&amp;", "&"), data=data).location
            posts.append(time.perf_counter() - began)
            gets.append(took)
        print(statistics.median(gets[20:]), statistics.median(posts[20:]))
    """)
    done = subprocess.run(pinned([sys.executable, "-c", script], SERVER_CORES), cwd=ROOT, check=True,
                          capture_output=True, text=True, env=app_env(data))
    get, post = done.stdout.split()
    return float(get), float(post)


def summary(runs: list[Tally], floors: list[Tally]) -> dict[str, float]:
    """Each figure of each run, then the median over the runs (PERFORMANCE.md §5: median of 3)."""
    def across(values: list[float]) -> float:
        return statistics.median(values)

    out = {"requests": sum(len(run.gets) + len(run.posts) for run in runs),
           "errors": sum(len(run.errors) for run in runs + floors),
           "rate": across([(len(run.gets) + len(run.posts)) / run.seconds for run in runs]),
           "floor_requests": sum(len(floor.gets) for floor in floors)}
    for name, pick in (("get", lambda run: run.gets), ("post", lambda run: run.posts),
                       ("step", lambda run: run.steps)):
        for share, label in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
            out[f"{name}_{label}"] = across([percentile(pick(run), share) for run in runs])
    for share, label in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
        out[f"floor_{label}"] = across([percentile(floor.gets, share) for floor in floors])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 officials, a few seconds; writes nothing")
    parser.add_argument("--officials", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60, help="seconds of each paced run (default 60)")
    parser.add_argument("--runs", type=int, default=3, help="paced runs; the median of each figure is reported")
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean pause of an official before each answer, in seconds (default 2)")
    args = parser.parse_args()
    if args.quick:
        args.officials, args.duration, args.runs = 2, 5, 1
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, LOAD_CORES)  # the load generator on core 1, the servers on core 0 (§5)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        server, base = start_app(data, SERVER_CORES)
        try:
            create_officials(data, args.officials)
            first, css, later = page_weight(base)
            officials = [Official(base, f"bench-official-{number}", 0, number) for number in range(args.officials)]
            run_officials(officials, min(10.0, args.duration), 0)  # warm-up: sign-ins, caches, pools, pages
            paced = [run_officials(officials, args.duration, args.think) for _ in range(args.runs)]
            saturated = run_officials(officials, args.duration / 2, 0)
        finally:
            stop(server)
        service = in_process(data, 60 if args.quick else 300)
        floor, floor_base = start_floor(Path(folder), SERVER_CORES)
        try:
            run_floor(floor_base, args.officials, 5, 0)  # warm-up
            floor_paced = [run_floor(floor_base, args.officials, args.duration / 2, args.think)
                           for _ in range(args.runs)]
            floor_saturated = run_floor(floor_base, args.officials, args.duration / 4, 0)
        finally:
            stop(floor)
    results = {"paced": summary(paced, floor_paced), "saturated": summary([saturated], [floor_saturated])}
    text = report(args, results, service, (first, css, later))
    print(text)
    if not args.quick:
        write(text)  # errors too are results: they are in the table
    errors = [error for run in (*paced, saturated, *floor_paced, floor_saturated) for error in run.errors]
    if errors:
        print("errors:", *sorted(set(errors))[:5], sep="\n  ", file=sys.stderr)
        sys.exit(1)


def report(args: argparse.Namespace, results: dict[str, dict[str, float]], service: tuple[float, float],
           weights: tuple[int, int, int]) -> str:
    ms = 1000
    paced, saturated = results["paced"], results["saturated"]

    def row(label: str, figures: dict[str, float], kind: str) -> str:
        ratio = figures[f"{kind}_p50"] / figures["floor_p50"]
        return (f"| {label} | {figures[f'{kind}_p50'] * ms:.1f} | {figures[f'{kind}_p95'] * ms:.1f} "
                f"| {figures[f'{kind}_p99'] * ms:.1f} | {ratio:.1f} |")

    def table(figures: dict[str, float]) -> list[str]:
        return ["| request | p50 ms | p95 ms | p99 ms | p50 ÷ floor p50 |", "|---|---|---|---|---|",
                f"| floor page (reference, {figures['floor_requests']} requests) | {figures['floor_p50'] * ms:.1f} "
                f"| {figures['floor_p95'] * ms:.1f} | {figures['floor_p99'] * ms:.1f} | 1 |",
                row("question page (GET: open the draft, walk the trees, render)", figures, "get"),
                row("answer (POST: open, change, reseal, audit, FULL commit)", figures, "post"),
                row("whole step (GET + POST)", figures, "step")]

    goal = lambda ok: "met" if ok else "**not met**"  # noqa: E731
    met_latency = max(paced["get_p95"], paced["post_p95"]) <= 0.050 and \
        max(paced["get_p99"], paced["post_p99"]) <= 0.100
    met_ratio = max(paced["get_p50"], paced["post_p50"]) / paced["floor_p50"] <= 5
    first, css, later = weights
    return "\n".join([
        START, "",
        f"Measured {time.strftime('%Y-%m-%d')} with `.venv/bin/python bench/web_bench.py` (defaults). Both servers "
        "(the app under `referral serve`, gunicorn 2 workers x 4 threads, SQLite with `synchronous=FULL`; and the "
        "floor page of PERFORMANCE.md §3.4 under the same gunicorn settings) pinned to core 0, the load generator "
        "to core 1; loopback only; a new connection for each request, as a tablet whose pauses outlast keep-alive "
        "makes.", "",
        f"**Paced load**: {args.officials} officials, each pausing {0.5 * args.think:.1f} to "
        f"{1.5 * args.think:.1f} s before an answer (a real official listens far longer), and arriving over the first "
        f"pause rather than in the same millisecond; signed in once, before the runs; median of {args.runs} "
        f"runs of {args.duration:.0f} s; {paced['requests']} requests, {paced['rate']:.1f} requests/s, "
        f"{paced['errors']} errors.", "", *table(paced), "",
        f"**Saturated load**: the same {args.officials} officials with no pause at all: one run of "
        f"{args.duration / 2:.0f} s, {saturated['requests']} requests, **{saturated['rate']:.0f} requests/s** "
        f"(about {saturated['rate'] / 2:.0f} steps/s: the capacity of one core), {saturated['errors']} errors.",
        "", *table(saturated), "",
        f"The app's own cost, in process (Flask's test client, no HTTP, no other request, on core 0): question "
        f"page {service[0] * ms:.1f} ms, answer {service[1] * ms:.1f} ms (medians of "
        f"{60 if args.quick else 300} steps).", "",
        f"G1 (paced load): p95 ≤ 50 ms and p99 ≤ 100 ms for the GET and for the POST: {goal(met_latency)}; "
        f"p50 ≤ 5 × the floor page's p50: {goal(met_ratio)}.", "",
        f"Page weight (G2, bytes only; the browser measurement is below): the first question page "
        f"{first / 1024:.1f} KB + stylesheet {css / 1024:.1f} KB = {(first + css) / 1024:.1f} KB uncompressed, no "
        f"script, no web font; a later question page {later / 1024:.1f} KB (the stylesheet is cached for a week). "
        "Budget: ≤ 100 KB for the first load, ≤ 15 KB for a later page.",
        "", END])


def write(text: str) -> None:
    from report_section import write_section  # this script's folder is on sys.path when it is run

    write_section(text, START, END, heading="Web: one screening step (G1, G2)")


if __name__ == "__main__":
    main()
