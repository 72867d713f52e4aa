"""Vault and storage benchmarks (PERFORMANCE.md G5/G6, SECURITY.md P-28), on SQLite in a temporary folder.

    .venv/bin/python bench/vault_bench.py                      # the full sizes: 100,000 cases, 200,000 events
    .venv/bin/python bench/vault_bench.py --cases 10000 --events 50000

Measures: seal and open of one case payload (vault only); one case created and committed (engine, seal,
referrals sealed to agencies, consent, audit, synchronous=FULL commit); key rotation of N cases; audit chain
verification of M events. Prints a Markdown table; `measure()` is also used by the tests at small sizes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from referral import create_app  # noqa: E402
from referral.config import PROJECT_ROOT, Settings  # noqa: E402
from referral.db import get_db  # noqa: E402
from referral.engine import load_guidelines  # noqa: E402
from referral.models import AuditEvent, Case, new_id, now_utc  # noqa: E402
from referral.services import audit  # noqa: E402
from referral.services.cases import create_case, ensure_post  # noqa: E402
from referral.services.intake import load_identity_form  # noqa: E402
from referral.services.keys import rotate_kek  # noqa: E402
from referral.services.users import create_user  # noqa: E402
from referral.vault import provision_keys  # noqa: E402

DEMO = PROJECT_ROOT / "guidelines" / "demo"
FACTS = {"fears_return": "yes", "age_years": 15, "companion": "none", "medical_emergency": "yes"}
IDENTITY = {"given_name": "Benchmark", "family_name": "Person", "date_of_birth": "1990-01-01",
            "document_number": "X1234567", "phone": "+000 000 0000", "notes": "Lorem ipsum dolor sit amet. " * 40}


def _app(folder: Path):  # noqa: ANN202
    settings = Settings(env="testing", data_dir=folder, secret_key="bench-" + "x" * 40, guidelines_dir=DEMO)
    provision_keys(settings.keys_dir, settings.kek_file)
    app = create_app(settings)
    get_db(app).upgrade()
    return app


def _median_us(run, repeat: int) -> float:  # noqa: ANN001
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1e6)
    return statistics.median(samples)


def bench_seal_open(app, repeat: int = 5000) -> dict[str, float]:  # noqa: ANN001
    vault = app.extensions["vault"]
    gset = load_guidelines(DEMO)
    from referral.engine import build_plan

    payload = {"identity": IDENTITY, "facts": FACTS, "plan": build_plan(gset, FACTS, "xd").to_dict()}
    case_id = new_id()
    sealed = vault.seal_case_payload(case_id, 1, payload)
    return {
        "payload_bytes": len(sealed.payload),
        "seal_us": _median_us(lambda: vault.seal_case_payload(case_id, 1, payload), repeat),
        "open_us": _median_us(lambda: vault.open_case_payload(case_id, 1, sealed.payload, sealed.wrapped_key,
                                                              sealed.kek_id), repeat),
    }


def bench_create_case(app, repeat: int = 200) -> dict[str, float]:  # noqa: ANN001
    database = get_db(app)
    gset, form = load_guidelines(DEMO), load_identity_form(PROJECT_ROOT / "forms")
    with database.session() as session:
        post = ensure_post(session=session, code="XD-01", country="xd", name="bench")
        user = create_user(session=session, username="bench", password="bench-password-long", role="official",
                           post_id=post.id)
        session.commit()

        def one() -> None:
            create_case(session=session, vault=app.extensions["vault"], gset=gset, form=form, user=user, post=post,
                        facts=FACTS, identity=IDENTITY, enrol_agency_keys=True)
            session.commit()

        one()  # enrols the agencies' keys once
        return {"create_case_ms": _median_us(one, repeat) / 1000}


def _seed_cases(app, count: int) -> None:  # noqa: ANN001
    vault, database = app.extensions["vault"], get_db(app)
    with database.session() as session:
        post = ensure_post(session=session, code="XD-09", country="xd", name="seed")
        session.commit()
        rows, now = [], now_utc()
        for _ in range(count):
            case_id = new_id()
            sealed = vault.seal_case_payload(case_id, 1, {"identity": {"given_name": "Seed"}})
            rows.append({"id": case_id, "reference": f"XD-09-{case_id[:12]}", "post_id": post.id,
                         "created_at": now, "status": "open", "country": "xd", "urgency": "routine",
                         "categories": [], "guideline_versions": {}, "seal_count": 1,
                         "sealed_payload": sealed.payload, "wrapped_key": sealed.wrapped_key,
                         "kek_id": sealed.kek_id})
        session.connection().execute(Case.__table__.insert(), rows)
        session.commit()


def bench_rotation(app, count: int) -> dict[str, float]:  # noqa: ANN001
    _seed_cases(app, count)
    with get_db(app).session() as session:
        start = time.perf_counter()
        done = rotate_kek(session=session, database=get_db(app), vault=app.extensions["vault"])
        seconds = time.perf_counter() - start
    return {"rotated": done, "rotation_s": seconds}


def _seed_events(app, count: int) -> None:  # noqa: ANN001
    rows, prev, start = [], audit.GENESIS, now_utc()
    with get_db(app).session() as session:
        head = session.exec(audit.select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc())).first()
        first = 1
        if head:
            first, prev = head[0] + 1, head[1]
        for seq in range(first, first + count):
            at = audit.canonical_time(start)
            digest = audit.event_hash(seq, at, 1, 1, "case.open", "case", f"{seq:032x}", "{}", prev)
            rows.append({"seq": seq, "at": start, "actor_id": 1, "post_id": 1, "action": "case.open",
                         "object_type": "case", "object_id": f"{seq:032x}", "detail": "{}", "prev_hash": prev,
                         "hash": digest})
            prev = digest
        session.connection().execute(AuditEvent.__table__.insert(), rows)
        session.commit()
        audit.checkpoint(session, app.extensions["vault"])


def bench_audit_verify(app, count: int) -> dict[str, float]:  # noqa: ANN001
    _seed_events(app, count)
    with get_db(app).read_session() as session:
        start = time.perf_counter()
        report = audit.verify_chain(session, app.extensions["vault"])
        seconds = time.perf_counter() - start
    assert report.ok, report
    return {"events": report.events, "verify_s": seconds, "events_per_s": report.events / seconds}


def measure(cases: int, events: int, repeat: int = 2000) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="referral-bench-") as folder:
        app = _app(Path(folder))
        results = {**bench_seal_open(app, repeat), **bench_create_case(app, max(20, repeat // 20))}
        results.update(bench_rotation(app, cases))
        results.update(bench_audit_verify(app, events))
        get_db(app).dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    r = measure(args.cases, args.events, repeat=5000)
    if args.json:
        print(json.dumps(r, indent=2))
        return
    print("| What | Result | Goal |\n| --- | --- | --- |")
    print(f"| Seal one case payload ({r['payload_bytes']:.0f} B sealed, fresh data key, wrap) | "
          f"{r['seal_us']:.0f} µs (median) | — |")
    print(f"| Open one case payload (unwrap, decrypt, parse) | {r['open_us']:.0f} µs (median) | — |")
    print(f"| Create one case and commit (engine, seal, 4 referrals sealed to agencies, consent, audit, "
          f"SQLite FULL) | {r['create_case_ms']:.2f} ms (median) | G5: ≥ 150/s |")
    print(f"| Key rotation of {r['rotated']:,} cases | {r['rotation_s']:.1f} s | P-28: ≤ 60 s |")
    print(f"| Audit chain verification, {r['events']:,} events | {r['events_per_s']:,.0f} events/s "
          f"({r['verify_s']:.1f} s) | G6: ≥ 50,000 events/s |")


if __name__ == "__main__":
    main()
