"""`referral guidelines report`: docs/guidelines.md, written from the trees so that it never goes stale.

For each category it lists the finding nodes that find it, with what they refer to and the sources behind them;
then the questions in the order the official meets them, the choices the encoders made (the `note` of a node's
source), where the trees differ from the brief's worked examples, and the open questions a national team must
settle. A test compares the committed file with a fresh rendering.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..engine import GuidelineSet, load_guidelines
from ..engine.errors import GuidelineError, Reporter
from ..engine.graph import describe
from ..engine.scenario_coverage import Coverage, coverage
from ..engine.scenarios import Scenario, load_scenarios
from ..engine.schema import FindingNode, QuestionNode, Tree
from .guidelines_commands import default_guidelines_dir

# Brief §7, in our words: what the sources could not settle. A national team settles each before deployment.
OPEN_QUESTIONS = (
    "The texts of both guidelines (UNHCR 2016 in Russian, English or Kazakh; IOM 2018) were not found. Every "
    "node is unverified: compare each node, indicator, question and annexed form with the texts.",
    "Whether the IOM 2018 guidelines follow the 2013 RCM model (its categories, preliminary identification steps "
    "and profiling questionnaire) is inferred, not checked.",
    "Translations of either guideline into Kyrgyz, Tajik, Turkmen, Uzbek, Dari or Pashto are not known.",
    "The national procedures exist but were not found: Tajikistan's standard operating procedures for referring "
    "asylum-seekers at the border, and Kyrgyzstan's instructions on their reception and referral.",
    "Kyrgyzstan: the time limits of article 4 of the refugee law, and the present name of the migration "
    "authority.",
    "Turkmenistan: whether the state or UNHCR determines refugee status today; the sources disagree.",
    "Afghanistan: no referral pathway has been researched.",
    "The child-protection authorities of the five states and how they work at the border; the rules on age "
    "assessment.",
    "Anti-trafficking bodies and hotlines other than Kyrgyzstan's 189 and Kazakhstan's 150 children's line; what "
    "the Union of Crisis Centers (Kazakhstan) and Ynam (Turkmenistan) do in referral.",
    "Whether the guidelines themselves set time limits for a referral from the border, beyond national law.",
    "The medical time windows (72 hours for post-exposure prophylaxis, 120 hours for emergency contraception) "
    "and the age of 60 for an older person are background standards: confirm them with the health partners.",
)

# Things the brief distinguishes that the shared facts (guidelines/facts.yaml) cannot yet express.
FACT_GAPS = (
    "Breastfeeding, a newborn, or how far a pregnancy has gone (brief §2.10: late pregnancy or a newborn is "
    "within 24 hours); only `pregnant` and the medical condition `labour` exist.",
    "A woman alone with her children, a single female head of household (brief §2.0, §2.10); `companion: "
    "family_group` does not say whether another adult is there.",
    "An essential aid (wheelchair, hearing aid) or carer that is missing (brief §2.7: within 24 hours).",
    "Whether the family member who is missing is a child (brief §2.13: immediate if a child is missing); the "
    "tracing finding is immediate only when the person screened is a child.",
    "Whether a stateless person wants a nationality confirmed by a consulate (brief §2.6); the trees never add "
    "`consular` for statelessness and leave it to the person to ask.",
)


def render_report(gset: GuidelineSet, scenarios: list[Scenario], cover: Coverage) -> str:
    """The whole of docs/guidelines.md."""
    by_category: dict[str, list[tuple[Tree, FindingNode]]] = {c: [] for c in gset.vocab.categories}
    for tree in gset.trees:
        for node in tree.nodes.values():
            if isinstance(node, FindingNode):
                by_category.setdefault(node.category, []).append((tree, node))
    lines = [
        "# The guidelines, category by category",
        "",
        "Written by `referral guidelines report -o docs/guidelines.md` from `guidelines/trees/` and",
        "`guidelines/scenarios/`; do not edit it by hand. Sections (§) are those of GUIDELINES-BRIEF.md, the source",
        "ids (S..) its list of sources. Basis: R read in the source, D derived from a related reference, B background",
        "standard (brief §0.2). No node has yet been checked against the primary text of either guideline.",
        "",
        *_summary(gset, scenarios, cover),
        "## Categories and the nodes that find them",
        "",
    ]
    for category, found in by_category.items():
        lines += _category(category, found, scenarios)
    lines += _questions(gset)
    lines += _notes(gset)
    lines += _differences(scenarios)
    lines += ["## Open questions a national team must settle (brief §7)", ""]
    lines += [f"{i}. {text}" for i, text in enumerate(OPEN_QUESTIONS, 1)] + [""]
    lines += ["## What the facts cannot say yet", ""]
    lines += [f"- {text}" for text in FACT_GAPS] + [""]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _summary(gset: GuidelineSet, scenarios: list[Scenario], cover: Coverage) -> list[str]:
    lines = ["| tree | document | version | nodes | questions | findings | basis D or B | verified |",
             "|---|---|---|---|---|---|---|---|"]
    for tree in gset.trees:
        nodes = list(tree.nodes.values())
        lines.append(
            f"| {tree.id} | {_cell(tree.document)} ({tree.year}) | {tree.version} | {len(nodes)} "
            f"| {sum(isinstance(n, QuestionNode) for n in nodes)} | {sum(isinstance(n, FindingNode) for n in nodes)} "
            f"| {sum(n.source.basis in ('D', 'B') for n in nodes)} | {sum(n.source.verified for n in nodes)} |")
    lines += ["", f"{len(scenarios)} scenarios reach {cover.reached} of the {cover.total} nodes.", ""]
    return lines


def _category(category: str, found: list[tuple[Tree, FindingNode]], scenarios: list[Scenario]) -> list[str]:
    lines = [f"### {category}", ""]
    if not found:
        return lines + ["No node finds this category.", ""]
    lines += ["| node | destinations | urgency | must-nots | section | basis | sources |",
              "|---|---|---|---|---|---|---|"]
    for tree, node in found:
        urgency = node.urgency + "".join(f"; {r.level} when {describe(r.when)}" for r in node.raise_urgency)
        group = " (group mode)" if node.group_mode else ""
        lines.append(
            f"| {tree.id}/{node.id}{group} | {', '.join(node.destinations) or '(none)'} | {_cell(urgency)} "
            f"| {' '.join(node.must_not)} | {_cell(node.source.section)} | {node.source.basis} "
            f"| {', '.join(node.source.refs) or '-'} |")
    names = [s.id for s in scenarios if category in s.expect.categories]
    lines += ["", "Scenarios: " + (", ".join(f"`{name}`" for name in names) if names else "none"), ""]
    return lines


def _questions(gset: GuidelineSet) -> list[str]:
    lines = ["## The questions, in the order of the trees", "",
             "An empty phrase marks what the official observes without asking.", "",
             "| node | fact | private | phrase for the person | section | basis |", "|---|---|---|---|---|---|"]
    for tree in gset.trees:
        for node in tree.nodes.values():
            if isinstance(node, QuestionNode):
                options = f" ({', '.join(node.options)})" if node.answer_type == "multi" else ""
                lines.append(f"| {tree.id}/{node.id} | {node.fact}{_cell(options)} | {'yes' if node.private else ''} "
                             f"| {_cell(node.say) or '(observe)'} | {_cell(node.source.section)} "
                             f"| {node.source.basis} |")
    return lines + [""]


def _notes(gset: GuidelineSet) -> list[str]:
    lines = ["## Choices made in encoding, to confirm", "",
             "Where the brief leaves room, the trees made a choice and say so in the node's `source.note`.", ""]
    for tree in gset.trees:
        lines += [f"- `{tree.id}/{node.id}` ({node.source.section}): {node.source.note}"
                  for node in tree.nodes.values() if node.source.note]
    return lines + [""]


def _differences(scenarios: list[Scenario]) -> list[str]:
    rows = sorted((s.brief.number, s) for s in scenarios if s.brief is not None)
    lines = ["## The worked examples of brief §4.3", "",
             "Each worked example is a scenario. Categories and urgency are the brief's; the plan holds at least the",
             "brief's key must-nots; where the destinations differ, the reason is given.", "",
             "| example | scenario | destinations added to the brief's "
             "| must-nots added to the brief's key ones | note |",
             "|---|---|---|---|---|"]
    for number, scenario in rows:
        brief, expect = scenario.brief, scenario.expect
        added = ", ".join(sorted(expect.destinations - brief.destinations)) or "none"
        removed = sorted(brief.destinations - expect.destinations)
        if removed:
            added += "; missing: " + ", ".join(removed)
        extra = " ".join(sorted(expect.must_not - brief.key_must_not)) or "none"
        lines.append(f"| {number} | `{scenario.id}` | {added} | {extra} | {_cell(brief.note) or '-'} |")
    return lines + [""]


@click.command("report")
@click.option("--guidelines", "root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Guidelines folder (default: the configured one).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to OUTPUT (e.g. docs/guidelines.md) instead of printing it.")
def report_command(root: Path | None, output: Path | None) -> None:
    """Write, for each category, the nodes that find it and their sources, and the open questions."""
    root = root or default_guidelines_dir()
    try:
        gset = load_guidelines(root)
    except GuidelineError as exc:
        raise click.ClickException(str(exc)) from exc
    scenarios = load_scenarios(gset, root, Reporter(str(root)))
    text = render_report(gset, scenarios, coverage(gset, scenarios))
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")
