"""`referral serve` runs the app under gunicorn, and its access log keeps no query string."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from referral.vault import provision_keys
from tests.conftest import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_with_gunicorn_and_logs_no_query_string(tmp_path):
    port = free_port()
    env = {**os.environ, "REFERRAL_DATA_DIR": str(tmp_path), "REFERRAL_ENV": "development"}
    refused = subprocess.run([sys.executable, "-m", "referral.cli", "serve", "--port", str(port)], cwd=PROJECT_ROOT,
                             env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0  # no keys yet: the app fails closed
    provision_keys(tmp_path / "keys", tmp_path / "keys" / "kek")
    refused = subprocess.run([sys.executable, "-m", "referral.cli", "serve", "--port", str(port)], cwd=PROJECT_ROOT,
                             env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "referral init" in refused.stderr  # no schema yet
    init = subprocess.run([sys.executable, "-m", "referral.cli", "init"], cwd=PROJECT_ROOT, timeout=120,
                          env={**env, "REFERRAL_ADMIN_PASSWORD": "serve-test-password-1"}, capture_output=True)
    assert init.returncode == 0, init.stderr
    server = subprocess.Popen([sys.executable, "-m", "referral.cli", "serve", "--port", str(port), "--workers", "1"],
                              cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, start_new_session=True)
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/?name=cnry-secret", timeout=2) as response:
                    assert response.status == 200
                    assert response.headers["Cache-Control"] == "no-store"
                    break
            except urllib.error.HTTPError:
                raise
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not answer")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=20)[0]
    assert "gunicorn" in output.lower()
    assert '"GET /"' in output and "cnry-secret" not in output
