"""Build small guideline sets in a temporary folder, from inline YAML, for engine tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import GUIDELINES

TREE = """\
id: t
title: A small tree
version: "1"
source: {document: Test document, year: 2016}
start: q1
nodes:
  - id: q1
    kind: question
    sets: fears_return
    text: Does the person fear return?
    say: What would happen if you went back?
    answers:
      - {value: yes, next: f1}
    next: end
    source: {section: "brief 2.1", basis: R, verified: false}
  - id: f1
    kind: finding
    category: asylum_seeker
    destinations: [unhcr]
    urgency: within_24h
    must_not: [MN01]
    next: end
    source: {section: "brief 2.1", basis: R, verified: false}
  - id: end
    kind: end
    source: {section: "brief 1.2", basis: D, verified: false}
"""

KINDS = ["national_asylum_authority", "iom", "child_protection", "anti_trafficking", "health", "legal_aid",
         "psychosocial", "red_crescent", "consular"]

PATHWAY = ("country: ZZ\nname: Testland\ndestinations:\n  unhcr: {name: UNHCR test office, slip_language: ru}\n"
           + "".join(f"  {kind}: {{fallback: unhcr}}\n" for kind in KINDS))


def make_set(root: Path, trees: dict[str, str] | None = None, pathways: dict[str, str] | None = None,
             facts: str | None = None) -> Path:
    """A guideline set under ``root``: facts.yaml (the shipped one unless given), trees and pathways."""
    root.mkdir(parents=True, exist_ok=True)
    if facts is None:
        shutil.copy(GUIDELINES / "facts.yaml", root / "facts.yaml")
    else:
        (root / "facts.yaml").write_text(facts, encoding="utf-8")
    for folder, files in (("trees", trees if trees is not None else {"t": TREE}),
                          ("pathways", pathways if pathways is not None else {"zz": PATHWAY})):
        (root / folder).mkdir(exist_ok=True)
        for name, text in files.items():
            (root / folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root
