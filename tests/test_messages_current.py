"""translations/messages.pot must hold every message the code, the templates and the YAML files show: when a
text is added or changed without `make translations`, this test fails and names the messages."""

from __future__ import annotations

import subprocess
import sys

from babel.messages.pofile import read_po

from tests.conftest import PROJECT_ROOT


def msgids(path) -> set[str]:
    with open(path, "rb") as handle:
        return {str(message.id) for message in read_po(handle) if message.id}


def test_the_message_template_is_current(tmp_path):
    fresh = tmp_path / "messages.pot"
    done = subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "translations/babel.cfg",
                           "-k", "_l", "-k", "lazy_gettext", "--add-comments=Translators:", "--sort-by-file",
                           "--no-wrap", "--omit-header", "-o", str(fresh), "."],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    committed, current = msgids(PROJECT_ROOT / "translations" / "messages.pot"), msgids(fresh)
    assert sorted(current - committed) == [], "new texts: run `make translations` and translate them"
    assert sorted(committed - current) == [], "texts gone: run `make translations`"
