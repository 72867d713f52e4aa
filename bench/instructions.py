"""Deterministic CPU gates (PERFORMANCE.md §5.4, G3, G9): callgrind instruction counts of three operations.

    .venv/bin/python bench/instructions.py            # measure; exit 1 when a count is > 5 % above its baseline
    .venv/bin/python bench/instructions.py --update   # measure, rewrite the baseline and docs/benchmarks.md
    .venv/bin/python bench/instructions.py --twice    # measure twice: do the counts repeat (within 1 %)?

The three operations, on fixed inputs:

- **engine**: ``next_step`` on the demonstration guidelines, at every state of one screening walk (a persona drawn
  with a fixed seed, as bench/engine_bench.py draws them; the states are computed before measuring); the count
  is per ``next_step`` call.
- **vault**: seal, then open, the payload of one case (the identity and facts of the realistic case of
  bench/slips_bench.py and its plan, built as bench/vault_bench.py builds it) with the vault's keys; per seal and
  open.
- **slip**: ``render_slip`` of the realistic case of bench/slips_bench.py, its Russian slip then its Dari slip;
  per slip (the mean of the two).

How: each operation has a small driver (this script with ``--driver``) that loads what it needs, warms up (the
worker warm-up of ``referral serve`` for slips, then a few operations), freezes the garbage collector's old
objects, then performs the operation n times. It runs under ``valgrind --tool=callgrind --instr-atstart=no
--collect-atstart=no``: start-up, imports and warm-up run uninstrumented (about 10 times faster than counted
code, by far), and the driver itself switches instrumentation on and collection on just before its loop and collection
off just after, with callgrind's client requests (CALLGRIND_START_INSTRUMENTATION, CALLGRIND_TOGGLE_COLLECT of
valgrind/callgrind.h). Python cannot issue those requests directly, and we do not want a C compiler among the
test dependencies, so ``ClientRequests`` puts valgrind.h's magic instruction sequence for x86-64 (a 28-byte
function) in a page of executable memory and calls it through ctypes; outside valgrind it does nothing. The count
is then that of the loop alone, divided by the operations done. ``--toggle-collect=FUNCTION`` would need a C
function that wraps only the loop, and the Python builtins that could (``exec``, ``eval``) run during imports too.

On another architecture (or with ``--method difference``) each driver runs twice, with n and 3 n operations, fully
instrumented, and the count per operation is the difference of the two totals divided by 2 n (start-up and
imports cancel out); it agreed with the client requests within 0.5 % for all three here, but takes several times
as long (engine and vault: 98 s instead of 12 s).

The case, the keys and the database are prepared outside valgrind (hashing the official's password alone would
take minutes under it), in a temporary folder; a native run of each driver first writes the bytecode caches.
PYTHONHASHSEED=0 and the fixed inputs make the counts repeat: ``--twice`` prepares and measures everything twice
and says by how much they differ (they must agree within 1 %; each preparation makes new keys, so the slip's
codes and QR code differ, and the data keys and nonces of every seal are new).

The baseline (bench/instructions-baseline.json, with the date and the Python, WeasyPrint, Pango, HarfBuzz and
valgrind versions) is rewritten by ``--update``. Without it, a count more than 5 % above its baseline fails the
gate (exit 1); one more than 5 % below is reported: time to update the baseline. Instruction counts are not
time (they ignore cache misses and waiting), but they do not depend on how busy the machine is.

valgrind runs on core 0 (``taskset -c 0``, ``--cpu``) so that the other core stays free for timing benchmarks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = Path(__file__).resolve().parent / "instructions-baseline.json"
START, END = "<!-- instructions-bench:start -->", "<!-- instructions-bench:end -->"
SECRET = "instructions-bench-" + "x" * 32  # a throwaway app secret for the temporary folder
TOLERANCE = 0.05  # §5.4: fail when a count grows more than 5 %
REPEAT_TOLERANCE = 0.01
# n for each operation (with --method difference, the runs use n and 3 n).
REPEATS = {"engine": 20, "vault": 200, "slip": 1}
WARMUP = {"engine": 5, "vault": 50, "slip": 2}
UNITS = {"engine": "per next_step call", "vault": "per seal and open of one case", "slip": "per slip"}
COUNTED = {"engine": "calls", "vault": "seals and opens", "slip": "slips"}
SEED = 7


# --- the drivers (run under valgrind) -------------------------------------------------------------------------

def _walk(gset, facts: dict) -> list:  # noqa: ANN001
    """The answers before each question of one persona's walk, as an official answers (and after the last)."""
    from referral.engine import Answers, answer, next_step

    states, answers = [], Answers()
    while True:
        states.append(answers)
        question = next_step(gset, answers)
        if question is None:
            return states
        node, value = question.node, facts.get(question.fact, "unknown")
        if node.answer_type == "multi":
            value = (value if isinstance(value, frozenset) else frozenset()) & frozenset(node.options)
        elif node.answer_type == "choice" and value not in question.choices:
            value = question.choices[-1]
        answers = answer(gset, answers, question, value)


