"""Training workshops as services: open, join, walk, finish, debrief, the trainer's figures, CSV, authoring."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import func, select

from referral.db import get_db
from referral.engine import Answers, next_step
from referral.engine.scenarios import load_scenarios
from referral.models import AuditEvent, Case, Draft, Referral, TrainingRun
from referral.services import training, training_results
from referral.services.scenario_library import load_library, save_scenario, scenario_document
from tests.conftest import GUIDELINES
from tests.training.walker import TRAFFICKING, answer_for, missing_held_documents

SCENARIOS = [TRAFFICKING, "example-1-girl-with-passport-holder", "boy-says-he-is-nineteen"]


@pytest.fixture
def db(app):
    with get_db(app).session() as session:
        yield session


@pytest.fixture
def trainer(db, trainer_user):
    return trainer_user


@pytest.fixture
def library(gset, settings):
    return load_library(gset, GUIDELINES, settings.data_dir)


@pytest.fixture
def workshop(db, trainer, library):
    workshop = training.open_workshop(session=db, trainer=trainer, title="Exit checkpoint, day 1",
                                      scenario_ids=SCENARIOS, mode="solo", known=library.scenarios)
    db.commit()
    return workshop


def walk(db, gset, run, scenario, change=lambda q, v: v):
    """Answer every question as the scenario's facts say (``change`` may alter an answer)."""
    while (question := next_step(gset, training.answers_of(run))) is not None:
        training.record_answer(session=db, gset=gset, run=run, tree=question.tree.id, node=question.node.id,
                               value=change(question, answer_for(question, scenario.facts)))
    return training.finish_run(session=db, gset=gset, run=run, scenario=scenario)


def counts(db) -> dict[str, int]:
    return {model.__tablename__: db.exec(select(func.count()).select_from(model)).one()
            for model in (Case, Referral, Draft, AuditEvent)}


def test_a_workshop_needs_a_title_known_scenarios_and_a_mode(db, trainer, library):
    for title, ids, mode, reason in (("", SCENARIOS, "solo", "title"), ("A", [], "solo", "scenarios"),
                                     ("A", ["no-such-scenario"], "solo", "scenarios"),
                                     ("A", SCENARIOS, "theatre", "mode")):
        with pytest.raises(training.TrainingRefused) as refused:
            training.open_workshop(session=db, trainer=trainer, title=title, scenario_ids=ids, mode=mode,
                                   known=library.scenarios)
        assert refused.value.reason == reason


def test_joining_takes_a_code_and_a_free_display_name_and_gives_a_resume_code(db, workshop):
    trainee, resume_code = training.join(session=db, code=workshop.code.lower(), display_name="  Dana  ")
    assert trainee.display_name == "Dana" and len(resume_code) == training.RESUME_CODE_LENGTH
    assert resume_code not in trainee.token_hash
    with pytest.raises(training.TrainingRefused, match="name_taken"):
        training.join(session=db, code=workshop.code, display_name="Dana")
    with pytest.raises(training.TrainingRefused, match="code"):
        training.join(session=db, code="NOPE42", display_name="Eli")
    again = training.resume(session=db, code=workshop.code, resume_code=resume_code[:4] + "-" + resume_code[4:])
    assert again.id == trainee.id
    with pytest.raises(training.TrainingRefused, match="resume"):
        training.resume(session=db, code=workshop.code, resume_code="AAAAAAAA")
    training.close_workshop(session=db, workshop=workshop)
    with pytest.raises(training.TrainingRefused, match="code"):
        training.join(session=db, code=workshop.code, display_name="Late")


def test_two_trainees_one_right_one_missing_a_trafficking_indicator(db, gset, workshop, library):
    before = counts(db)
    scenario = library.scenarios[TRAFFICKING]
    right, _ = training.join(session=db, code=workshop.code, display_name="Aliya")
    wrong, _ = training.join(session=db, code=workshop.code, display_name="Bakyt")
    good = walk(db, gset, training.start_run(session=db, trainee=right, workshop=workshop,
                                             scenario_id=TRAFFICKING), scenario)
    bad = walk(db, gset, training.start_run(session=db, trainee=wrong, workshop=workshop,
                                            scenario_id=TRAFFICKING), scenario, missing_held_documents)
    db.commit()
    assert good.correct and good.first_divergence is None
    assert not bad.correct
    assert bad.missed("categories") == {"victim_of_trafficking"}
    assert bad.missed("destinations") == {"anti_trafficking"}
    assert bad.first_divergence.node == "q_documents" and bad.first_divergence.changed_plan
    assert "§" in bad.first_divergence.section

    found = training_results.results(session=db, workshop=workshop)
    assert [row.status(TRAFFICKING) for row in found.rows] == ["correct", "differs"]
    assert [row.status(SCENARIOS[1]) for row in found.rows] == ["not_started", "not_started"]
    stats = found.stats[TRAFFICKING]
    assert (stats.finished, stats.correct, stats.share_correct) == (2, 1, 0.5)
    assert stats.missed_categories == {"victim_of_trafficking": 1}
    assert stats.wrong_questions == {("unhcr-2016", "q_documents"): 1}
    assert found.finished == 0  # each has two scenarios still to do

    rows = list(csv.DictReader(io.StringIO(training_results.results_csv(found))))
    assert [(r["trainee"], r["correct"], r["missed_categories"]) for r in rows] == [
        ("Aliya", "yes", ""), ("Bakyt", "no", "victim_of_trafficking")]
    assert rows[1]["first_divergence_question"] == "unhcr-2016/q_documents"
    assert counts(db) == before  # nothing in the case store or the audit trail


