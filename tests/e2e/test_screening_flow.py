"""Issue 5, end to end in headless Chromium at tablet sizes: an official screens an asylum-seeker with a medical
emergency whose language is Dari, goes back and changes an answer, sees the plan, records consent, enters only
the identity the services need, submits; the supervisor finds the case. Sessions end on the server after ten idle
minutes, and Back after signing out shows nothing of the person. Screenshots of each step, per interface
language, are kept in test-artifacts/screenshots/."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.browser import TABLET_SIZES
from tests.e2e.navigator import Official

CANARY = "Cnryxq"  # a made-up name: it must show only where the case is opened
ASYLUM_SEEKER = {
    "medical_emergency": "yes", "group_size": 1, "entry": "at_checkpoint", "removal_imminent": "no",
    "age_apparent": "adult", "companion": "none", "documents": {"valid_passport"}, "language": "prs",
    "interpreter_needed": "yes", "age_years": 34, "sex": "male", "preferred_interviewer_sex": "any",
    "country_of_origin": "AF", "asylum_wish": "explicit", "fears_return": "yes",
    "indicators": {"from_conflict_country"}, "medical_conditions": {"infection_fever"},
}
IDENTITY = {"given_name": CANARY, "family_name": "Testkhel", "date_of_birth": "1992-03-01", "phone": "+7 700 000 0000"}


@pytest.fixture(params=[("en", "portrait"), ("ru", "portrait"), ("en", "landscape")], ids=lambda p: "-".join(p))
def official(request, browser, server):
    language, size = request.param
    context = browser.new_context(viewport=TABLET_SIZES[size])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield Official(page, server, f"screening-{language}-{size}"), language, errors
    context.close()


def test_an_official_screens_an_asylum_seeker_in_dari_and_the_supervisor_finds_the_case(official, browser, server):
    official, language, errors = official
    official.signs_in("demo-official", "demo-official-password")
    official.chooses_interface_language(language)
    official.starts_a_screening("fa_AF")
    phrase = official.page.locator(".phrase").first
    assert phrase.get_attribute("lang") == "fa-AF" and phrase.get_attribute("dir") == "rtl"
    seen = official.shows_the_person()
    assert (seen["dir"], seen["lang"]) == ("rtl", "fa-AF") and seen["phrases"] and seen["words"]
    # Right to left: the Dari text hugs the right edge of its box, with the free space on the left.
    assert seen["box_right"] - seen["text_right"] < 2 < seen["text_left"] - seen["box_left"]
    assert official.page.locator("form.question").count() == 1  # back at the same question

    official.walks({**ASYLUM_SEEKER, "removal_imminent": "unknown"}, stop_after=5)
    official.goes_back()
    tree, node, fact = official.current_question()
    official.shot(f"back-to-{fact}")
    official.answers(ASYLUM_SEEKER[fact])
    official.walks(ASYLUM_SEEKER)

    plan = official.sees_the_plan()
    for code in ("MN01", "MN02", "MN16"):
        assert code in plan
    official.records_consent()
    official.enters_identity(IDENTITY)
    reference = official.submits()
    assert reference.startswith("KZ-DEMO-1-")
    assert CANARY not in official.page.url

    official.signs_out()
    official.page.go_back()
    assert CANARY not in official.page.content()
    official.shot("back-after-sign-out")

    supervisor = browser.new_context(viewport=TABLET_SIZES["portrait"]).new_page()
    supervisor.goto(server + "/login")
    supervisor.fill("#username", "demo-supervisor")
    supervisor.fill("#password", "demo-supervisor-password")
    supervisor.locator("main button[type=submit]").click()
    supervisor.goto(server + "/cases/")
    assert reference in supervisor.locator("main").inner_text()
    supervisor.context.close()
    assert errors == []


def test_a_session_ends_on_the_server_after_ten_idle_minutes(browser, server, tmp_path_factory):
    page = browser.new_context(viewport=TABLET_SIZES["portrait"]).new_page()
    page.goto(server + "/login")
    page.fill("#username", "demo-supervisor")
    page.fill("#password", "demo-supervisor-password")
    page.locator("main button[type=submit]").click()
    assert "/login" not in page.url
    database = server_database(server)
    eleven_minutes_ago = (datetime.now(UTC) - timedelta(minutes=11)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE web_sessions SET last_seen = ?", (eleven_minutes_ago,))
    page.goto(server + "/cases/")
    assert page.url.endswith("/login")
    page.context.close()


def server_database(server: str) -> str:
    from tests.e2e import conftest

    return str(conftest.DATA_DIRS[server] / "referral.sqlite3")
