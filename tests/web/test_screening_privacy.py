"""P-18 for the screening: the canary kit in every identity field, DEBUG logging, an injected exception; then
no canary in any URL visited, any log record, any audit event, any session row, any 4xx/5xx body, or the
database files (the draft is sealed like a case, P-01).
"""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from referral.db import get_db
from referral.engine import load_guidelines
from referral.models import AuditEvent, WebSession
from referral.services import screening as service
from tests.conftest import DEMO_GUIDELINES
from tests.storage.canary import CanaryKit
from tests.web.screening_nav import Official

ASYLUM = {"medical_emergency": "yes", "age_apparent": "adult", "age_years": 33, "asylum_wish": "indirect",
          "removal_imminent": "yes", "indicators": frozenset({"controlled_by_companion"}), "group_size": 2,
          "sex": "female", "pregnant": "no", "companion": "spouse_or_partner"}


@pytest.fixture
def settings(settings):
    return settings.with_overrides(guidelines_dir=DEMO_GUIDELINES)


def no_hits(kit: CanaryKit, where: str, data: str | bytes) -> None:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    assert kit.hits_in(raw) == [], where


def test_no_personal_data_in_urls_logs_audit_sessions_error_bodies_or_files(app, staff, signed_in, caplog,
                                                                           monkeypatch, settings):
    caplog.set_level(logging.DEBUG)
    kit = CanaryKit()
    person = kit.identity(7)
    official = Official(signed_in("official"), load_guidelines(DEMO_GUIDELINES))
    bodies = []
    official.starts("ar")
    official.walks(ASYLUM)
    official.consents({kind: True for kind in ("health", "national_asylum_authority", "unhcr", "legal_aid",
                                               "anti_trafficking", "iom", "psychosocial", "red_crescent")})
    wrong = official.enters_identity({**person, "date_of_birth": kit.marker(1), "phone": kit.marker(2)})
    assert kit.hits_in(wrong.get_data()) != []  # shown again in the form, so nothing is lost (a 200 page)
    official.enters_identity(person)

    def broken(**_kwargs):  # an exception whose message holds personal data
        raise RuntimeError(f"cannot submit {person['given_name']} {person['family_name']}")

    monkeypatch.setattr(service, "submit", broken)
    failed = official.submits(follow=False)
    assert failed.status_code == 500
    bodies.append(failed.get_data())
    monkeypatch.undo()
    assert official.submits().request.path.endswith("/done")
    bodies += [official.client.get(f"/screening/{official.draft}/nothing").get_data(),
               official.client.post(f"/screening/{official.draft}/consent", data={}).get_data()]

    for url in official.urls:
        no_hits(kit, f"url {url}", url)
    for record in caplog.records:
        no_hits(kit, f"log {record.name}", record.getMessage() + str(record.args or ""))
    for body in bodies:
        no_hits(kit, "error body", body)
    with get_db(app).read_session() as db:
        for event in db.exec(select(AuditEvent)):
            no_hits(kit, f"audit {event.action}", f"{event.object_id} {event.detail}")
        for row in db.exec(select(WebSession)):
            no_hits(kit, "session", row.data)
    get_db(app).checkpoint_wal()
    for path in settings.data_dir.glob("referral.sqlite3*"):
        no_hits(kit, path.name, path.read_bytes())
    assert kit.cores  # the kit was used
