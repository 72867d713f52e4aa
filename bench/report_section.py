"""Each benchmark writes its own section of docs/benchmarks.md, between its two markers, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def write_section(text: str, start: str, end: str, *, heading: str | None = None, after: str | None = None) -> None:
    """Put ``text`` (which begins with ``start`` and ends with ``end``) in place of the section between the
    markers; a section not there yet goes after the ``after`` marker, else at the end under ``heading``."""
    current = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    if start in current:
        current = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _m: text, current, flags=re.S)
    elif after and after in current:
        current = current.replace(after, after + "\n\n" + text, 1)
    else:
        current = current.rstrip("\n") + (f"\n\n## {heading}\n\n" if heading else "\n\n") + text + "\n"
    BENCHMARKS.write_text(current, encoding="utf-8")
