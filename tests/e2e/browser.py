"""Headless Chromium (Debian's package) driven by Playwright, and a live server to drive it against.

Never `playwright install`: the browser is Debian's /usr/bin/chromium, installed by deploy/install.sh --tests.
Without the background-networking flags Chromium stalls on these machines' closed network.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import PROJECT_ROOT

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TABLET_SIZES = {"portrait": {"width": 768, "height": 1024}, "landscape": {"width": 1024, "height": 768}}
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "screenshots"


def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise RuntimeError("Debian's chromium is not installed: run deploy/install.sh --tests")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def referral(*args: str, env: dict[str, str]) -> str:
    """Run a `referral` command as a user would; its output, or an error with what it printed."""
    done = subprocess.run([sys.executable, "-m", "referral.cli", *args], cwd=PROJECT_ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"referral {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextmanager
def live_server(env: dict[str, str]) -> Iterator[str]:
    """`referral init`, then `referral serve` on a free loopback port; yields the base URL, stops it afterwards."""
    referral("init", env=env)
    referral("demo", "seed", env=env)  # a post per country, one account per role, a few fictional cases
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "referral.cli", "serve", "--port", str(port), "--workers", "1"],
                              cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start:\n" + (server.communicate()[0] or "")) from None
                time.sleep(0.1)
        yield base
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=20)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/ (kept out of git)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
