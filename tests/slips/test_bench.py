"""bench/slips_bench.py keeps working: its in-process part on a few slips, and its report (timing not asserted)."""

from __future__ import annotations

import importlib.util
import re
import secrets

import pytest

from referral.db import get_db
from tests.conftest import PROJECT_ROOT


def test_the_slip_benchmark_measures_and_reports(tmp_path):
    spec = importlib.util.spec_from_file_location("slips_bench", PROJECT_ROOT / "bench" / "slips_bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    app, referrals = bench.prepare(tmp_path / "data", secrets.token_urlsafe(32))
    try:
        g3 = bench.measure_g3(app, referrals, 2, warmup=1, references=1)
    finally:
        get_db(app).dispose()
    assert g3["count"] == 2 and g3["p95"] > 0 and g3["reference_p50"] > 0 and g3["first_warmed_ms"] > 0
    # G3's ReportLab reference slip, measured in the same session, and the ratio against it.
    assert g3["reportlab_p50"] > 0 and g3["ratio"] == pytest.approx(g3["p50"] / g3["reportlab_p50"])
    assert set(g3["reportlab_pages"]) == set(g3["pages"]) == {"unhcr", "health"}
    run = {"slips": 10, "failures": 0, "seconds": 1.0, "rate": 10.0, "p50": 1.0, "p95": 2.0, "p99": 3.0,
           "client_cpu": 0.05}
    g4 = {"runs": [run, {**run, "rate": 12.0}, {**run, "rate": 11.0}], "rate": 11.0, "p99": 3.0, "median_run": run,
          "first_http_ms": [200.0, 210.0], "recycled": 0, "server_cpus": "0-1", "client_cpus": "1", "slips": 30,
          "failures": 0,
          "rss": {"after warm-up": [100.0, 101.0], "after 1,000 slips": [105.0, 104.0], "at the end": [106.0, 104.0]}}
    text = bench.report(g3, g4, 1, 1, 120.0)
    assert text.startswith(bench.START) and text.endswith(bench.END) and "G4 rate" in text and "+4.0 %" in text
    assert "11.0 slips/s" in text and "cores 0-1" in text
    ratio = re.search(r"\| ReportLab reference slip .*? \| p50 ([\d.]+) ms; ratio p50\(slip\) / p50\(reference\) "
                      r"\*\*([\d.]+)\*\* \| G3: ratio ≤ 10", text)
    assert ratio, text
    assert float(ratio.group(1)) > 0 and float(ratio.group(2)) == pytest.approx(g3["ratio"], abs=0.05)
    assert "G3 ratio ≤ 10" in text
