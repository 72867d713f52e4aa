"""The trainer's figures for a workshop: who has finished, per scenario the share of correct plans and what was
most missed (engine.debrief.summarize over the stored debriefs), and the results as CSV for a spreadsheet.

Everything is read from the runs' stored debriefs, so the figures stand as the runs were scored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlmodel import Session, select

from ..engine.debrief import ScenarioStats, summarize
from ..models import Trainee, TrainingRun, Workshop, utc
from .training import stored_debrief

CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class TraineeRow:
    trainee: Trainee
    runs: Mapping[str, TrainingRun]

    def status(self, scenario_id: str) -> str:
        """not_started, in_progress, correct or differs."""
        run = self.runs.get(scenario_id)
        if run is None:
            return "not_started"
        if run.finished_at is None:
            return "in_progress"
        return "correct" if run.correct else "differs"

    def finished(self, scenario_ids: Iterable[str]) -> bool:
        return all(self.status(sid) in ("correct", "differs") for sid in scenario_ids)


@dataclass(frozen=True)
class Results:
    workshop: Workshop
    rows: tuple[TraineeRow, ...]
    stats: Mapping[str, ScenarioStats]

    @property
    def finished(self) -> int:
        return sum(row.finished(self.workshop.scenario_ids) for row in self.rows)


def results(*, session: Session, workshop: Workshop) -> Results:
    """Every trainee with their runs, and per scenario the aggregates of the finished runs."""
    trainees = list(session.exec(select(Trainee).where(Trainee.workshop_id == workshop.id)
                                 .order_by(Trainee.joined_at, Trainee.id)))
    runs: dict[int, dict[str, TrainingRun]] = {t.id: {} for t in trainees}
    if trainees:
        for run in session.exec(select(TrainingRun).where(TrainingRun.trainee_id.in_(list(runs)))):
            runs[run.trainee_id][run.scenario_id] = run
    rows = tuple(TraineeRow(t, runs[t.id]) for t in trainees)
    finished = [stored_debrief(run) for row in rows for run in row.runs.values() if run.debrief]
    return Results(workshop, rows, summarize(d for d in finished if d.scenario in workshop.scenario_ids))


CSV_COLUMNS = ("trainee", "scenario", "started_at", "finished_at", "correct", "missed_categories",
               "added_categories", "missed_destinations", "added_destinations", "expected_urgency", "urgency",
               "missed_must_not", "added_must_not", "first_divergence_question", "first_divergence_section")


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = " ".join(sorted(value)) if isinstance(value, frozenset | set) else ("" if value is None else str(value))
    return "'" + text if text.startswith(CSV_FORMULA_START) else text


def results_csv(found: Results) -> str:
    """One row per run, in codes (categories, destinations, must-nots, tree/node), for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in found.rows:
        for scenario_id in found.workshop.scenario_ids:
            if scenario_id in row.runs:
                writer.writerow([_cell(v) for v in _csv_row(row.trainee, row.runs[scenario_id])])
    return out.getvalue()


def _when(moment: object) -> str:
    return utc(moment).isoformat(timespec="seconds") if moment else ""


def _csv_row(trainee: Trainee, run: TrainingRun) -> list[object]:
    done = "" if run.correct is None else ("yes" if run.correct else "no")
    row = [trainee.display_name, run.scenario_id, _when(run.started_at), _when(run.finished_at), done]
    result = stored_debrief(run)
    if result is None:
        return row + [""] * (len(CSV_COLUMNS) - len(row))
    got = (run.debrief.get("plan") or {}).get("urgency", "")
    urgency = next((d for d in result.differences if d.field == "urgency"), None)
    first = result.first_divergence
    return row + [result.missed("categories"), result.added("categories"), result.missed("destinations"),
                  result.added("destinations"), urgency.expected if urgency else got, got,
                  result.missed("must_not"), result.added("must_not"),
                  f"{first.tree}/{first.node}" if first else "", first.section if first else ""]
