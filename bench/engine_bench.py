"""Benchmark of the decision engine (PERFORMANCE.md, G9): next question, a whole plan, 1,000 personas.

    .venv/bin/python bench/engine_bench.py            # measure and write the results into docs/benchmarks.md
    .venv/bin/python bench/engine_bench.py --quick    # a smoke run: few personas, nothing written

Personas are drawn at random (fixed seed) from the fact vocabulary, so every tree and branch gets exercised.
Each persona is walked question by question, as an official would, timing every `next_step` call; then its
whole plan is built against a random country pathway.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from referral.engine import Answers, answer, build_plan, load_guidelines, next_step  # noqa: E402
from referral.engine.guideline_set import check_guidelines  # noqa: E402

CODES = {"language": ["ru", "prs", "ps", "tg", "uz", "ky", "en"], "country_of_origin": ["AF", "SY", "UZ", "none"]}
START, END = "<!-- engine-bench:start -->", "<!-- engine-bench:end -->"


def persona(vocab, rng: random.Random) -> dict[str, object]:
    facts: dict[str, object] = {}
    for fact_id, spec in vocab.facts.items():
        if spec.derived or not spec.asked:
            continue
        if spec.type in ("tri", "enum"):
            facts[fact_id] = rng.choice(spec.choices())
        elif spec.type == "set":
            facts[fact_id] = frozenset(v for v in spec.values if rng.random() < 0.15)
        elif spec.type == "int":
            facts[fact_id] = rng.choice([rng.randint(spec.minimum or 0, 90), rng.randint(1, 17), "unknown"])
        else:
            facts[fact_id] = rng.choice(CODES.get(fact_id, ["unknown"]))
    return facts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(root: Path, count: int, seed: int = 7) -> dict[str, object]:
    started = time.perf_counter()
    check_guidelines(root)
    cold_load = time.perf_counter() - started
    gset = load_guidelines(root)
    rng = random.Random(seed)
    personas = [persona(gset.vocab, rng) for _ in range(count)]
    countries = sorted(gset.pathways) or [None]

    step_times: list[float] = []
    questions = 0
    for facts in personas:
        answers = Answers()
        while True:
            started = time.perf_counter()
            question = next_step(gset, answers)
            step_times.append(time.perf_counter() - started)
            if question is None:
                break
            questions += 1
            node = question.node
            value = facts.get(question.fact, "unknown")
            if node.answer_type == "multi":
                value = (value if isinstance(value, frozenset) else frozenset()) & frozenset(node.options)
            elif node.answer_type == "choice" and value not in question.choices:
                value = question.choices[-1]
            answers = answer(gset, answers, question, value)

    plan_times: list[float] = []
    worst, worst_findings = personas[0], -1
    started_all = time.perf_counter()
    for facts in personas:
        started = time.perf_counter()
        plan = build_plan(gset, facts, rng.choice(countries))
        plan_times.append(time.perf_counter() - started)
        if len(plan.findings) > worst_findings:
            worst, worst_findings = facts, len(plan.findings)
    all_plans = time.perf_counter() - started_all

    worst_times = []
    for _ in range(200 if count >= 100 else 5):
        started = time.perf_counter()
        build_plan(gset, worst, countries[0])
        worst_times.append(time.perf_counter() - started)
    return {
        "set": str(root.relative_to(ROOT)) if root.is_relative_to(ROOT) else str(root),
        "trees": len(gset.trees), "nodes": sum(len(t.nodes) for t in gset.trees), "personas": count,
        "questions": questions, "cold_load_ms": cold_load * 1000,
        "step_p50_ms": percentile(step_times, 0.5) * 1000, "step_p99_ms": percentile(step_times, 0.99) * 1000,
        "step_max_ms": max(step_times) * 1000,
        "plan_p50_ms": percentile(plan_times, 0.5) * 1000, "plan_p99_ms": percentile(plan_times, 0.99) * 1000,
        "worst_findings": worst_findings, "worst_median_ms": statistics.median(worst_times) * 1000,
        "worst_p99_ms": percentile(worst_times, 0.99) * 1000, "all_plans_s": all_plans,
    }


def report(results: list[dict[str, object]]) -> str:
    lines = [START, "",
             f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, Python {platform.python_version()}, "
             "one process (`make bench`, or `.venv/bin/python bench/engine_bench.py`); the machine may be shared, so "
             "read the real trees against the demonstration set measured in the same run.", "",
             "| set | trees / nodes | personas / questions | next question p50 / p99 / max | plan p50 / p99 "
             "| worst persona (findings): median / p99 | all personas' plans | cold load + check |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(
            f"| `{r['set']}` | {r['trees']} / {r['nodes']} | {r['personas']} / {r['questions']} "
            f"| {r['step_p50_ms']:.3f} / {r['step_p99_ms']:.3f} / {r['step_max_ms']:.3f} ms "
            f"| {r['plan_p50_ms']:.3f} / {r['plan_p99_ms']:.3f} ms "
            f"| ({r['worst_findings']}) {r['worst_median_ms']:.3f} / {r['worst_p99_ms']:.3f} ms "
            f"| {r['all_plans_s']:.2f} s | {r['cold_load_ms']:.0f} ms |")
    lines += ["", "Goals (G9): next question p99 ≤ 2 ms; a whole plan for the worst persona ≤ 20 ms; 1,000 "
              "personas ≤ 10 s. A next question walks every tree from its start over the facts known so far, "
              "so its cost grows with the depth of the trees, not with the number of answers.", "", END]
    return "\n".join(lines)


def write(text: str) -> None:
    from report_section import write_section  # this script's folder is on sys.path when it is run

    write_section(text, START, END, heading="Decision engine (G9)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run with 20 personas; writes nothing")
    args = parser.parse_args()
    count = 20 if args.quick else 1000
    sets = [ROOT / "guidelines" / "demo"]
    if any((ROOT / "guidelines" / "trees").glob("*.yaml")):
        sets.insert(0, ROOT / "guidelines")
    results = [measure(root, count) for root in sets]
    text = report(results)
    print(text)
    if not args.quick:
        write(text)


if __name__ == "__main__":
    main()
