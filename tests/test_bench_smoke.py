"""The benchmarks must keep running: a quick pass over each, writing nothing (timing is not asserted here)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import PROJECT_ROOT


def test_the_engine_benchmark_runs():
    done = subprocess.run([sys.executable, str(PROJECT_ROOT / "bench" / "engine_bench.py"), "--quick"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "next question p50 / p99" in done.stdout


def test_the_web_benchmark_runs():
    done = subprocess.run([sys.executable, str(PROJECT_ROOT / "bench" / "web_bench.py"), "--quick"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "question page (GET" in done.stdout and "answer (POST" in done.stdout
    assert done.stdout.count(" 0 errors.") == 2  # the paced and the saturated load
