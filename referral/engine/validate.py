"""Checks that need a whole tree or several files: dangling and unreachable nodes, cycles, walks that stop
before an end node, and destination kinds a country cannot resolve."""

from __future__ import annotations

from .conditions import ALWAYS
from .errors import ErrorCode, Reporter, did_you_mean
from .facts import Vocabulary
from .schema import EndNode, Pathway, QuestionNode, Tree


def validate_tree(tree: Tree, vocab: Vocabulary, report: Reporter) -> None:
    """Report every structural problem of one tree."""
    for node in tree.nodes.values():
        for target in node.targets():
            if target not in tree.nodes:
                report.add(ErrorCode.DANGLING_NEXT, _target_line(node, target), node.id,
                           did_you_mean(target, tree.nodes), target=target)
        _check_way_on(node, vocab, report)
    if tree.start not in tree.nodes:
        return
    reachable = _reachable(tree)
    for node_id, node in tree.nodes.items():
        if node_id not in reachable:
            report.add(ErrorCode.UNREACHABLE_NODE, node.line, node_id)
    _check_cycles(tree, report)
    _check_asked_twice(tree, report)


def _target_line(node, target: str) -> int:
    for route in node.routes:
        if route.target == target:
            return route.line
    for answer in getattr(node, "answers", ()):
        if answer.next == target:
            return answer.line
    return node.line


def offered_values(node: QuestionNode, vocab: Vocabulary) -> tuple[str, ...]:
    """The answer buttons of a choice question: every value of its fact, `unknown` only where allowed."""
    spec = vocab.facts.get(node.fact)
    values = spec.choices() if spec else tuple(a.value for a in node.answers)
    return tuple(v for v in values if node.allow_unknown or v != "unknown")


def _check_way_on(node, vocab: Vocabulary, report: Reporter) -> None:
    if isinstance(node, EndNode):
        return
    has_default = bool(node.routes) and node.routes[-1].when is ALWAYS
    if node.routes and not has_default:
        report.add(ErrorCode.NO_WAY_ON, node.routes[-1].line, node.id,
                   "end `next` with a route that has no `when`", detail="none of the `when` conditions may hold")
    if isinstance(node, QuestionNode) and node.answer_type == "choice":
        routed = {a.value for a in node.answers if a.next}
        if not has_default:
            for value in offered_values(node, vocab):
                if value not in routed:
                    report.add(ErrorCode.MISSING_ANSWER, node.line, node.id, value=f"'{value}'")
        return
    if not node.routes:
        report.add(ErrorCode.NO_WAY_ON, node.line, node.id, "add `next`", detail=f"a {node.kind} node has no `next`")


def _reachable(tree: Tree) -> set[str]:
    seen, stack = set(), [tree.start]
    while stack:
        node_id = stack.pop()
        if node_id in seen or node_id not in tree.nodes:
            continue
        seen.add(node_id)
        stack.extend(tree.nodes[node_id].targets())
    return seen


def _check_cycles(tree: Tree, report: Reporter) -> None:
    """Depth-first search; a grey node met again closes a cycle, reported once at its first node."""
    colour: dict[str, int] = {}  # 1 on the stack, 2 done
    reported: set[frozenset[str]] = set()

    def visit(start: str) -> None:
        path = [start]
        iters = [iter(tree.nodes[start].targets())]
        colour[start] = 1
        while iters:
            target = next(iters[-1], None)
            if target is None:
                colour[path.pop()] = 2
                iters.pop()
                continue
            if target not in tree.nodes:
                continue
            if colour.get(target) == 1:
                loop = path[path.index(target):]
                if frozenset(loop) not in reported:
                    reported.add(frozenset(loop))
                    report.add(ErrorCode.CYCLE, tree.nodes[target].line, target,
                               path=" -> ".join([*loop, target]))
            elif target not in colour:
                colour[target] = 1
                path.append(target)
                iters.append(iter(tree.nodes[target].targets()))

    for node_id in tree.nodes:
        if node_id not in colour:
            visit(node_id)


def _check_asked_twice(tree: Tree, report: Reporter) -> None:
    """Warn where a fact may already have been asked on the way to a question that asks it again."""
    asked_before: dict[str, dict[str, str]] = {tree.start: {}}
    order = _topological(tree)
    for node_id in order:
        node = tree.nodes[node_id]
        before = asked_before.get(node_id, {})
        after = dict(before)
        if isinstance(node, QuestionNode) and node.answer_type != "multi":
            if node.fact in before:
                report.add(ErrorCode.FACT_ASKED_TWICE, node.line, node.id, fact=node.fact, other=before[node.fact])
            after.setdefault(node.fact, node.id)
        for target in node.targets():
            if target in tree.nodes:
                asked_before.setdefault(target, {}).update(after)


def _topological(tree: Tree) -> list[str]:
    """Reachable nodes in an order where each node comes after all its predecessors (cycles are cut)."""
    indegree = {node_id: 0 for node_id in _reachable(tree)}
    for node_id in indegree:
        for target in tree.nodes[node_id].targets():
            if target in indegree:
                indegree[target] += 1
    ready = [n for n, d in indegree.items() if d == 0] or [tree.start]
    order = []
    while ready:
        node_id = ready.pop()
        order.append(node_id)
        for target in tree.nodes[node_id].targets():
            if target in indegree:
                indegree[target] -= 1
                if indegree[target] == 0:
                    ready.append(target)
    return order


def validate_pathway(pathway: Pathway, vocab: Vocabulary, report: Reporter) -> None:
    """Every destination kind of the vocabulary must reach an agency, directly or through fallbacks."""
    for kind in vocab.destinations:
        if kind in pathway.agencies:
            continue
        chain, current = [kind], kind
        while current in pathway.fallbacks and current not in pathway.agencies:
            current = pathway.fallbacks[current]
            if current in chain:
                report.add(ErrorCode.FALLBACK_LOOP, None, kind, path=" -> ".join([*chain, current]))
                break
            chain.append(current)
        else:
            if current not in pathway.agencies:
                report.add(ErrorCode.UNRESOLVED_DESTINATION, None, kind, destination=kind,
                           country=pathway.country)