def _walk_states(gset) -> list:  # noqa: ANN001
    """The states of the longest walk among 20 personas drawn with a fixed seed (bench/engine_bench.py's draw)."""
    import random

    sys.path.insert(0, str(ROOT / "bench"))
    from engine_bench import persona

    rng = random.Random(SEED)
    return max((_walk(gset, persona(gset.vocab, rng)) for _ in range(20)), key=len)


def _engine(folder: Path):  # noqa: ANN202, ARG001 - every driver takes the prepared folder
    from referral.engine import load_guidelines, next_step

    gset = load_guidelines(ROOT / "guidelines" / "demo")
    states = _walk_states(gset)

    def operation() -> int:
        for state in states:
            next_step(gset, state)
        return len(states)

    return operation


def _vault(folder: Path):  # noqa: ANN202
    from referral.config import Settings
    from referral.engine import build_plan, load_guidelines
    from referral.vault import Vault

    sys.path.insert(0, str(ROOT / "bench"))
    from slips_bench import FACTS, IDENTITY  # the realistic case (stdlib imports only, unlike vault_bench)

    settings = Settings(env="testing", data_dir=folder, secret_key=SECRET)
    vault = Vault.load(settings.keys_dir, settings.kek_file)
    payload = {"identity": IDENTITY, "facts": FACTS,
               "plan": build_plan(load_guidelines(ROOT / "guidelines" / "demo"), FACTS, "xd").to_dict()}
    case_id = "C" * 26

    def operation() -> int:
        sealed = vault.seal_case_payload(case_id, 1, payload)
        vault.open_case_payload(case_id, 1, sealed.payload, sealed.wrapped_key, sealed.kek_id)
        return 1

    return operation


def _slip(folder: Path):  # noqa: ANN202
    from sqlmodel import select

    from referral import create_app
    from referral.cli.serve import warm_worker
    from referral.config import Settings
    from referral.db import get_db
    from referral.engine import load_guidelines
    from referral.models import Referral
    from referral.services import slips
    from referral.services.intake import load_identity_form

    sys.path.insert(0, str(ROOT / "bench"))
    from slips_bench import DEMO, _environment

    settings = Settings.from_env(_environment(folder, SECRET))
    app = create_app(settings)
    gset, form, vault = load_guidelines(DEMO), load_identity_form(settings.forms_dir), app.extensions["vault"]
    context = app.app_context()
    context.push()
    db = get_db(app).read_session().__enter__()  # held for the process's life, as a request would
    referrals = {r.kind: r for r in db.exec(select(Referral))}
    pair = [referrals["unhcr"], referrals["health"]]  # the Russian slip, then the Dari slip
    # valgrind runs a slip some 50 times slower than the limit of a real one allows; the limit's code still runs.
    slips.RENDER_TIME_LIMIT = 3600.0
    warm_worker(app)

    def operation() -> int:
        for referral in pair:
            slips.render_slip(session=db, vault=vault, gset=gset, form=form, referral=referral)
        return len(pair)

    return operation


