"""P-29: referrals go only to agencies with a data-sharing agreement in force and a pinned, unexpired key.

In production, an agency whose pathway entry has no agreement, an expired agreement, no pinned key, a pinned key
that differs from the enrolled one, or an expired key receives no deliverable referral: each is held with its
reason, audited, and the administrator's page says what is wrong. Outside production the demonstration still works.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from referral import create_app
from referral.db import get_db
from referral.engine import guideline_set, load_guidelines
from referral.models import Agency, AgencyKey, AuditEvent, Referral, now_utc
from referral.services.cases import agency_clearance, create_case
from referral.services.intake import load_identity_form
from referral.services.organisation import agencies_by_country, enrol_key
from tests.conftest import DEMO_GUIDELINES, GUIDELINES
from tests.storage.factories import FACTS, IDENTITY, PASSWORD, make_people, open_session
from tests.web.conftest import sign_in

AGENCIES = ("unhcr", "iom", "child_protection", "anti_trafficking", "health", "legal_aid", "red_crescent",
            "consular")
TODAY = now_utc().date()
LATER, SOON, PAST = TODAY + timedelta(days=365), TODAY + timedelta(days=10), TODAY - timedelta(days=1)


def _pathway(pins: dict[str, str], unhcr: dict[str, object]) -> str:
    """The demonstration country XD with every agency cleared, except what ``unhcr`` overrides for UNHCR."""
    lines = ["country: XD", "name: Demoland (demonstration)", "destinations:",
             "  national_asylum_authority: {fallback: unhcr}", "  psychosocial: {fallback: health}"]
    for kind in AGENCIES:
        entry = {"name": f"{kind} (demonstration)", "slip_language": "ru", "key_fingerprint": pins[kind],
                 "key_valid_until": LATER.isoformat(), "agreement": f"{{id: XD-T-{kind}, valid_until: {LATER}}}"}
        if kind == "unhcr":
            entry.update(unhcr)
        lines.append(f"  {kind}:")
        lines.extend(f"    {key}: {value}" for key, value in entry.items() if value is not None)
    return "\n".join(lines) + "\n"


@pytest.fixture
def guidelines_root(tmp_path: Path) -> Path:
    root = tmp_path / "guidelines"
    shutil.copytree(DEMO_GUIDELINES / "trees", root / "trees")
    shutil.copytree(DEMO_GUIDELINES / "pathways", root / "pathways")
    shutil.copy(GUIDELINES / "facts.yaml", root / "facts.yaml")
    return root


@pytest.fixture
def production(store_settings, guidelines_root, monkeypatch):
    """A production app on the backend under test, with a key enrolled for every agency of XD."""
    monkeypatch.setattr(guideline_set, "RECHECK_SECONDS", 0)  # the tests rewrite the pathway between steps
    app = create_app(store_settings.with_overrides(env="production", guidelines_dir=guidelines_root))
    get_db(app).upgrade()
    with open_session(app) as session:
        people = make_people(session)
        gset = load_guidelines(guidelines_root)
        pins = {kind: enrol_key(session=session, vault=app.extensions["vault"], gset=gset, country="xd", kind=kind,
                                actor_id=people.admin.id).fingerprint for kind in AGENCIES}
        session.commit()
    yield app, people, pins
    get_db(app).dispose()


def _write(root: Path, pins: dict[str, str], unhcr: dict[str, object]) -> None:
    (root / "pathways" / "xd.yaml").write_text(_pathway(pins, unhcr), encoding="utf-8")


def _create(app, people, enrol: bool):  # noqa: ANN001, ANN202
    settings = app.extensions["referral.settings"]
    with open_session(app) as session:
        case = create_case(session=session, vault=app.extensions["vault"],
                           gset=load_guidelines(settings.guidelines_dir), form=load_identity_form(settings.forms_dir),
                           user=people.official, post=people.post, facts=FACTS, identity=IDENTITY,
                           enrol_agency_keys=enrol)
        session.commit()
        agencies = {a.id: a.kind for a in session.exec(select(Agency))}
        referrals = {agencies.get(r.agency_id): r for r in
                     session.exec(select(Referral).where(Referral.case_id == case.id))}
        events = {e.object_id: e for e in session.exec(select(AuditEvent).where(
            AuditEvent.action.in_(("referral.held", "referral.unapproved"))))}
        return referrals, events


def _agencies_page(app) -> str:  # noqa: ANN001
    client = app.test_client()
    assert sign_in(client, "admin", PASSWORD).status_code == 303
    page = client.get("/admin/agencies")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _unhcr_row(page: str) -> str:
    rows = re.findall(r"<tr>.*?</tr>", page, flags=re.S)
    return next(row for row in rows if "unhcr (demonstration)" in row)


BLOCKED = [
    # (what UNHCR's entry has instead, the referral's reason, the words on the administrator's page)
    ({"agreement": None}, "agency_agreement_missing", "No data-sharing agreement in the pathway"),
    ({"agreement": f"{{id: XD-T-unhcr, valid_until: {PAST}}}"}, "agency_agreement_expired",
     "Data-sharing agreement expired"),
    ({"key_valid_until": PAST.isoformat()}, "agency_key_expired", "Pinned key expired"),
    ({"key_fingerprint": None, "key_valid_until": None}, "agency_key_not_pinned", "Key not pinned in the pathway"),
    ({"key_fingerprint": "fe" * 32}, "agency_key_mismatch", "Enrolled key differs from the pinned one"),
]


@pytest.mark.parametrize(("unhcr", "reason", "words"), BLOCKED, ids=[case[1] for case in BLOCKED])
def test_production_holds_every_referral_to_an_unapproved_agency(production, guidelines_root, unhcr, reason, words):
    app, people, pins = production
    _write(guidelines_root, pins, unhcr)
    referrals, events = _create(app, people, enrol=False)

    held = referrals["unhcr"]
    assert (held.status, held.status_reason) == ("held", reason)
    assert held.sealed_payload is None and held.agency_key_id is None  # nothing the agency could ever read
    event = events[held.id]
    assert event.action == "referral.held" and f'"reason":"{reason}"' in event.detail.replace(" ", "")
    # The other agencies are cleared: the hold is the agency's, not the case's.
    for kind in ("health", "child_protection", "legal_aid"):
        assert referrals[kind].status == "pending" and referrals[kind].sealed_payload is not None
    with open_session(app) as session:
        deliverable = session.exec(select(Referral).join(Agency, Agency.id == Referral.agency_id).where(
            Agency.kind == "unhcr", Referral.sealed_payload.is_not(None))).all()
    assert deliverable == []

    row = _unhcr_row(_agencies_page(app))
    assert words in row and "Referrals are held" in row


def test_production_delivers_to_a_cleared_agency_and_warns_before_its_agreement_and_key_end(production,
                                                                                          guidelines_root):
    app, people, pins = production
    _write(guidelines_root, pins, {"key_valid_until": SOON.isoformat(),
                                   "agreement": f"{{id: XD-T-unhcr, valid_until: {SOON}}}"})
    referrals, events = _create(app, people, enrol=False)
    cleared = referrals["unhcr"]
    assert cleared.status == "pending" and cleared.sealed_payload is not None and cleared.id not in events
    with open_session(app) as session:
        assert session.get(AgencyKey, cleared.agency_key_id).fingerprint == pins["unhcr"]

    page = _agencies_page(app)
    warning = page.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "Expiring within 30 days" in warning
    assert "the data-sharing agreement XD-T-unhcr ends on" in warning and "the pinned key ends on" in warning
    assert "Referrals are held" not in _unhcr_row(page) and "Ready" in _unhcr_row(page)


def test_the_development_shortcut_keeps_the_demonstration_working(store_app):
    """Outside production the demonstration set (no pinned keys, a consulate without an agreement) still refers:
    keys are generated, and what production would hold is audited and shown, not held."""
    with open_session(store_app) as session:
        people = make_people(session)
    referrals, events = _create(store_app, people, enrol=True)
    assert {kind: r.status for kind, r in referrals.items()} == dict.fromkeys(
        ("health", "child_protection", "unhcr", "legal_aid"), "pending")
    assert all(r.sealed_payload is not None for r in referrals.values())
    reasons = {events[r.id].detail for r in referrals.values()}
    assert all('"held":false' in d.replace(" ", "") and "agency_key_not_pinned" in d for d in reasons)

    gset = load_guidelines(DEMO_GUIDELINES)
    with open_session(store_app) as session:
        lenient = {line.kind: line for line in agencies_by_country(session=session, gset=gset,
                                                                   development=True)["xd"]}
        strict = {line.kind: line for line in agencies_by_country(session=session, gset=gset,
                                                                  development=False)["xd"]}
    assert lenient["consular"].problems == ("no_agreement", "no_key") and not lenient["consular"].held
    assert lenient["unhcr"].problems == ("not_pinned",) and lenient["unhcr"].agreement_id == "XD-DEMO-DSA-UNHCR"
    assert strict["consular"].held and strict["unhcr"].held


def test_the_decision_in_one_place():
    """agency_clearance alone decides; dates are last valid days, so an agreement ending today still holds."""
    from referral.engine.schema import Agency as Entry
    from referral.engine.schema import Agreement

    pin = "ab" * 32
    today = date(2027, 6, 30)
    good = Entry("unhcr", "UNHCR", key_fingerprint=pin.upper(), key_valid_until=today,
                 agreement=Agreement("A-1", today))
    assert agency_clearance(good, pin, today=today).problems == ()
    assert agency_clearance(good, pin, today=today + timedelta(days=1)).problems == (
        "agency_agreement_expired", "agency_key_expired")
    bare = Entry("unhcr", "UNHCR")
    assert agency_clearance(bare, None, today=today).held
    development = agency_clearance(bare, None, today=today, development=True)
    assert not development.held and development.reason == "agency_agreement_missing"
    pinned_elsewhere = agency_clearance(Entry("unhcr", "UNHCR", key_fingerprint=pin), None, today=today,
                                        development=True)
    assert pinned_elsewhere.held and pinned_elsewhere.reason == "agency_key_missing"
    assert agency_clearance(None, pin, today=today, development=True).reason == "no_agency_in_pathway"
