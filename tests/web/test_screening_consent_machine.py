"""P-17, consent comes before transfer: a Hypothesis state machine drives the screening through the web pages
(answer, back, change, consent, refuse, identity, submit, in any order the official might), with the invariants

- no page ever asks an identity field before the destinations were chosen (questions done, consent recorded
  for exactly the destinations of the plan);
- once submitted, every referral's destinations have a consent record (given, or kept by rule with its reason)
  timestamped before the referral, and the records are the decisions the person last gave.

``REFERRAL_P17_EXAMPLES`` sets the number of runs (default 25; the property asks for 1,000).
"""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as run_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlmodel import select

from referral.db import get_db
from referral.engine import load_guidelines
from referral.models import Case, ConsentRecord, Referral, User, utc
from referral.services import screening as service
from referral.services.intake import load_identity_form
from tests.conftest import DEMO_GUIDELINES, PROJECT_ROOT
from tests.web.screening_nav import Official, identity_fields_on

EXAMPLES = int(os.environ.get("REFERRAL_P17_EXAMPLES", "25"))
RADIO = re.compile(r'type="(?:radio|checkbox)" name="value" value="([^"]+)"')
CONSENT = re.compile(r'name="consent-([a-z_]+)" value="yes"')
VALUES = {"date_of_birth": ["", "1990-01-01", "1990-01-01", "01.01.1990"], "phone": ["", "+992 1"]}
CHANGE = re.compile(r'<a href="(/screening/[0-9a-f]{32}/q/[^"]+)">')


@pytest.fixture
def settings(settings):
    return settings.with_overrides(guidelines_dir=DEMO_GUIDELINES)


class Watched(Official):
    """An official whose every page (redirects followed) is checked the moment it arrives."""

    def __init__(self, client, gset, check) -> None:  # noqa: ANN001
        super().__init__(client, gset)
        self.check = check

    def _keep(self, response) -> None:  # noqa: ANN001
        super()._keep(response)
        self.check(response.request.path, response.get_data(as_text=True))


