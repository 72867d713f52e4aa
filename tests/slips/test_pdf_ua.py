"""The package's own user-agent stylesheet (static/css/pdf-ua.css) prints a slip exactly as WeasyPrint's HTML5
sheet does, and names every element that the package's PDF templates use."""

from __future__ import annotations

import re

import pytest

from referral.services.slip_pdf import USER_AGENT_STYLESHEET
from tests.conftest import PROJECT_ROOT
from tests.slips.conftest import by_kind, pdf_pages, set_slip_language
from tests.slips.test_render import IDENTITY

PDF_TEMPLATES = ["slips/referral.html", "training/certificate_pdf.html", "training/report_pdf.html"]
NO_RULES = {"span"}  # inline, and html5_ua.css gives it no rule either


def _pixels(pdf: bytes, name: str) -> list[bytes]:
    return [page.read_bytes() for page in pdf_pages(pdf, name, resolution=60)]


@pytest.mark.parametrize(("kind", "language", "second"), [("unhcr", "ru", "en"), ("health", "fa_AF", None)])
def test_a_slip_looks_the_same_with_weasyprints_html5_sheet(app, make, render, monkeypatch, kind, language, second):
    import weasyprint

    from referral.services import slips

    made = make(identity=IDENTITY)
    referral = by_kind(made, kind)
    set_slip_language(app, referral.agency_id, language)
    ours = render(referral, second_language=second).pdf
    with app.app_context():
        renderer = slips.renderer()
    assert renderer.html_class is not weasyprint.HTML
    monkeypatch.setattr(renderer, "html_class", weasyprint.HTML)
    theirs = render(referral, second_language=second).pdf
    ours_pages, their_pages = _pixels(ours, f"ua-ours-{language}"), _pixels(theirs, f"ua-html5-{language}")
    assert len(ours_pages) == len(their_pages) >= 1
    assert ours_pages == their_pages


def _selectors(css: str) -> set[str]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    names = set()
    for selector in re.findall(r"([^{}]+)\{", css):
        names.update(re.findall(r"(?<![-\w.#:\[=])([a-z][a-z0-9]*)\b", re.sub(r"\[[^]]*\]", "", selector)))
    return names


@pytest.mark.parametrize("template", PDF_TEMPLATES)
def test_every_element_of_a_pdf_template_is_in_the_user_agent_sheet(template):
    source = (PROJECT_ROOT / "referral" / "templates" / template).read_text(encoding="utf-8")
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    used = set(re.findall(r"<([a-z][a-z0-9]*)", source)) - NO_RULES
    missing = sorted(used - _selectors(USER_AGENT_STYLESHEET.read_text(encoding="utf-8")))
    assert missing == [], f"{template} uses {missing}: add them to {USER_AGENT_STYLESHEET.name}"
