"""Read YAML keeping the line of every mapping, key and list item, so that problems can name their line.

Three departures from plain PyYAML, all on purpose:
- only `true` and `false` are booleans. YAML 1.1 also reads `yes`, `no`, `on` and `off` as booleans, which
  would silently turn the answer `no` of a tri fact into False.
- a key given twice in one mapping is remembered, not silently overwritten.
- a date that does not exist (2027-02-30) stays text, for the checks to report, instead of raising.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

_BOOL_TAG = "tag:yaml.org,2002:bool"


class MarkedDict(dict):
    """A mapping that knows its own line, the line of each key and the keys given twice."""

    line: int = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_lines: dict[object, int] = {}
        self.duplicate_keys: list[tuple[object, int]] = []

    def line_of(self, key: object) -> int:
        return self.key_lines.get(key, self.line)


class MarkedList(list):
    """A sequence that knows its own line and the line of each item."""

    line: int = 0

    def __init__(self, *args):
        super().__init__(*args)
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> MarkedDict:
    loader.flatten_mapping(node)
    result = MarkedDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            result.duplicate_keys.append((key, line))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> MarkedList:
    result = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> object:
    # PyYAML raises a bare ValueError on a date of the right form that does not exist (2027-02-30), which
    # would escape every error report; as text it reaches the check that names the file, line and key.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class YamlSyntaxError(Exception):
    """The text is not YAML; ``line`` is 1-based where PyYAML knows it."""

    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


def load_text(text: str) -> object:
    """Parse YAML text into MarkedDict / MarkedList / scalars."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlSyntaxError(str(exc.problem or exc), mark.line + 1 if mark else None) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from exc


def load_file(path: Path) -> object:
    """Parse one YAML file (UTF-8)."""
    return load_text(path.read_text(encoding="utf-8"))
