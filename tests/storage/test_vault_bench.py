"""The vault benchmarks at a small size, so that a regression shows in the ordinary test run.

The full sizes (100,000 cases, 200,000 events) run with `bench/vault_bench.py`; docs/benchmarks.md has results.
"""

from __future__ import annotations

import importlib.util

from tests.conftest import PROJECT_ROOT


def _bench():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("vault_bench", PROJECT_ROOT / "bench" / "vault_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rotation_and_audit_verification_keep_their_budgets():
    results = _bench().measure(cases=10_000, events=50_000, repeat=200)
    # P-28: 100,000 cases in 60 s is 0.6 ms per case; keep a margin for a busy shared machine.
    assert results["rotation_s"] / results["rotated"] <= 0.6e-3
    assert results["events_per_s"] >= 50_000  # G6
    assert results["open_us"] < 5_000