def test_a_run_is_one_per_scenario_and_final_once_finished(db, gset, workshop, library):
    trainee, _ = training.join(session=db, code=workshop.code, display_name="Dana")
    run = training.start_run(session=db, trainee=trainee, workshop=workshop, scenario_id=TRAFFICKING)
    assert training.start_run(session=db, trainee=trainee, workshop=workshop, scenario_id=TRAFFICKING).id == run.id
    with pytest.raises(training.TrainingRefused, match="unfinished"):
        training.finish_run(session=db, gset=gset, run=run, scenario=library.scenarios[TRAFFICKING])
    walk(db, gset, run, library.scenarios[TRAFFICKING])
    with pytest.raises(training.TrainingRefused, match="finished"):
        training.record_answer(session=db, gset=gset, run=run, tree="unhcr-2016", node="q_emergency", value="yes")
    with pytest.raises(training.TrainingRefused, match="scenario"):
        training.start_run(session=db, trainee=trainee, workshop=workshop,
                           scenario_id="woman-in-labour-at-the-checkpoint")
    stored = db.exec(select(TrainingRun).where(TrainingRun.id == run.id)).one()
    assert Answers.from_json(stored.answers).values["documents"] == frozenset({"valid_passport", "held_by_other"})
    assert stored.debrief["plan"]["urgency"] == "immediate"


def test_csv_cells_cannot_become_spreadsheet_formulas(db, gset, workshop, library):
    trainee, _ = training.join(session=db, code=workshop.code, display_name="=HYPERLINK(1)")
    walk(db, gset, training.start_run(session=db, trainee=trainee, workshop=workshop, scenario_id=TRAFFICKING),
         library.scenarios[TRAFFICKING])
    text = training_results.results_csv(training_results.results(session=db, workshop=workshop))
    assert "'=HYPERLINK(1)" in text and "\r\n=" not in text


def test_the_expected_path_asks_what_the_scenario_answers(gset, library):
    path = training.expected_path(gset, library.scenarios[TRAFFICKING])
    assert path.pending is None
    documents = next(step for step in path.steps if step.question.node.id == "q_documents")
    assert documents.value == frozenset({"valid_passport", "held_by_other"})


# -- authoring --------------------------------------------------------------------------------------------------

def test_a_scenario_whose_expectation_agrees_with_the_trees_is_saved_beside_the_library(gset, settings, library):
    document = scenario_document(library.scenarios[TRAFFICKING])
    document.update(id="drivers-and-passports", title="Drivers and passports")
    result = save_scenario(gset=gset, data_dir=settings.data_dir, document=document,
                           translations={"ru": {"title": "Водитель и паспорта", "narrative": " "}})
    assert result.saved and result.problems == () and result.differences == ()
    assert (settings.data_dir / "scenarios" / "drivers-and-passports.yaml").is_file()
    again = load_library(gset, GUIDELINES, settings.data_dir)
    assert "drivers-and-passports" in again.authored and TRAFFICKING in again.scenarios
    assert again.text(again.scenarios["drivers-and-passports"], "title", "ru") == "Водитель и паспорта"
    assert again.text(again.scenarios["drivers-and-passports"], "narrative", "ru") is None
    # What was saved passes `referral scenarios check` as it reads files.
    from referral.engine.errors import Reporter
    from referral.engine.scenarios import check_scenario
    (authored,) = load_scenarios(gset, settings.data_dir, Reporter("x"))
    assert check_scenario(gset, authored) == []


def test_a_scenario_that_contradicts_the_trees_is_refused_with_the_difference(gset, settings, library):
    document = scenario_document(library.scenarios[TRAFFICKING])
    document.update(id="drivers-wrong")
    document["expect"]["categories"] = ["migrant_worker_vulnerable"]  # forgets the trafficking the trees find
    result = save_scenario(gset=gset, data_dir=settings.data_dir, document=document)
    assert not result.saved
    (difference,) = result.differences
    assert difference.field == "categories"
    assert difference.got - difference.expected == {"victim_of_trafficking"}
    assert not (settings.data_dir / "scenarios" / "drivers-wrong.yaml").exists()
    assert list((settings.data_dir / "scenarios").iterdir()) == []  # no temporary file is left behind


def test_a_scenario_file_with_problems_is_refused_with_them(gset, settings, library):
    document = scenario_document(library.scenarios[TRAFFICKING])
    document.update(id="drivers-bad", country="zz")
    result = save_scenario(gset=gset, data_dir=settings.data_dir, document=document)
    assert not result.saved and any("zz" in problem for problem in result.problems)
    assert not save_scenario(gset=gset, data_dir=settings.data_dir, document={"id": "../escape"}).saved


def test_a_scenario_the_trees_no_longer_agree_with_is_not_offered(gset, settings, library):
    document = scenario_document(library.scenarios[TRAFFICKING])
    document.update(id="drivers-and-passports")
    assert save_scenario(gset=gset, data_dir=settings.data_dir, document=document).saved
    path = settings.data_dir / "scenarios" / "drivers-and-passports.yaml"
    # As if a tree had changed since: the file no longer matches what the trees give.
    path.write_text(path.read_text().replace("urgency: immediate", "urgency: routine"))
    again = load_library(gset, GUIDELINES, settings.data_dir)
    assert "drivers-and-passports" in again.stale and "drivers-and-passports" not in again.usable
    assert TRAFFICKING in again.usable and not library.stale
