"""The benchmarks must keep running: a quick pass over each, writing nothing (timing is not asserted here)."""

from __future__ import annotations

import re
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


def test_the_reportlab_reference_slip_matches_the_real_slip():
    """G3's reference has the real slip's words and parts: the same pages (give or take one) and text length."""
    done = subprocess.run([sys.executable, str(PROJECT_ROOT / "bench" / "reference_slip.py")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    found = re.findall(r"^(\w+): pages WeasyPrint (\d+) / ReportLab (\d+); text \(characters, no white space\) "
                       r"(\d+) / (\d+);", done.stdout, flags=re.M)
    assert {kind for kind, *_ in found} == {"unhcr", "health"}, done.stdout
    for _kind, real_pages, pages, real_chars, chars in found:
        assert abs(int(real_pages) - int(pages)) <= 1
        assert abs(int(real_chars) - int(chars)) <= 0.1 * int(real_chars)