DRIVERS = {"engine": _engine, "vault": _vault, "slip": _slip}


class ClientRequests:
    """Callgrind's client requests (valgrind.h), from Python: the magic instruction sequence for x86-64 in a page
    of executable memory, called through ctypes. Outside valgrind the sequence does nothing and returns 0."""

    # valgrind.h, amd64: %rax = the request's six words, %rdx = the default result, then four rotations of %rdi
    # (by 128 bits in all: no change) and xchg %rbx,%rbx; valgrind answers in %rdx. As a function of one
    # argument (the words, in %rdi): mov %rdi,%rax; xor %edx,%edx; <sequence>; mov %rdx,%rax; ret.
    CODE = bytes.fromhex("4889f8" "31d2" "48c1c703" "48c1c70d" "48c1c73d" "48c1c733" "4887db" "4889d0" "c3")
    RUNNING_ON_VALGRIND = 0x1001
    _CALLGRIND = (ord("C") << 24) | (ord("T") << 16)
    TOGGLE_COLLECT, START_INSTRUMENTATION = _CALLGRIND + 2, _CALLGRIND + 4

    def __init__(self) -> None:
        import ctypes
        import mmap

        self._page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        self._page.write(self.CODE)
        address = ctypes.addressof(ctypes.c_char.from_buffer(self._page))
        self._call = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.POINTER(ctypes.c_uint64))(address)
        self._words = (ctypes.c_uint64 * 6)()

    def __call__(self, request: int) -> int:
        self._words[0] = request
        return self._call(self._words)


