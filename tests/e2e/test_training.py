"""Issue 7, done when: in headless Chromium, a trainer opens a workshop with three scenarios, two trainees join
from separate browser contexts, one walks correctly and one misses a trafficking indicator; the trainer's view and
the debriefs show exactly that; the case store and the audit trail of real cases are unchanged."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing

import pytest

from referral.engine import load_guidelines
from referral.services.scenario_library import load_library
from tests.conftest import GUIDELINES
from tests.e2e.browser import TABLET_SIZES, live_server, referral, screenshot
from tests.training.walker import TRAFFICKING

SCENARIOS = [TRAFFICKING, "example-1-girl-with-passport-holder", "boy-says-he-is-nineteen"]
COUNTED = ("cases", "referrals", "drafts", "consent_records", "audit_events")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A live server with the demonstration accounts and fictional cases (so the case store is not empty)."""
    data = tmp_path_factory.mktemp("e2e-training")
    env = {"REFERRAL_DATA_DIR": str(data), "REFERRAL_ENV": "development",
           "REFERRAL_ADMIN_PASSWORD": "e2e-admin-password-0001"}
    with live_server(env) as base:
        referral("demo", "seed", env=env)
        yield base, data / "referral.sqlite3"


@pytest.fixture(scope="module")
def scenario():
    gset = load_guidelines(GUIDELINES)
    return gset, load_library(gset, GUIDELINES, GUIDELINES / "no-trainer-scenarios").scenarios[TRAFFICKING]


def rows(database) -> dict[str, int]:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in COUNTED}  # noqa: S608


def tablet(browser):
    return browser.new_context(viewport=TABLET_SIZES["portrait"], locale="en-US").new_page()


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0


def walk(page, gset, facts, miss_held_documents=False, shots: str = "") -> None:
    """Answer each question as the facts say, the way a trainee taps it, until the plan is shown."""
    for number in range(1, 80):
        form = page.locator("form.question")
        if form.count() == 0:
            return
        tree, node_id = form.get_attribute("action").rsplit("/", 2)[-2:]
        node = gset.tree(tree).nodes[node_id]
        value = facts.get(node.fact, "unknown")
        if shots and number in (1, 7):
            screenshot(page, f"{shots}-question-{number}")
        with page.expect_navigation():
            if node.answer_type == "multi":
                ticked = set(value if isinstance(value, frozenset | list | tuple) else ()) & set(node.options)
                if miss_held_documents and node_id == "q_documents":
                    ticked.discard("held_by_other")
                for option in ticked:
                    form.locator(f'input[value="{option}"]').check()
                form.locator('button[value="save"]' if ticked else 'button[value="none"]').click()
            elif node.answer_type == "choice":
                form.locator(f'input[name="value"][value="{value}"]').check()
                form.locator('button[value="save"]').click()
            elif value == "unknown":
                form.locator('button[value="unknown"]').click()
            else:
                form.locator("#answer-value").fill(str(value))
                form.locator('button[value="save"]').click()
    raise AssertionError("the walk did not end")


def join_and_walk(browser, join_url, name, gset, facts, miss=False):
    page = tablet(browser)
    page.goto(join_url)
    page.fill("#join-name", name)
    with page.expect_navigation():
        page.click("button:has-text('Join')")
    assert "Your resume code is" in page.inner_text("main") + page.inner_text(".flashes")
    if not miss:
        screenshot(page, "training-trainee-home")
    row = page.locator("li.scenario-row", has_text="Workers whose passports are held by the driver")
    with page.expect_navigation():
        row.locator("button").click()
    assert "TRAINING" in page.inner_text(".training-banner")  # shown in capitals
    walk(page, gset, facts, miss, shots="" if miss else "training-trainee")
    assert page.url.endswith("/end") and fits(page)
    if not miss:
        screenshot(page, "training-trainee-plan")
    with page.expect_navigation():
        page.click("button:has-text('Finish and see the debrief')")
    assert fits(page), "the debrief scrolls sideways at 768 px"
    screenshot(page, f"training-debrief-{'missed' if miss else 'correct'}")
    return page


