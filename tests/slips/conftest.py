"""Slip fixtures: an app on the demonstration guidelines (Demoland, xd), people of every role, a case whose
identity fields each carry their own marker, and helpers that read a slip back (pdftotext, pdftoppm, pypdf).

Poppler's tools are needed (deploy/install.sh --tests installs poppler-utils): without them the tests fail with
a message that says so, rather than skip.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import select

from referral.db import get_db
from referral.engine import load_guidelines
from referral.models import Agency, Case, Referral
from referral.services.cases import create_case
from referral.services.intake import load_identity_form
from referral.services.users import create_user
from tests.conftest import DEMO_GUIDELINES, PROJECT_ROOT
from tests.web.conftest import PASSWORD, csrf_token, fast_password_hashing, sign_in, signed_in, staff  # noqa: F401

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "slips"
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# An asylum-seeking girl of 15 with a medical emergency, alone: health, child protection, UNHCR (standing for
# the asylum authority too) and legal aid in Demoland.
FACTS = {"fears_return": "yes", "age_years": 15, "companion": "none", "medical_emergency": "yes", "sex": "female",
         "language": "prs", "interpreter_needed": "yes", "preferred_interviewer_sex": "female",
         "medical_conditions": ["bleeding_wound"], "disability": ["mobility"]}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is missing: install poppler-utils (deploy/install.sh --tests)")
    return found


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The slip's text as pdftotext reads it, without the bidi controls poppler adds around right-to-left runs."""
    path = tmp_path / f"slip-{secrets.token_hex(4)}.pdf"
    path.write_bytes(pdf)
    done = subprocess.run([_tool("pdftotext"), "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    path.unlink()
    return BIDI_CONTROLS.sub("", done.stdout.decode("utf-8"))


def pdf_pages(pdf: bytes, name: str, resolution: int = 80) -> list[Path]:
    """Turn the slip into PNG pages under test-artifacts/slips (kept for people to look at)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run([_tool("pdftoppm"), "-r", str(resolution), "-png", str(source), str(ARTIFACTS / name)],
                   check=True, capture_output=True)
    source.unlink()
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


def pdf_fonts(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return subprocess.run([_tool("pdffonts"), str(path)], capture_output=True, check=True, text=True).stdout


def marked_identity() -> dict[str, str]:
    """A value per identity field that occurs nowhere else: a 16-hex core (Latin, Cyrillic and Arabic prefixes)."""
    def core() -> str:
        return secrets.token_hex(8)

    return {"given_name": "cnry-" + core(), "family_name": "кнры-" + core(), "date_of_birth": "1987-03-14",
            "document_number": "N" + core(), "phone": "+9" + "".join(secrets.choice("0123456789") for _ in range(11)),
            "nationality": "كناري-" + core(), "notes": "cnry-" + core() + "\nsecond line"}


def markers(identity: dict[str, str]) -> dict[str, str]:
    """What to look for in extracted text for each field (the core, which survives any script direction)."""
    found = {}
    for name, value in identity.items():
        core = re.search(r"[0-9a-f]{16}", value)
        found[name] = core.group(0) if core else value.split("\n")[0]
    return found


@pytest.fixture
def settings(settings):
    return settings.with_overrides(guidelines_dir=DEMO_GUIDELINES)


@dataclass
class Made:
    case: Case
    referrals: list[Referral]
    identity: dict[str, str]


@pytest.fixture
def make(app, staff):  # noqa: F811
    """make(identity=None, facts=None, refused=()) -> a committed case with its referrals."""
    settings = app.extensions["referral.settings"]
    gset, form = load_guidelines(settings.guidelines_dir), load_identity_form(settings.forms_dir)

    def build(identity=None, facts=None, refused=()) -> Made:  # noqa: ANN001
        identity = identity or marked_identity()
        with get_db(app).session() as db:
            from referral.models import Post, User

            user = db.get(User, staff.by_role["official"])
            case = create_case(session=db, vault=app.extensions["vault"], gset=gset, form=form, user=user,
                               post=db.get(Post, staff.post.id), facts=facts or FACTS, identity=identity,
                               consent_refused=refused, enrol_agency_keys=True)
            db.commit()
            referrals = list(db.exec(select(Referral).where(Referral.case_id == case.id).order_by(Referral.kind)))
        return Made(case, referrals, identity)

    return build


@pytest.fixture
def officer_of(app):
    """officer_of(agency_id) -> the user name of a new agency officer of that agency."""
    def make(agency_id: int) -> str:
        name = f"officer-{agency_id}-{secrets.token_hex(3)}"
        with get_db(app).session() as db:
            create_user(session=db, username=name, password=PASSWORD, role="agency_officer", agency_id=agency_id)
            db.commit()
        return name

    return make


def set_slip_language(app, agency_id: int, code: str) -> None:  # noqa: ANN001
    with get_db(app).session() as db:
        agency = db.get(Agency, agency_id)
        agency.slip_language = code
        db.add(agency)
        db.commit()


@pytest.fixture
def render(app):
    """render(referral, **options) -> the signed Slip, rendered the way the app does."""
    from referral.services import slips

    settings = app.extensions["referral.settings"]

    def run(referral: Referral, **options) -> slips.Slip:
        with app.app_context(), get_db(app).read_session() as db:
            return slips.render_slip(session=db, vault=app.extensions["vault"],
                                     gset=load_guidelines(settings.guidelines_dir),
                                     form=load_identity_form(settings.forms_dir), referral=referral, **options)

    return run


def by_kind(made: Made, kind: str) -> Referral:
    return next(r for r in made.referrals if r.kind == kind)
