"""`referral serve` runs the app under gunicorn, and its access log keeps no query string."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from referral.vault import provision_keys
from tests.conftest import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_with_gunicorn_and_logs_no_query_string(tmp_path):
    port = free_port()
    provision_keys(tmp_path / "keys", tmp_path / "keys" / "kek")  # the app refuses to start without its keys
    env = {**os.environ, "REFERRAL_DATA_DIR": str(tmp_path), "REFERRAL_ENV": "development"}
    server = subprocess.Popen([sys.executable, "-m", "referral.cli", "serve", "--port", str(port), "--workers", "1"],
                              cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, start_new_session=True)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/?name=cnry-secret", timeout=2) as response:
                    assert response.status == 200
                    assert response.headers["Cache-Control"] == "no-store"
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not answer")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=20)[0]
    assert "gunicorn" in output.lower()
    assert '"GET /"' in output and "cnry-secret" not in output