def test_a_workshop_with_two_trainees_one_right_one_missing_a_trafficking_indicator(site, browser, scenario):
    base, database = site
    gset, workshop_scenario = scenario
    trainer = browser.new_context(viewport=TABLET_SIZES["landscape"], locale="en-US").new_page()
    trainer.goto(base + "/login")
    trainer.fill("#username", "demo-trainer")
    trainer.fill("#password", "demo-trainer-password")
    with trainer.expect_navigation():
        trainer.click("main form button[type=submit]")
    before = rows(database)
    assert before["cases"] > 0  # the demonstration's fictional cases

    trainer.goto(base + "/training/")
    trainer.fill("#workshop-title", "Exit and entry checkpoints, day 1")
    for scenario_id in SCENARIOS:
        trainer.check(f'input[name="scenario"][value="{scenario_id}"]')
    screenshot(trainer, "training-trainer-choose")
    with trainer.expect_navigation():
        trainer.click("button:has-text('Open the workshop')")
    code = trainer.inner_text(".join-code").strip()
    assert re.fullmatch(r"[A-Z0-9]{6}", code)
    assert trainer.locator("img.qr").get_attribute("src").startswith("data:image/svg+xml")
    join_url = trainer.inner_text(".join-panel p.muted").strip()
    assert join_url.endswith(f"/training/join?code={code}")

    right = join_and_walk(browser, join_url, "Aliya", gset, workshop_scenario.facts)
    wrong = join_and_walk(browser, join_url, "Bakyt", gset, workshop_scenario.facts, miss=True)

    assert "Your plan is the plan the guideline expects." in right.inner_text("main")
    assert right.locator(".first-divergence").count() == 0
    debrief = wrong.inner_text("main")
    assert "Your plan differs from the plan the guideline expects." in debrief
    first = wrong.inner_text(".first-divergence")
    assert "Which documents does the person have, and who holds them?" in first
    assert "Documents held by someone else" in first and "§2.1.2" in first
    missed = wrong.locator("table.plans li.missed").all_inner_texts()
    assert any("Presumed victim of trafficking" in item for item in missed)
    assert any("Anti-trafficking" in item for item in missed)

    live = trainer.context.new_page()  # the open live view reloads itself: read a fresh one
    live.goto(trainer.url)
    trainer = live
    screenshot(trainer, "training-trainer-live")
    table = trainer.inner_text("table.progress-table")
    # The scenarios are in the library's order; only the one walked has results.
    assert re.search(r"Aliya\s+-\s+-\s+✓ as expected", table) and re.search(r"Bakyt\s+-\s+-\s+✗ differs", table)
    stats = trainer.locator("section.scenario-stats", has_text="Workers whose passports").inner_text()
    assert "50% correct plans" in stats and "1 of 2 finished" in stats
    assert re.search(r"Presumed victim of trafficking\s+× 1", stats)
    assert re.search(r"Which documents does the person have, and who holds them\?\s+× 1", stats)
    live_portrait = browser.new_context(viewport=TABLET_SIZES["portrait"],
                                        storage_state=trainer.context.storage_state())
    projector = live_portrait.new_page()
    projector.goto(trainer.url)
    assert fits(projector)
    screenshot(projector, "training-trainer-live-portrait")

    assert rows(database) == before  # nothing in the case store, nothing in the audit trail

    # A trainer's scenario whose expectation contradicts the trees is refused, with the difference shown.
    projector.goto(f"{base}/training/scenarios/{TRAFFICKING}/edit")
    projector.uncheck('input[name="expect.categories"][value="victim_of_trafficking"]')
    with projector.expect_navigation():
        projector.click("button:has-text('Check against the trees and save')")
    refused = projector.inner_text("section.refused")
    assert "Not saved: the trees disagree with this scenario" in refused
    assert "The trees also give: Presumed victim of trafficking" in refused
    assert fits(projector)
    screenshot(projector, "training-authoring-refused")
    for context in {trainer.context, right.context, wrong.context, live_portrait}:
        context.close()