def run_machine(app, official_client, user_id: int) -> Counter:
    """Run the machine; return how often it reached what (submitted cases, referrals, refusals, kept by rule)."""
    stats: Counter = Counter()
    gset = load_guidelines(DEMO_GUIDELINES)
    form = load_identity_form(PROJECT_ROOT / "forms")

    class Screening(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.early_identity: list[str] = []
            self.official = Watched(official_client, gset, self.check_page)
            self.official.starts("fa_AF")
            self.submitted = False
            self.decisions: dict[str, bool] = {}

        def stage(self) -> str:
            with get_db(app).read_session() as db:
                user = db.get(User, user_id)
                draft = service.load(session=db, vault=app.extensions["vault"], user=user,
                                     draft_id=self.official.draft)
            return service.stage(gset, form, draft)

        def check_page(self, path: str, page: str) -> None:
            """An identity field on a page while the destinations are not chosen breaks P-17."""
            if identity_fields_on(page) and self.stage() not in ("identity", "review"):
                self.early_identity.append(path)

        def look(self, url: str) -> str:
            return self.official.get(url).get_data(as_text=True)

        def reply(self, data, page: str) -> None:  # noqa: ANN001
            found = Official.question_on(page)
            if found is None:
                return
            tree, node, _ = found
            kind = self.official.kind(tree, node)
            if kind == "choice":
                self.official.answers(tree, node, data.draw(st.sampled_from(RADIO.findall(page))))
            elif kind == "multi":
                ticked = data.draw(st.lists(st.sampled_from(RADIO.findall(page)), unique=True, max_size=3))
                action = data.draw(st.sampled_from(["save", "none", "unknown"])) if not ticked else "save"
                self.official.answers(tree, node, ticked or None, action)
            elif data.draw(st.booleans()):
                self.official.answers(tree, node, None, "unknown")
            else:
                self.official.answers(tree, node, data.draw(st.sampled_from([1, 2, 12, 17, 30, 64, 70])))

        @precondition(lambda self: not self.submitted)
        @rule(data=st.data(), count=st.integers(1, 8))
        def answer(self, data, count: int) -> None:  # noqa: ANN001
            """Answer the next questions, one page each (several in a row, as an official does)."""
            for _ in range(count):
                page = self.look(f"/screening/{self.official.draft}/next")
                if Official.question_on(page) is None:
                    return
                self.reply(data, page)

        @precondition(lambda self: not self.submitted)
        @rule(data=st.data())
        def back_or_change(self, data) -> None:  # noqa: ANN001
            """Go back to any earlier answer (Back, or a Change link of the plan) and answer it, maybe differently."""
            plan = self.official.get(f"/screening/{self.official.draft}/plan").get_data(as_text=True)
            links = CHANGE.findall(plan) or re.findall(r'href="([^"]+/q/[^"]+)">Back<', plan)
            if links:
                self.reply(data, self.look(data.draw(st.sampled_from(links))))

        @precondition(lambda self: not self.submitted)
        @rule(data=st.data(), refuse_all=st.booleans())
        def consent(self, data, refuse_all: bool) -> None:  # noqa: ANN001
            page = self.look(f"/screening/{self.official.draft}/consent")
            kinds = CONSENT.findall(page)
            if "/consent" not in self.official.urls[-1]:
                return  # not at that stage yet: the page sent elsewhere
            decisions = {kind: False if refuse_all else data.draw(st.booleans()) for kind in kinds}
            self.official.consents(decisions)
            self.decisions = decisions

        @precondition(lambda self: not self.submitted)
        @rule(data=st.data())
        def identity(self, data) -> None:  # noqa: ANN001
            page = self.look(f"/screening/{self.official.draft}/identity")
            fields = identity_fields_on(page)
            if fields:  # mostly right, sometimes a date the form refuses (nothing is lost; asked again)
                values = {name: data.draw(st.sampled_from(VALUES.get(name, ["", "x1"]))) for name in fields}
                self.official.enters_identity(values)

        @precondition(lambda self: not self.submitted)
        @rule(data=st.data())
        def carry_on(self, data) -> None:  # noqa: ANN001
            """Do what the stage asks next, as an official in a hurry does: answer, consent, identity, submit."""
            where = self.stage()
            if where == "questions":
                self.answer(data, 30)
            elif where == "consent":
                self.consent(data, False)
            elif where == "identity":
                self.identity(data)
            else:
                self.submit()

        @precondition(lambda self: not self.submitted)
        @rule()
        def submit(self) -> None:
            response = self.official.submits()
            self.submitted = response.request.path.endswith("/done")
            if self.submitted:
                with get_db(app).read_session() as db:
                    case = db.exec(select(Case).where(Case.idempotency_key == self.official.draft)).one()
                    stats["referrals"] += len(db.exec(select(Referral).where(Referral.case_id == case.id)).all())
                    decisions = db.exec(select(ConsentRecord.decision).where(ConsentRecord.case_id == case.id)).all()
                stats.update(["submitted", *decisions])

        @precondition(lambda self: self.submitted)
        @rule()
        def tap_submit_again(self) -> None:
            """After the case: another tap, Back and submit again, still the one case (R-02)."""
            assert self.official.submits().request.path.endswith("/done")
            with get_db(app).read_session() as db:
                assert len(db.exec(select(Case).where(Case.idempotency_key == self.official.draft)).all()) == 1

        @invariant()
        def no_identity_before_the_destinations_are_chosen(self) -> None:
            assert self.early_identity == []

        @invariant()
        def a_referral_only_after_consent_for_its_destinations(self) -> None:
            if not self.submitted:
                return
            with get_db(app).read_session() as db:
                case = db.exec(select(Case).where(Case.idempotency_key == self.official.draft)).one()
                referrals = db.exec(select(Referral).where(Referral.case_id == case.id)).all()
                records = {r.kind: r for r in db.exec(select(ConsentRecord).where(ConsentRecord.case_id == case.id))}
            for referral in referrals:
                for kind in referral.requested_as:
                    record = records.get(kind)
                    assert record is not None and record.decision in ("given", "kept_by_rule"), (kind, record)
                    assert utc(record.recorded_at) < utc(referral.created_at)
                    assert record.decision != "kept_by_rule" or record.reason
            assert set(records) == set(self.decisions)  # the decisions the person last gave, no other
            for kind, agreed in self.decisions.items():
                assert records[kind].decision in (("given",) if agreed else ("refused", "kept_by_rule"))

    run_state_machine_as_test(Screening, settings=run_settings(
        max_examples=EXAMPLES, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    return stats


@pytest.mark.slow
def test_consent_comes_before_transfer(app, staff, signed_in):
    stats = run_machine(app, signed_in("official"), staff.by_role["official"])
    print(f"P-17: {EXAMPLES} runs, {dict(stats)}")
    assert stats["submitted"] and stats["referrals"]  # the runs reached the point where the property matters
