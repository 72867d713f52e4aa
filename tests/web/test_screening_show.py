"""Turning the tablet round: a question's phrase alone on the screen in the person's language and direction, and
the person's language carried from the start of the screening into the walk and the case."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from referral.db import get_db
from referral.engine import load_guidelines
from referral.models import Case, User
from referral.services.cases import open_case
from tests.conftest import DEMO_GUIDELINES
from tests.web.screening_nav import ACTION, Official
from tests.web.test_screening import ASYLUM_EMERGENCY


@pytest.fixture
def settings(settings):
    return settings.with_overrides(guidelines_dir=DEMO_GUIDELINES)


@pytest.fixture
def official(signed_in) -> Official:
    return Official(signed_in("official"), load_guidelines(DEMO_GUIDELINES))


def show_link(page: str) -> str:
    found = re.search(r'<a class="button secondary show-person" href="([^"]+)"', page)
    assert found, "no 'Show to the person' link"
    return found.group(1)


def test_the_person_sees_only_the_phrase_in_dari_laid_out_right_to_left(official):
    question = official.starts("fa_AF").get_data(as_text=True)
    assert ACTION.search(question).group("node") == "q_emergency"
    response = official.get(show_link(question))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"].startswith("no-store")
    assert '<html lang="fa-AF" dir="rtl">' in page
    phrases = re.findall(r'<p class="phrase-large">([^<]+)</p>', page)
    assert len(phrases) == 1  # the demonstration phrase has no Dari draft: it stays in English, right to left
    # Yes, no and "I do not know" in Dari, to point at; the way back in the official's language.
    assert re.findall(r"<li>([^<]+)</li>", page) == ["بلی", "نخیر", "نمی‌دانم، یا نمی‌خواهم بگویم"]
    assert '<footer class="return" lang="en" dir="ltr">' in page and "Back to the question" in page
    assert f'href="/screening/{official.draft}/next"' in page
    # Nothing of the official's screen: no menu, no account, no answers so far.
    assert "Sign out" not in page and 'class="menu"' not in page and "official" not in page


def test_the_phrase_page_of_an_answered_question_leads_back_to_that_question(official):
    official.starts("ps")
    official.answers("demo-first-contact", "q_emergency", "yes")
    response = official.get(f"/screening/{official.draft}/show/demo-first-contact/q_emergency")
    page = response.get_data(as_text=True)
    assert '<html lang="ps" dir="rtl">' in page
    assert f'href="/screening/{official.draft}/q/demo-first-contact/q_emergency"' in page


def test_a_question_not_on_the_walk_is_not_shown(official):
    official.starts("ru")
    response = official.client.get(f"/screening/{official.draft}/show/demo-family/q_companion")  # not yet reached
    assert response.status_code == 303 and response.headers["Location"].endswith("/next")


def test_another_officials_draft_is_not_shown(app, official, signed_in):
    official.starts("fa_AF")
    stranger = signed_in("stranger")
    response = stranger.get(f"/screening/{official.draft}/show/demo-first-contact/q_emergency")
    assert response.status_code == 404


def test_the_language_chosen_at_the_start_reaches_the_case(app, staff, official):
    official.starts("fa_AF")
    official.walks(ASYLUM_EMERGENCY)  # the demonstration trees never ask the language
    official.consents({"health": True, "national_asylum_authority": True, "unhcr": True, "legal_aid": True})
    official.enters_identity({"given_name": "Ahmad", "family_name": "Karimi", "date_of_birth": "",
                              "document_number": "", "phone": "+992 90 000 0000", "nationality": "AF", "notes": ""})
    assert official.submits().request.path.endswith("/done")
    with get_db(app).session() as db:
        case = db.exec(select(Case).where(Case.idempotency_key == official.draft)).one()
        user = db.get(User, staff.by_role["supervisor"])
        opened = open_case(session=db, vault=app.extensions["vault"], user=user, reference=case.reference)
    assert opened.payload["facts"]["language"] == "prs"  # Dari, as FACTS.md writes it
