"""A guideline set: the vocabulary, every tree and every national pathway of one folder, checked together.

Reading and checking happen once; the set is cached until one of its files changes, so the web can ask for it
on every request at no cost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ErrorCode, GuidelineError, Problem, Reporter, did_you_mean
from .facts import Vocabulary, load_vocabulary
from .loader import load_pathway, load_tree
from .schema import Pathway, Tree
from .validate import validate_pathway, validate_tree

# Checks of other kinds of file (the scenarios) register here, so that `guidelines check` runs them too
# without the engine knowing about them. Each takes (set, root, reporter).
EXTRA_CHECKS: list[Callable[[GuidelineSet, Path, Reporter], None]] = []


@dataclass(frozen=True)
class GuidelineSet:
    root: Path
    vocab: Vocabulary
    trees: tuple[Tree, ...]
    pathways: Mapping[str, Pathway]
    warnings: tuple[Problem, ...] = field(default=())

    def tree(self, tree_id: str) -> Tree:
        for tree in self.trees:
            if tree.id == tree_id:
                return tree
        raise GuidelineError([Problem(ErrorCode.UNKNOWN_TREE, str(self.root), message=f"no tree '{tree_id}'",
                                      hint=did_you_mean(tree_id, [t.id for t in self.trees]))])

    def pathway(self, country: str | None) -> Pathway | None:
        """The pathway of ``country`` (any case), None when no country is given; unknown countries raise."""
        if not country:
            return None
        key = country.upper()
        if key not in self.pathways:
            raise GuidelineError([Problem(ErrorCode.UNKNOWN_COUNTRY, str(self.root),
                                          message=f"no pathway for country '{country}'",
                                          hint="known: " + ", ".join(sorted(self.pathways)))])
        return self.pathways[key]


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def find_vocabulary(root: Path) -> Path:
    """The facts.yaml of ``root``, or of its nearest parent: a national or demonstration set shares the vocabulary."""
    for folder in (root, *root.parents):
        if (folder / "facts.yaml").is_file():
            return folder / "facts.yaml"
    return root / "facts.yaml"


def check_guidelines(root: Path) -> tuple[GuidelineSet, list[Problem]]:
    """Read and check every file under ``root``; return the set (best effort) and every problem found."""
    root = Path(root)
    problems: list[Problem] = []
    vocab_path = find_vocabulary(root)
    vocab = load_vocabulary(vocab_path, Reporter(_relative(vocab_path, root), problems))
    trees: list[Tree] = []
    first_file: dict[str, str] = {}
    for path in sorted((root / "trees").glob("*.yaml")):
        report = Reporter(_relative(path, root), problems)
        tree = load_tree(path, vocab, report)
        if tree is None:
            continue
        if tree.id in first_file:
            report.add(ErrorCode.DUPLICATE_ID, 1, None, what="tree", id=tree.id, first_line=first_file[tree.id])
            continue
        first_file[tree.id] = report.file
        validate_tree(tree, vocab, report)
        trees.append(tree)
    pathways: dict[str, Pathway] = {}
    for path in sorted((root / "pathways").glob("*.yaml")):
        report = Reporter(_relative(path, root), problems)
        pathway = load_pathway(path, vocab, report)
        if pathway is not None:
            validate_pathway(pathway, vocab, report)
            pathways[pathway.country] = pathway
    trees.sort(key=lambda t: (t.order, t.id))
    gset = GuidelineSet(root, vocab, tuple(trees), pathways,
                        tuple(p for p in problems if not p.is_error))
    for extra in EXTRA_CHECKS:
        extra(gset, root, Reporter(_relative(root, root), problems))
    return gset, problems


# Looking at every file's time stamp costs about 10 ms with the scenario library: a web request asks for the set
# many times, so the files are looked at again only after RECHECK_SECONDS. An edit shows within that time.
RECHECK_SECONDS = 2.0
_cache: dict[Path, tuple[tuple, GuidelineSet, float]] = {}
_lock = threading.Lock()


def _signature(root: Path) -> tuple:
    files = [find_vocabulary(root), *sorted(p for p in root.rglob("*.yaml") if p.is_file())]
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)


def load_guidelines(root: Path | str) -> GuidelineSet:
    """The checked guideline set of ``root``; raises GuidelineError listing every error. Cached until a file changes."""
    root = Path(root).resolve()
    with _lock:
        cached = _cache.get(root)
    if cached and time.monotonic() - cached[2] < RECHECK_SECONDS:
        return cached[1]
    signature = _signature(root)
    if cached and cached[0] == signature:
        with _lock:
            _cache[root] = (signature, cached[1], time.monotonic())
        return cached[1]
    gset, problems = check_guidelines(root)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise GuidelineError(errors)
    with _lock:
        _cache[root] = (signature, gset, time.monotonic())
    return gset