def client_requests_work() -> bool:
    """Whether this machine can send callgrind client requests from Python: x86-64, and a page that may be both
    written and executed (a hardened kernel may refuse one; then the counts come by difference)."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return False
    try:
        ClientRequests()(ClientRequests.RUNNING_ON_VALGRIND)
    except (OSError, ValueError):
        return False
    return True


def drive(name: str, repeats: int, folder: Path, method: str) -> None:
    """Warm up, then perform the operation ``repeats`` times (what valgrind counts; prints how many units)."""
    import gc

    operation = DRIVERS[name](folder)
    for _ in range(WARMUP[name]):
        operation()
    gc.collect()
    gc.freeze()
    if method == "requests":
        requests = ClientRequests()
        if not requests(ClientRequests.RUNNING_ON_VALGRIND):
            sys.exit("the requests method needs valgrind --instr-atstart=no --collect-atstart=no")
        requests(ClientRequests.START_INSTRUMENTATION)
        requests(ClientRequests.TOGGLE_COLLECT)  # on: counted from here...
        units = 0
        for _ in range(repeats):
            units += operation()
        requests(ClientRequests.TOGGLE_COLLECT)  # ... to here
    else:
        units = sum(operation() for _ in range(repeats))
    print(f"units {units}")


# --- measuring --------------------------------------------------------------------------------------------------

def prepare(folder: Path, names: tuple[str, ...] = tuple(DRIVERS)) -> None:
    """The keys, database and case that the drivers use (outside valgrind: the password hashing alone would take
    minutes under it), then one native run of each driver, which writes the bytecode caches."""
    sys.path.insert(0, str(ROOT / "bench"))
    from slips_bench import prepare as prepare_case

    from referral.db import get_db

    app, _referrals = prepare_case(folder, SECRET)
    get_db(app).dispose()
    for name in names:
        subprocess.run([sys.executable, __file__, "--driver", name, "1", str(folder), "plain"], check=True,
                       env=_environment(), stdout=subprocess.DEVNULL)


def _environment() -> dict[str, str]:
    return {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}


def callgrind(name: str, repeats: int, folder: Path, cpu: int, method: str) -> tuple[int, int]:
    """(instructions, units) of one driver run under callgrind: of the measured loop only (requests), or of the
    whole run (difference)."""
    options = ["--instr-atstart=no", "--collect-atstart=no"] if method == "requests" else []
    with tempfile.TemporaryDirectory(prefix="callgrind-") as scratch:
        out = Path(scratch) / "callgrind.out"
        done = subprocess.run(
            ["taskset", "-c", str(cpu), "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             "--dump-line=no", "--compress-strings=no", *options, sys.executable, __file__, "--driver", name,
             str(repeats), str(folder), method],
            env=_environment(), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"the {name} driver failed under valgrind:\n{done.stderr[-3000:]}")
        totals = re.search(r"^(?:totals|summary): (\d+)", out.read_text(errors="replace"), flags=re.M)
        units = re.search(r"^units (\d+)$", done.stdout, flags=re.M)
        return int(totals.group(1)), int(units.group(1))


def measure(folder: Path, cpu: int = 0, names: tuple[str, ...] = tuple(DRIVERS),
            method: str = "requests") -> dict[str, dict[str, float]]:
    """Instructions per operation of each driver: counted around its loop of n operations (requests), or the
    difference between a run of n and one of 3 n (difference)."""
    results = {}
    for name in names:
        started = time.perf_counter()
        if method == "requests":
            instructions, units = callgrind(name, REPEATS[name], folder, cpu, method)
        else:
            low_ir, low_units = callgrind(name, REPEATS[name], folder, cpu, method)
            high_ir, high_units = callgrind(name, 3 * REPEATS[name], folder, cpu, method)
            instructions, units = high_ir - low_ir, high_units - low_units
        results[name] = {"instructions": round(instructions / units), "units": units,
                         "seconds": round(time.perf_counter() - started, 1)}
    return results


def versions() -> dict[str, str]:
    """What the counts depend on besides our code."""
    import ctypes.util

    import weasyprint
    from weasyprint.text.ffi import pango

    number = pango.pango_version()
    harfbuzz = ctypes.CDLL(ctypes.util.find_library("harfbuzz"))
    harfbuzz.hb_version_string.restype = ctypes.c_char_p
    valgrind = subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout.strip()
    return {"python": platform.python_version(), "weasyprint": weasyprint.__version__,
            "pango": f"{number // 10000}.{number // 100 % 100}.{number % 100}",
            "harfbuzz": harfbuzz.hb_version_string().decode(), "valgrind": valgrind.removeprefix("valgrind-"),
            "machine": platform.machine()}


def compare(counts: dict[str, int], baseline: dict[str, int], tolerance: float = TOLERANCE) -> tuple[list, list]:
    """(regressions, improvements): the operations more than ``tolerance`` above, and below, their baseline; an
    operation without a baseline is a regression (the baseline must be updated on purpose)."""
    regressions, improvements = [], []
    for name, count in counts.items():
        base = baseline.get(name)
        if not base:
            regressions.append((name, count, None))
        elif count > base * (1 + tolerance):
            regressions.append((name, count, base))
        elif count < base * (1 - tolerance):
            improvements.append((name, count, base))
    return regressions, improvements


def report(results: dict[str, dict[str, float]], found: dict[str, str], date: str, method: str) -> str:
    lines = [START, "",
             f"`.venv/bin/python bench/instructions.py --update`, {date}: instructions per operation counted by "
             f"`valgrind --tool=callgrind` (valgrind {found['valgrind']}, Python {found['python']}, WeasyPrint "
             f"{found['weasyprint']}, Pango {found['pango']}, HarfBuzz {found['harfbuzz']}, {found['machine']}), "
             + ("around the loop of n operations only, after a warm-up (the driver switches callgrind's "
                "instrumentation and collection on and off with client requests). " if method == "requests" else
                "as the difference between a run of n and a run of 3 n operations, so that start-up and imports "
                "cancel out. ")
             + "PYTHONHASHSEED=0 and fixed inputs (`--twice` checks that two runs agree within 1 %). These are the "
             "baseline of the gate in bench/instructions-baseline.json: `make test` fails when a count grows more "
             "than 5 % (PERFORMANCE.md §5.4). Counts are not time, but they do not depend on how busy the machine "
             "is.", "",
             "| Operation | Instructions | Counted over | Time under valgrind |", "| --- | --- | --- | --- |"]
    what = {"engine": "Decision engine: `next_step` on the demonstration guidelines, at each state of one walk",
            "vault": "Vault: seal and open one case's payload (AES-256-GCM, a data key per case)",
            "slip": "Slip: `render_slip` of the realistic case (gather, word, render, sign), Russian and Dari"}
    for name, result in results.items():
        lines.append(f"| {what[name]} | **{result['instructions']:,}** {UNITS[name]} | {result['units']} "
                     f"{COUNTED[name]} | {result['seconds']:.0f} s |")
    lines += ["", END]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the baseline and docs/benchmarks.md")
    parser.add_argument("--twice", action="store_true", help="measure twice and say how far the counts differ")
    parser.add_argument("--baseline", type=Path, default=BASELINE, help="the baseline file to compare with")
    parser.add_argument("--cpu", type=int, default=0, help="the core valgrind runs on")
    parser.add_argument("--only", choices=sorted(DRIVERS), action="append", help="measure only these operations")
    parser.add_argument("--method", choices=("requests", "difference"),
                        default="requests" if client_requests_work() else "difference",
                        help="count around the loop with client requests (x86-64), or by difference of two runs")
    parser.add_argument("--driver", nargs=4, metavar=("NAME", "N", "FOLDER", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.driver:
        name, repeats, folder, method = args.driver
        drive(name, int(repeats), Path(folder), method)
        return
    if not shutil.which("valgrind"):
        sys.exit("valgrind is missing: run deploy/install.sh --tests")
    names = tuple(args.only or DRIVERS)
    runs = []
    for _ in range(2 if args.twice else 1):
        with tempfile.TemporaryDirectory(prefix="instructions-") as temporary:
            folder = Path(temporary) / "data"
            prepare(folder, names)
            runs.append(measure(folder, args.cpu, names, args.method))
    results = runs[-1]
    for name, result in results.items():
        print(f"{name}: {result['instructions']:,} instructions {UNITS[name]} ({result['units']} {COUNTED[name]}, "
              f"{result['seconds']:.0f} s under valgrind)")
    failed = False
    if args.twice:
        for name in names:
            first, second = runs[0][name]["instructions"], runs[1][name]["instructions"]
            spread = abs(second - first) / first
            print(f"{name}: twice {first:,} and {second:,}: {100 * spread:.2f} % apart")
            failed |= spread > REPEAT_TOLERANCE
    counts = {name: result["instructions"] for name, result in results.items()}
    if args.update:
        found, date = versions(), time.strftime("%Y-%m-%d")
        args.baseline.write_text(json.dumps({"date": date, "versions": found, "units": UNITS, "counts": counts},
                                            indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        from report_section import write_section  # this script's folder is on sys.path when it is run

        write_section(report(results, found, date, args.method), START, END, heading="Instruction counts (callgrind)")
        print(f"baseline written to {args.baseline}")
        sys.exit(1 if failed else 0)
    if not args.baseline.is_file():
        sys.exit(f"no baseline at {args.baseline}: run with --update")
    recorded = json.loads(args.baseline.read_text(encoding="utf-8"))
    baseline = recorded["counts"]
    regressions, improvements = compare(counts, {name: baseline.get(name) for name in names})
    if regressions or improvements:  # a count that moved with a library, not with our code, says so
        changed = {name: (was, now) for name, now in versions().items()
                   if (was := recorded.get("versions", {}).get(name)) and was != now}
        for name, (was, now) in changed.items():
            print(f"note: {name} is {now} here, {was} when the baseline was written")
    for name, count, base in regressions:
        print(f"FAIL {name}: {count:,} instructions, baseline {base:,}: {100 * (count / base - 1):+.1f} %"
              if base else f"FAIL {name}: no baseline (run with --update)")
    for name, count, base in improvements:
        print(f"{name}: {count:,} instructions, {100 * (1 - count / base):.1f} % below its baseline {base:,}: "
              "time to update the baseline (--update)")
    sys.exit(1 if failed or regressions else 0)


if __name__ == "__main__":
    main()
