"""The callgrind instruction gate (PERFORMANCE.md §5.4): the engine step, the seal and open of a case and a slip
must not cost more than 5 % more instructions than bench/instructions-baseline.json says.

It runs in the ordinary suite: the three counts take about a minute under valgrind, on one core. After a change
that costs more on purpose, rewrite the baseline with `.venv/bin/python bench/instructions.py --update`.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys

from tests.conftest import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "bench" / "instructions.py"


def _gate():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("instructions", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*arguments: str) -> subprocess.CompletedProcess:
    assert shutil.which("valgrind"), "valgrind is missing: run deploy/install.sh --tests"
    return subprocess.run([sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True, timeout=900)


def test_a_count_more_than_5_percent_above_its_baseline_fails_and_one_below_asks_for_an_update():
    compare = _gate().compare
    baseline = {"engine": 1000, "vault": 1000, "slip": 1000}
    assert compare({"engine": 1050, "vault": 951, "slip": 1000}, baseline) == ([], [])
    regressions, improvements = compare({"engine": 1051, "vault": 949, "slip": 1000}, baseline)
    assert regressions == [("engine", 1051, 1000)] and improvements == [("vault", 949, 1000)]
    assert compare({"engine": 1}, {})[0] == [("engine", 1, None)]  # no baseline: update it on purpose


def test_the_instruction_counts_keep_their_baseline():
    done = _run()
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    for name in ("engine", "vault", "slip"):
        assert f"{name}: " in done.stdout and "instructions per" in done.stdout


def test_the_gate_fails_when_a_count_grows(tmp_path):
    """A scratch baseline 10 % below the committed engine count: the same code now counts as a regression."""
    baseline = json.loads((PROJECT_ROOT / "bench" / "instructions-baseline.json").read_text(encoding="utf-8"))
    baseline["counts"]["engine"] = round(baseline["counts"]["engine"] * 0.9)
    scratch = tmp_path / "baseline.json"
    scratch.write_text(json.dumps(baseline), encoding="utf-8")
    done = _run("--only", "engine", "--baseline", str(scratch))
    assert done.returncode == 1, done.stdout + done.stderr[-3000:]
    assert "FAIL engine" in done.stdout
