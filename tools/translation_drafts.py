"""Report the machine-made draft translations, and put back the draft status that `pybabel update` drops.

A draft entry carries the translator comment "# draft: awaiting review by a native speaker" (not the fuzzy flag,
which gettext ignores). A catalogue with drafts says "X-Review-Status: draft - awaiting review by a native speaker"
in its header comment and in its header fields. Babel keeps translator comments and the header comment on
`pybabel update`, but rewrites the header fields from scratch and so loses X-Review-Status; run this script with
`--restore-header` after an update to put it back.

A reviewer who has checked an entry deletes its draft comment; once no draft is left in a catalogue, delete the
status lines from its header too.

    .venv/bin/python tools/translation_drafts.py                    # one line per catalogue
    .venv/bin/python tools/translation_drafts.py --restore-header   # after `make translations`
"""

from __future__ import annotations

import argparse
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
DRAFT_COMMENT = "draft: awaiting review by a native speaker"
STATUS = "X-Review-Status: draft - awaiting review by a native speaker"
PERSON_FACING = "said to or shown to the person"
FIELD_BEFORE = '"Content-Transfer-Encoding: 8bit\\n"\n'


def filled(string: str | tuple[str, ...]) -> bool:
    """A msgstr with text; a plural entry counts when any of its forms has text."""
    return any(string) if isinstance(string, tuple) else bool(string)


def report(path: Path) -> str:
    """Count messages, translated ones, drafts and phrases for the person still without a translation."""
    with path.open("rb") as handle:
        catalog = read_po(handle)
    messages = [message for message in catalog if message.id]
    translated = [message for message in messages if filled(message.string) and "fuzzy" not in message.flags]
    drafts = [message for message in translated if DRAFT_COMMENT in message.user_comments]
    person = [message for message in messages if PERSON_FACING in " ".join(message.auto_comments)]
    missing = [message for message in person if message not in translated]
    return (f"{path.parents[1].name:6} {len(messages):4} messages, {len(translated):4} translated "
            f"({len(drafts)} drafts), phrases for the person: {len(person) - len(missing)}/{len(person)}")


def restore_header(path: Path) -> bool:
    """Add the X-Review-Status field when the header comment says the catalogue is a draft; True if changed."""
    text = path.read_text(encoding="utf-8")
    header = text.split("\n\n", 1)[0]
    if f"# {STATUS}" not in header or f'"{STATUS}\\n"' in header or FIELD_BEFORE not in header:
        return False
    path.write_text(text.replace(FIELD_BEFORE, FIELD_BEFORE + f'"{STATUS}\\n"\n', 1), encoding="utf-8")
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--restore-header", action="store_true", help="put back X-Review-Status after an update")
    args = parser.parse_args()
    for path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        if args.restore_header and restore_header(path):
            print(f"{path.relative_to(ROOT)}: X-Review-Status restored")
        print(report(path))


if __name__ == "__main__":
    main()
