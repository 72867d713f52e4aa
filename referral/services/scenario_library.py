"""The scenarios a trainer may choose: the library (guidelines/scenarios/) and the trainers' own, kept as YAML in
the data directory (<data>/scenarios/), which win over a library scenario of the same id.

A trainer's scenario is saved only when `referral scenarios check` would pass it: the file is written beside the
others under a temporary folder, read back with the same loader and error codes as the library, and its facts are
run through the trees; only a file that reads without a problem and whose plan is exactly the expected one is
moved into place (an atomic rename). Otherwise nothing is written, and the problems and differences are returned
to be shown.

The scenario format has one text per key (a message id, translated through the catalogues for the library). A
trainer's texts in other languages are kept beside the file, in <data>/scenarios/translations/<id>.json, so that
the scenario file stays exactly what `referral scenarios check` reads.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..engine import GuidelineError, GuidelineSet
from ..engine.errors import Reporter
from ..engine.scenarios import Difference, Scenario, check_scenario, load_scenario, load_scenarios

SCENARIO_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,79}$")
TEXT_KEYS = ("title", "narrative", "teaching_point")
EXPECT_SETS = ("categories", "destinations", "must_not", "refused", "kept_despite_refusal", "dropped")


@dataclass(frozen=True)
class Library:
    """Every scenario by id (the library's first, then the trainers'), and the trainers' translated texts."""

    scenarios: Mapping[str, Scenario]
    authored: frozenset[str] = frozenset()
    texts: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)  # id -> locale -> key
    stale: frozenset[str] = frozenset()  # the trees no longer give their expected plan: not offered to workshops

    @property
    def usable(self) -> list[str]:
        """The scenarios a new workshop may use."""
        return [sid for sid in self.scenarios if sid not in self.stale]

    def text(self, scenario: Scenario, key: str, locale: str) -> str | None:
        """A trainer's own text of ``key`` in ``locale``, or None (then the catalogue's translation applies)."""
        return (self.texts.get(scenario.id, {}).get(locale, {}).get(key) or "").strip() or None


@dataclass(frozen=True)
class Authoring:
    """What became of a trainer's scenario: saved, or the problems and the plan's differences to show."""

    saved: bool
    scenario: Scenario | None = None
    problems: tuple[str, ...] = ()
    differences: tuple[Difference, ...] = ()


def authored_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "scenarios"


_cache: dict[tuple, Library] = {}
_lock = threading.Lock()


def _signature(gset: GuidelineSet, roots: tuple[Path, ...]) -> tuple:
    files = [p for root in roots for p in sorted((root / "scenarios").glob("*.yaml"))]
    files += sorted((roots[-1] / "scenarios" / "translations").glob("*.json"))
    return (id(gset), *((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.is_file()))


def load_library(gset: GuidelineSet, guidelines_dir: Path, data_dir: Path) -> Library:
    """The library and the trainers' scenarios, read again only when a file changed. Broken files are left out
    (`referral guidelines check` names them)."""
    roots = (Path(guidelines_dir), Path(data_dir))
    key = _signature(gset, roots)
    with _lock:
        if key in _cache:
            return _cache[key]
    scenarios = {s.id: s for s in load_scenarios(gset, roots[0], Reporter(str(roots[0])))}
    own = load_scenarios(gset, roots[1], Reporter(str(roots[1]))) if authored_dir(roots[1]).is_dir() else []
    scenarios.update({s.id: s for s in own})
    texts = {s.id: _read_texts(roots[1], s.id) for s in own}
    library = Library(scenarios, frozenset(s.id for s in own), texts,
                      frozenset(sid for sid, scenario in scenarios.items() if not _agrees(gset, scenario)))
    with _lock:
        _cache.clear()
        _cache[key] = library
    return library


def _agrees(gset: GuidelineSet, scenario: Scenario) -> bool:
    """Whether the trees still give the scenario's expected plan (they may have changed since it was written)."""
    try:
        return not check_scenario(gset, scenario)
    except GuidelineError:
        return False


def _texts_file(data_dir: Path, scenario_id: str) -> Path:
    return authored_dir(data_dir) / "translations" / f"{scenario_id}.json"


def _read_texts(data_dir: Path, scenario_id: str) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(_texts_file(data_dir, scenario_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(locale): {k: str(v) for k, v in texts.items() if k in TEXT_KEYS}
            for locale, texts in data.items() if isinstance(texts, dict)} if isinstance(data, dict) else {}


# -- authoring --------------------------------------------------------------------------------------------------

def scenario_document(scenario: Scenario) -> dict[str, object]:
    """A scenario in the shape of its YAML file (to fill the authoring form)."""
    expect = scenario.expect
    document: dict[str, object] = {
        "id": scenario.id, "title": scenario.title, "narrative": scenario.narrative, "country": scenario.country,
        "facts": {fact: sorted(value) if isinstance(value, frozenset) else value
                  for fact, value in scenario.facts.items() if fact != "consent_refused"},
        "expect": {name: sorted(getattr(expect, name)) for name in EXPECT_SETS},
        "teaching_point": scenario.teaching_point,
    }
    document["expect"].update(urgency=expect.urgency, group_mode=expect.group_mode)
    if scenario.consent_refused:
        document["consent_refused"] = list(scenario.consent_refused)
    if scenario.tags:
        document["tags"] = list(scenario.tags)
    return document


def _yaml_text(document: Mapping[str, object]) -> str:
    order = ("id", "title", "narrative", "country", "facts", "consent_refused", "expect", "teaching_point", "tags")
    ordered = {key: document[key] for key in order if key in document}
    header = "# Written by a trainer in the browser; checked against the trees before it was saved.\n"
    return header + yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=100)


def save_scenario(*, gset: GuidelineSet, data_dir: Path, document: Mapping[str, object],
                  translations: Mapping[str, Mapping[str, str]] | None = None) -> Authoring:
    """Save a trainer's scenario if it reads cleanly and the trees give exactly its expected plan.

    ``document`` has the keys of a scenario file; ``translations`` maps a locale to its texts (title, narrative,
    teaching point). Nothing is written unless everything agrees.
    """
    scenario_id = str(document.get("id", ""))
    if not SCENARIO_ID.fullmatch(scenario_id):
        return Authoring(False, problems=("id",))
    folder = authored_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    checking = Path(tempfile.mkdtemp(prefix=".checking-", dir=folder))
    try:
        candidate = checking / f"{scenario_id}.yaml"
        candidate.write_text(_yaml_text(document), encoding="utf-8")
        report = Reporter(f"scenarios/{scenario_id}.yaml")
        scenario = load_scenario(candidate, gset, report)
        if scenario is None:
            return Authoring(False, problems=tuple(p.message for p in report.problems))
        try:
            differences = tuple(check_scenario(gset, scenario))
        except GuidelineError as exc:
            return Authoring(False, scenario, problems=tuple(p.message for p in exc.problems))
        if differences:
            return Authoring(False, scenario, differences=differences)
        _write_texts(data_dir, scenario_id, translations or {})
        os.replace(candidate, folder / candidate.name)
        return Authoring(True, scenario)
    finally:
        shutil.rmtree(checking, ignore_errors=True)


def _write_texts(data_dir: Path, scenario_id: str, translations: Mapping[str, Mapping[str, str]]) -> None:
    kept = {locale: {k: " ".join(str(v).split()) for k, v in texts.items() if k in TEXT_KEYS and str(v).strip()}
            for locale, texts in translations.items()}
    kept = {locale: texts for locale, texts in kept.items() if texts}
    path = _texts_file(data_dir, scenario_id)
    if not kept:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(kept, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)
