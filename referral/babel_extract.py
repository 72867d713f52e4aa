"""Babel extractor for the guideline and form files, so trees are translated exactly like templates.

Every text a person reads in a YAML file is an English message id. The extractor yields it with its real line
and a comment naming the file, the node and the field (``#. iom-2018/q_age/say``), so a translator sees where
the text is used; phrases said to the person carry a note saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from .engine.marked_yaml import MarkedDict, MarkedList, YamlSyntaxError, load_text

# Keys whose value is one text, a list of texts, or a mapping of code to text.
TEXT_KEYS = frozenset({"title", "text", "say", "guidance", "tell_person", "label", "narrative", "teaching_point",
                       "help", "statement", "role_card", "name"})  # `name`: pathways and their agencies
TEXT_LIST_KEYS = frozenset({"must_do", "rules"})
TEXT_MAP_KEYS = frozenset({"must_not", "consent_reasons", "choices"})
PERSON_FACING = frozenset({"say", "tell_person", "statement"})

Message = tuple[int, str | None, str, list[str]]


def extract_yaml(fileobj: IO[bytes], keywords, comment_tags, options) -> Iterator[Message]:
    """Yield (line, funcname, message, comments) for every translatable text of one YAML file."""
    name = getattr(fileobj, "name", "")
    source = name.rsplit("/", 1)[-1].removesuffix(".yaml") if isinstance(name, str) else ""
    try:
        data = load_text(fileobj.read().decode("utf-8"))
    except YamlSyntaxError:
        return  # `referral guidelines check` reports the file; extraction must not hide other messages
    if isinstance(data, MarkedDict):
        top = str(data.get("id") or source)
        yield from _walk(data, top, top)


def _comment(where: str, key: str) -> list[str]:
    comments = [f"{where}/{key}"]
    if key in PERSON_FACING:
        comments.append("Translators: said to or shown to the person, in the person's language; "
                        "keep it plain and kind.")
    return comments


def _walk(data: object, top: str, where: str) -> Iterator[Message]:
    if isinstance(data, MarkedList):
        for item in data:
            yield from _walk(item, top, where)
        return
    if not isinstance(data, MarkedDict):
        return
    if isinstance(data.get("id"), str) and data.get("id") != top:
        where = f"{top}/{data['id']}"
    for key, value in data.items():
        line = data.line_of(key)
        if key in TEXT_KEYS and isinstance(value, str) and value.strip():
            yield line, None, value.strip(), _comment(where, key)
        elif key in TEXT_LIST_KEYS and isinstance(value, MarkedList):
            for index, item in enumerate(value):
                if isinstance(item, str) and item.strip():
                    yield value.line_of(index), None, item.strip(), _comment(where, key)
                else:  # a rule written as {text, when, source}
                    yield from _walk(item, top, f"{where}/{key}")
        elif key in TEXT_MAP_KEYS and isinstance(value, MarkedDict):
            for code, text in value.items():
                if isinstance(text, str) and text.strip():
                    yield value.line_of(code), None, text.strip(), [f"{where}/{key}/{code}"]
                else:
                    yield from _walk(text, top, f"{where}/{key}/{code}")
        elif isinstance(value, MarkedDict | MarkedList):
            yield from _walk(value, top, f"{where}/{key}" if isinstance(value, MarkedDict) else where)
