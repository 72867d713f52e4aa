"""Each destination gets only what it needs (SECURITY.md P-16).

Every identity field carries its own marker. For random sets of destination kinds (what a referral stands for)
the slip must hold exactly the markers of the fields that forms/identity.yaml marks as needed by those kinds:
checked on the slip's HTML for 500 random sets (cheap: no PDF), and on the text pdftotext reads back from the
rendered PDF of every slip of random cases with random refusals of consent. The payload sealed to the agency
(what its inbox shows) carries the same fields.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral.db import get_db
from referral.engine import load_guidelines
from referral.models import AgencyKey
from referral.services import slips
from referral.services.intake import load_identity_form
from referral.services.slip_data import gather
from tests.conftest import DEMO_GUIDELINES, PROJECT_ROOT
from tests.slips.conftest import markers, pdf_text

KINDS = sorted(load_guidelines(DEMO_GUIDELINES).vocab.destinations)
FORM = load_identity_form(PROJECT_ROOT / "forms")
CODES = ("AAAA-AAAA", "BBBB-BBBB")
RELAXED = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def leaks(content: str, identity: dict[str, str], kinds) -> tuple[set[str], set[str]]:  # noqa: ANN001
    """(fields shown that the kinds do not need, needed fields missing)."""
    needed = FORM.needed_for(kinds)
    shown = {name for name, marker in markers(identity).items() if marker in content}
    return shown - needed, (needed & set(identity)) - shown


@pytest.fixture
def slip_of(app, make):
    """slip_of(kinds) -> (SlipData, HTML) of the case's first referral, as if it stood for ``kinds``."""
    made = make()
    gset, vault = load_guidelines(DEMO_GUIDELINES), app.extensions["vault"]

    def build(kinds: list[str]):  # noqa: ANN202
        referral = made.referrals[0].model_copy()
        referral.requested_as, referral.kind = kinds, kinds[0]
        with app.app_context(), get_db(app).read_session() as db:
            data = gather(session=db, vault=vault, gset=gset, form=FORM, referral=referral)
            return data, slips._html(data, vault, gset, FORM, None, CODES)

    build.identity = made.identity
    return build


@settings(max_examples=500, deadline=None, suppress_health_check=RELAXED)
@given(kinds=st.sets(st.sampled_from(KINDS), min_size=1, max_size=4))
def test_the_slip_of_any_destination_set_holds_exactly_the_fields_it_needs(slip_of, kinds):
    data, html = slip_of(sorted(kinds))
    extra, missing = leaks(html, slip_of.identity, kinds)
    assert extra == set() and missing == set(), (sorted(kinds), extra, missing)
    assert {name for name, _ in data.identity} == FORM.needed_for(kinds) & set(slip_of.identity)
    if "health" not in kinds:  # the details of a medical condition go to health care only
        assert not any(fact == "medical_conditions" for fact, _ in data.needs)


@settings(max_examples=6, deadline=None, suppress_health_check=RELAXED)
@given(refused=st.sets(st.sampled_from(["health", "child_protection", "unhcr", "legal_aid",
                                        "national_asylum_authority", "iom", "psychosocial"])),
       adult=st.booleans())
def test_the_pdf_of_every_slip_of_random_cases_holds_only_what_its_destination_needs(app, make, render, tmp_path,
                                                                                     refused, adult):
    facts = {"fears_return": "yes", "age_years": 30 if adult else 15, "companion": "none", "sex": "female",
             "medical_emergency": "no" if adult else "yes"}
    made = make(facts=facts, refused=sorted(refused))
    vault = app.extensions["vault"]
    for referral in made.referrals:
        if referral.status == "held":
            continue
        text = pdf_text(render(referral).pdf, tmp_path)
        extra, missing = leaks(text, made.identity, referral.requested_as)
        assert extra == set() and missing == set(), (referral.requested_as, extra, missing)
        with get_db(app).read_session() as db:
            key = db.get(AgencyKey, referral.agency_key_id)
        payload = vault.open_as_agency(key.fingerprint, referral.id, referral.sealed_payload)
        assert set(payload["identity"]) == FORM.needed_for(referral.requested_as) & set(made.identity)


def test_the_check_itself_sees_a_field_that_should_not_be_there(slip_of):
    """Guard against a vacuous property: a UNHCR slip judged as a health slip shows fields health does not need."""
    _data, html = slip_of(["unhcr"])
    extra, _missing = leaks(html, slip_of.identity, ["health"])
    assert {"document_number", "nationality"} <= extra
