"""Write a tree as Graphviz DOT, so that trainers and reviewers can see its shape."""

from __future__ import annotations

import textwrap

from .conditions import ALWAYS, All, AnyOf, CategoryTest, Condition, FactTest, Not
from .facts import Vocabulary
from .schema import EndNode, FindingNode, InfoNode, QuestionNode, Tree

_STYLE = {
    "question": 'shape=box, style="rounded"',
    "finding": 'shape=box, style="filled", fillcolor="#fde2b8"',
    "info": 'shape=note, style="filled", fillcolor="#e4eefb"',
    "end": "shape=doublecircle, width=0.3, fixedsize=true",
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _wrap(text: str, width: int = 36) -> str:
    return "\n".join(textwrap.wrap(text, width)) if text else ""


def describe(condition: Condition) -> str:
    """A short human reading of a condition, for edge labels."""
    if condition is ALWAYS:
        return ""
    if isinstance(condition, FactTest):
        value = condition.value
        if isinstance(value, frozenset):
            value = "[" + ", ".join(sorted(value)) + "]"
        return f"{condition.fact} {condition.op}" + ("" if value is None else f" {value}")
    if isinstance(condition, CategoryTest):
        return f"category {condition.category}"
    if isinstance(condition, Not):
        return f"not ({describe(condition.item)})"
    joiner = " and " if isinstance(condition, All) else " or "
    assert isinstance(condition, All | AnyOf)
    return joiner.join(f"({describe(item)})" for item in condition.items)


def _label(node, vocab: Vocabulary) -> str:
    if isinstance(node, QuestionNode):
        return f"{node.id}\n[{node.fact}]\n{_wrap(node.text)}"
    if isinstance(node, FindingNode):
        urgency = node.urgency + (" (may rise)" if node.raise_urgency else "")
        destinations = ", ".join(node.destinations) or "no referral"
        must_not = " ".join(node.must_not)
        return f"{node.category}\n{urgency}\n{_wrap(destinations)}\n{must_not}".strip()
    if isinstance(node, InfoNode):
        return f"{node.id}\n{_wrap(node.text)}"
    if isinstance(node, EndNode):
        return ""
    return node.id


def tree_to_dot(tree: Tree, vocab: Vocabulary) -> str:
    """The whole tree: one box per node, one arrow per answer or route, labelled with what takes it."""
    lines = [f"digraph {_quote(tree.id)} {{",
             f"  label={_quote(f'{tree.title} (version {tree.version})')}; labelloc=t;",
             '  node [fontname="Noto Sans, DejaVu Sans, sans-serif", fontsize=10];',
             '  edge [fontname="Noto Sans, DejaVu Sans, sans-serif", fontsize=9];']
    for node in tree.nodes.values():
        lines.append(f"  {_quote(node.id)} [label={_quote(_label(node, vocab))}, {_STYLE[node.kind]}];")
    for node in tree.nodes.values():
        answered: set[str] = set()
        if isinstance(node, QuestionNode):
            by_target: dict[str, list[str]] = {}
            for answer in node.answers:
                if answer.next:
                    by_target.setdefault(answer.next, []).append(answer.value)
                    answered.add(answer.value)
            for target, values in by_target.items():
                lines.append(f"  {_quote(node.id)} -> {_quote(target)} [label={_quote(' / '.join(values))}];")
        for route in node.routes:
            label = describe(route.when) or ("otherwise" if answered or len(node.routes) > 1 else "")
            lines.append(f"  {_quote(node.id)} -> {_quote(route.target)} [label={_quote(_wrap(label, 30))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
