"""A trainer writes a scenario in the browser: it is saved only when the trees give exactly the expected plan;
otherwise the page shows where they disagree, and nothing is written."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from referral.guidelines import current_guidelines
from referral.services.scenario_library import load_library, scenario_document
from tests.conftest import GUIDELINES
from tests.training.walker import TRAFFICKING
from tests.web.screening_nav import text_of
from tests.web.training_nav import open_workshop


@pytest.fixture
def trainer(staff, signed_in):
    return signed_in("trainer")


@pytest.fixture
def document(app, settings):
    with app.app_context():
        library = load_library(current_guidelines(), GUIDELINES, settings.data_dir)
    document = scenario_document(library.scenarios[TRAFFICKING])
    document.update(id="minibus-at-dawn", title="A minibus at dawn")
    return document


def posted(client, document: dict, url: str = "/training/scenarios/new", **extra: str):  # noqa: ANN201
    """Fill the authoring form as the trainer would, from a scenario in the shape of its file."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))[1]
    body = [("csrf_token", token), ("id", document["id"]), ("country", document["country"]),
            ("title", document["title"]), ("narrative", document["narrative"]),
            ("teaching_point", document["teaching_point"]), *extra.items()]
    for fact, value in document["facts"].items():
        values = value if isinstance(value, list) else [value]
        body += [(f"fact.{fact}", str(v)) for v in values]
    for name, value in document["expect"].items():
        if name == "group_mode":
            body += [("expect.group_mode", "yes")] if value else []
        else:
            body += [(f"expect.{name}", v) for v in (value if isinstance(value, list) else [value])]
    return client.post(url, data=MultiDict(body))


def test_the_form_offers_every_asked_fact_and_the_plan_in_words(trainer):
    page = text_of(trainer.get("/training/scenarios/new").get_data(as_text=True))
    assert "Which documents does the person have, and who holds them?" in page
    assert "Documents held by someone else" in page and "Presumed victim of trafficking" in page
    assert "The story in Русский (optional)" in page
    edit = trainer.get(f"/training/scenarios/{TRAFFICKING}/edit").get_data(as_text=True)
    assert 'value="held_by_other" checked' in edit and "readonly" in edit


def test_a_scenario_the_trees_agree_with_is_saved_and_offered_for_workshops(trainer, document, settings):
    response = posted(trainer, document, **{"title.ru": "Микроавтобус на рассвете"})
    assert response.status_code == 303, text_of(response.get_data(as_text=True))[-1500:]
    assert (settings.data_dir / "scenarios" / "minibus-at-dawn.yaml").is_file()
    index = trainer.get("/training/", follow_redirects=True).get_data(as_text=True)
    assert "The trees give exactly the expected plan: the scenario is saved." in index
    assert "A minibus at dawn" in index and "written by a trainer" in index
    code = open_workshop(trainer, ["minibus-at-dawn"])
    assert "A minibus at dawn" in trainer.get(f"/training/workshops/{code}").get_data(as_text=True)


def test_a_scenario_that_contradicts_the_trees_is_refused_with_the_difference_shown(trainer, document, settings):
    document["expect"]["categories"] = ["migrant_worker_vulnerable"]  # forgets the trafficking the trees find
    document["expect"]["destinations"] = ["iom"]
    response = posted(trainer, document)
    assert response.status_code == 200
    page = text_of(response.get_data(as_text=True))
    assert "Not saved: the trees disagree with this scenario" in page
    assert "The trees also give: Presumed victim of trafficking" in page
    assert "The trees also give: Anti-trafficking" in page
    assert 'value="minibus-at-dawn"' in response.get_data(as_text=True)  # what was entered is kept
    assert not (settings.data_dir / "scenarios" / "minibus-at-dawn.yaml").exists()


def test_fields_out_of_bounds_are_explained_beside_them(trainer, document):
    document["facts"]["age_years"] = 400
    document["id"] = "Bad Id!"
    page = text_of(posted(trainer, document).get_data(as_text=True))
    assert "Some fields need correcting" in page and "Enter a whole number from" in page
    assert "Use 3 to 80 small letters" in page


def test_a_new_scenario_cannot_take_the_id_of_an_existing_one(trainer, document):
    document["id"] = TRAFFICKING
    page = text_of(posted(trainer, document).get_data(as_text=True))
    assert "A scenario with this id exists already" in page


def test_editing_a_library_scenario_saves_the_trainers_version_beside_it(trainer, document, settings):
    document["id"] = TRAFFICKING
    document["title"] = "Workers and their driver (our version)"
    response = posted(trainer, document, url=f"/training/scenarios/{TRAFFICKING}/edit")
    assert response.status_code == 303
    assert (settings.data_dir / "scenarios" / f"{TRAFFICKING}.yaml").is_file()
    assert "Workers and their driver (our version)" in trainer.get("/training/").get_data(as_text=True)


def test_a_trainee_reading_in_russian_sees_the_trainers_russian_story(app, trainer, document):
    posted(trainer, document, **{"title.ru": "Микроавтобус на рассвете", "narrative.ru": "На рассвете к посту ..."})
    code = open_workshop(trainer, ["minibus-at-dawn"])
    from tests.web.training_nav import TraineeAt

    with app.app_context():
        tablet = TraineeAt(app.test_client(), current_guidelines())
    tablet.post("/language", {"locale": "ru", "next": "/training/join"})
    tablet.joins(code, "Дана")
    run = tablet.starts("minibus-at-dawn")
    page = tablet.get(f"/training/runs/{run}").get_data(as_text=True)
    assert '<html lang="ru"' in page
    assert "Микроавтобус на рассвете" in page and "На рассвете к посту ..." in page
    assert "A minibus at dawn" not in page
