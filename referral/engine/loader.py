"""Read tree and pathway files into the model, reporting every problem with its file, line and node.

The loader checks what one mapping can tell (keys, types, words of the vocabulary); checks that need the whole
tree or several files (reachability, cycles, pathways that cannot resolve a kind) live in ``validate``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from .conditions import ALWAYS
from .errors import ErrorCode, Reporter, did_you_mean
from .facts import Vocabulary, check_keys
from .marked_yaml import MarkedDict, MarkedList, YamlSyntaxError, load_file
from .schema import (
    NODE_KINDS,
    Agency,
    Agreement,
    Answer,
    EndNode,
    FindingNode,
    InfoNode,
    Node,
    Pathway,
    PathwayRule,
    QuestionNode,
    Route,
    Source,
    Tree,
    UrgencyRaise,
)

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FINGERPRINT = re.compile(r"^[0-9a-fA-F]{64}$")
ANSWER_TYPES = {"tri": "choice", "enum": "choice", "set": "multi", "int": "number", "code": "code"}

_TREE_KEYS = {"id", "title", "source", "version", "order", "start", "nodes", "description"}
_TREE_SOURCE_KEYS = {"document", "year", "url", "note"}
_COMMON_KEYS = {"id", "kind", "source", "next"}
_KIND_KEYS = {
    "question": {"sets", "answer_type", "text", "say", "guidance", "answers", "options", "allow_unknown",
                 "private"},
    "finding": {"category", "destinations", "urgency", "raise_urgency", "must_not", "must_do", "tell_person",
                "group_mode"},
    "info": {"text", "say"},
    "end": {"text"},
}
_SOURCE_KEYS = {"section", "document", "basis", "refs", "verified", "note"}
_PATHWAY_KEYS = {"country", "name", "version", "languages", "destinations", "rules", "source"}
_AGENCY_KEYS = {"name", "contact", "slip_language", "confirmed", "source", "key_fingerprint", "key_valid_until",
                "agreement", "note"}
_AGREEMENT_KEYS = {"id", "valid_until", "note"}


def read_yaml(path: Path, report: Reporter) -> MarkedDict | None:
    """Parse a guideline file that must hold a mapping; None (with a problem reported) otherwise."""
    try:
        raw = load_file(path)
    except YamlSyntaxError as exc:
        report.add(ErrorCode.YAML_SYNTAX, exc.line, detail=str(exc))
        return None
    if not isinstance(raw, MarkedDict):
        report.add(ErrorCode.BAD_TYPE, 1, key="(file)", where=path.name, expected="a mapping",
                   got=type(raw).__name__)
        return None
    return raw


def _text(raw: MarkedDict, key: str, report: Reporter, node: str | None, where: str) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        report.add(ErrorCode.BAD_TYPE, raw.line_of(key), node, key=key, where=where, expected="text",
                   got=type(value).__name__)
        return str(value)
    return value.strip()


def _words(raw: MarkedDict, key: str, report: Reporter, node: str | None, where: str) -> tuple[str, ...]:
    value = raw.get(key) or ()
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, list | tuple):
        report.add(ErrorCode.BAD_TYPE, raw.line_of(key), node, key=key, where=where, expected="a list",
                   got=type(value).__name__)
        return ()
    return tuple(str(item) for item in value)


def _entries(raw: MarkedDict, key: str, required: tuple[str, ...], allowed: set[str], report: Reporter,
             node: str | None, what: str, plain: bool = False):
    """Yield (item, line) for each mapping of the list under ``key`` that has the ``required`` keys.

    Problems (not a list, an item without a required key, unknown keys) are reported, and bad items skipped.
    With ``plain``, a text item is yielded as it is (a rule may be a bare sentence).
    """
    items = raw.get(key)
    if items is None:
        return
    if not isinstance(items, MarkedList):
        report.add(ErrorCode.BAD_TYPE, raw.line_of(key), node, key=key, where=what, expected="a list",
                   got=type(items).__name__)
        return
    for index, item in enumerate(items):
        line = items.line_of(index)
        if plain and isinstance(item, str):
            yield item, line
            continue
        if not isinstance(item, MarkedDict) or any(k not in item for k in required):
            report.add(ErrorCode.MISSING_KEY, line, node, key="' and '".join(required), where=f"each item of {key}")
            continue
        check_keys(item, allowed, report, f"an item of {key}", node)
        yield item, line


# -- trees ------------------------------------------------------------------------------------------------------

def load_tree(path: Path, vocab: Vocabulary, report: Reporter) -> Tree | None:
    """Read one tree file; None when it is too broken to build."""
    raw = read_yaml(path, report)
    if raw is None:
        return None
    check_keys(raw, _TREE_KEYS, report, "the tree", None)
    for key in ("id", "title", "version", "start", "nodes", "source"):
        if key not in raw:
            report.add(ErrorCode.MISSING_KEY, raw.line, None, key=key, where="the tree")
    meta = raw.get("source") if isinstance(raw.get("source"), MarkedDict) else MarkedDict()
    check_keys(meta, _TREE_SOURCE_KEYS, report, "the tree's source", None)
    document = str(meta.get("document", ""))
    nodes: dict[str, Node] = {}
    first_lines: dict[str, int] = {}
    raw_nodes = raw.get("nodes")
    if not isinstance(raw_nodes, MarkedList):
        if "nodes" in raw:
            report.add(ErrorCode.BAD_TYPE, raw.line_of("nodes"), None, key="nodes", where="the tree",
                       expected="a list of nodes", got=type(raw_nodes).__name__)
        raw_nodes = MarkedList()
    for index, raw_node in enumerate(raw_nodes):
        line = raw_nodes.line_of(index)
        if not isinstance(raw_node, MarkedDict):
            report.add(ErrorCode.BAD_TYPE, line, None, key=f"nodes[{index}]", where="the tree",
                       expected="a mapping", got=type(raw_node).__name__)
            continue
        node = _load_node(raw_node, vocab, document, report)
        if node is None:
            continue
        if node.id in nodes:
            report.add(ErrorCode.DUPLICATE_ID, raw_node.line, node.id, what="node", id=node.id,
                       first_line=first_lines[node.id])
            continue
        nodes[node.id] = node
        first_lines[node.id] = raw_node.line
    start = str(raw.get("start", ""))
    if start and nodes and start not in nodes:
        report.add(ErrorCode.DANGLING_NEXT, raw.line_of("start"), None, did_you_mean(start, nodes), target=start)
    year = meta.get("year", 0)
    return Tree(id=str(raw.get("id", path.stem)), title=str(raw.get("title", "")), document=document,
                year=year if isinstance(year, int) else 0, version=str(raw.get("version", "")), file=report.file,
                start=start, nodes=nodes, order=raw.get("order", 100) if isinstance(raw.get("order"), int) else 100)


def _load_node(raw: MarkedDict, vocab: Vocabulary, document: str, report: Reporter) -> Node | None:
    node_id = raw.get("id")
    if not isinstance(node_id, str) or not node_id:
        report.add(ErrorCode.MISSING_KEY, raw.line, None, key="id", where="every node")
        return None
    kind = raw.get("kind")
    if kind not in NODE_KINDS:
        report.add(ErrorCode.UNKNOWN_NODE_KIND, raw.line_of("kind"), node_id, did_you_mean(kind, NODE_KINDS),
                   kind=kind)
        return None
    allowed = _COMMON_KEYS | _KIND_KEYS[kind]
    if kind == "end":
        allowed = allowed - {"next"}
    check_keys(raw, allowed, report, f"a {kind} node", node_id)
    common = {"id": node_id, "line": raw.line, "source": _load_source(raw, document, report, node_id),
              "routes": _load_routes(raw, vocab, report, node_id)}
    if kind == "question":
        return _load_question(raw, vocab, report, common)
    if kind == "finding":
        return _load_finding(raw, vocab, report, common)
    if kind == "info":
        return InfoNode(**common, text=_text(raw, "text", report, node_id, "an info node"),
                        say=_text(raw, "say", report, node_id, "an info node"))
    return EndNode(**common, text=_text(raw, "text", report, node_id, "an end node"))


def _load_source(raw: MarkedDict, document: str, report: Reporter, node_id: str) -> Source:
    source = raw.get("source")
    if not isinstance(source, MarkedDict):
        report.add(ErrorCode.MISSING_SOURCE, raw.line, node_id,
                   detail="add `source: {section: ..., basis: R|D|B, verified: true|false}`")
        return Source(section="")
    check_keys(source, _SOURCE_KEYS, report, "a node's source", node_id)
    missing = [key for key in ("section", "basis", "verified") if key not in source]
    if missing:
        report.add(ErrorCode.MISSING_SOURCE, source.line, node_id, detail="missing " + ", ".join(missing))
    basis = str(source.get("basis", "D"))
    if basis not in ("R", "D", "B"):
        report.add(ErrorCode.BAD_TYPE, source.line_of("basis"), node_id, key="basis", where="a node's source",
                   expected="R, D or B", got=basis)
    verified = source.get("verified", False)
    if not isinstance(verified, bool):
        report.add(ErrorCode.BAD_TYPE, source.line_of("verified"), node_id, key="verified",
                   where="a node's source", expected="true or false", got=verified)
    return Source(section=str(source.get("section", "")), document=str(source.get("document", document)),
                  basis=basis, refs=_words(source, "refs", report, node_id, "a node's source"),
                  verified=verified is True, note=str(source.get("note", "")))


def _load_routes(raw: MarkedDict, vocab: Vocabulary, report: Reporter, node_id: str) -> tuple[Route, ...]:
    value = raw.get("next")
    if value is None:
        return ()
    if isinstance(value, str):
        return (Route(value, ALWAYS, raw.line_of("next")),)
    if not isinstance(value, MarkedList):
        report.add(ErrorCode.BAD_TYPE, raw.line_of("next"), node_id, key="next", where="a node",
                   expected="a node id or a list of {when, goto}", got=type(value).__name__)
        return ()
    routes = []
    for item, line in _entries(raw, "next", ("goto",), {"when", "goto"}, report, node_id, "a node"):
        when = vocab.compile_condition(item["when"], report, line, node_id) if "when" in item else ALWAYS
        routes.append(Route(str(item["goto"]), when, line))
    return tuple(routes)


def _load_question(raw: MarkedDict, vocab: Vocabulary, report: Reporter, common: dict) -> QuestionNode:
    node_id = common["id"]
    fact_id = raw.get("sets")
    spec = vocab.facts.get(fact_id)
    if "sets" not in raw:
        report.add(ErrorCode.MISSING_KEY, raw.line, node_id, key="sets", where="a question")
    elif spec is None:
        report.add(ErrorCode.UNKNOWN_FACT, raw.line_of("sets"), node_id, did_you_mean(fact_id, vocab.facts),
                   fact=fact_id)
    elif spec.derived or not spec.asked:
        report.add(ErrorCode.SETS_DERIVED_FACT, raw.line_of("sets"), node_id, fact=fact_id)
    answer_type = ANSWER_TYPES.get(spec.type, "choice") if spec else "choice"
    if "answer_type" in raw and raw["answer_type"] != answer_type:
        report.add(ErrorCode.BAD_TYPE, raw.line_of("answer_type"), node_id, key="answer_type",
                   where=f"a question on '{fact_id}'", expected=answer_type, got=raw["answer_type"])
    if not raw.get("text"):
        report.add(ErrorCode.MISSING_KEY, raw.line, node_id, key="text", where="a question")
    if "say" not in raw:  # an empty phrase marks a question the official answers by observing
        report.add(ErrorCode.MISSING_KEY, raw.line, node_id, "use `say: \"\"` for an observation",
                   key="say", where="a question")
    answers = _load_answers(raw, spec, report, node_id) if answer_type == "choice" else ()
    options: tuple[str, ...] = ()
    if answer_type == "multi" and spec:
        options = _words(raw, "options", report, node_id, "a question") or spec.values
        for option in options:
            if option not in spec.values:
                report.add(ErrorCode.UNKNOWN_VALUE, raw.line_of("options"), node_id,
                           did_you_mean(option, spec.values), value=option, fact=spec.id, allowed=spec.describe())
    elif "options" in raw:
        report.add(ErrorCode.UNKNOWN_KEY, raw.line_of("options"), node_id, "use `answers` for a choice",
                   key="options", where=f"a {answer_type} question")
    return QuestionNode(**common, fact=str(fact_id or ""), answer_type=answer_type,
                        text=_text(raw, "text", report, node_id, "a question"),
                        say=_text(raw, "say", report, node_id, "a question"),
                        guidance=_text(raw, "guidance", report, node_id, "a question"),
                        answers=answers, options=options, allow_unknown=raw.get("allow_unknown", True) is not False,
                        private=raw.get("private", False) is True)


def _load_answers(raw: MarkedDict, spec, report: Reporter, node_id: str) -> tuple[Answer, ...]:
    answers = []
    for item, line in _entries(raw, "answers", ("value",), {"value", "next", "label"}, report, node_id,
                               "a question"):
        value = str(item["value"])
        if spec is not None and value not in spec.choices():
            report.add(ErrorCode.UNKNOWN_VALUE, line, node_id, did_you_mean(value, spec.choices()), value=value,
                       fact=spec.id, allowed=spec.describe())
        answers.append(Answer(value, str(item.get("label", "")), item.get("next"), line))
    return tuple(answers)


def _load_finding(raw: MarkedDict, vocab: Vocabulary, report: Reporter, common: dict) -> FindingNode:
    node_id = common["id"]
    where = "a finding"
    category = raw.get("category")
    if category not in vocab.categories:
        code = ErrorCode.MISSING_KEY if category is None else ErrorCode.UNKNOWN_CATEGORY
        report.add(code, raw.line_of("category"), node_id, did_you_mean(category, vocab.categories),
                   category=category, key="category", where=where)
    destinations = _words(raw, "destinations", report, node_id, where)
    for kind in destinations:
        if kind not in vocab.destinations:
            report.add(ErrorCode.UNKNOWN_DESTINATION, raw.line_of("destinations"), node_id,
                       did_you_mean(kind, vocab.destinations), destination=kind)
    urgency = str(raw.get("urgency", ""))
    _check_urgency(urgency, vocab, report, raw.line_of("urgency"), node_id)
    raises = []
    for item, line in _entries(raw, "raise_urgency", ("when", "to"), {"when", "to"}, report, node_id, where):
        _check_urgency(str(item["to"]), vocab, report, line, node_id)
        raises.append(UrgencyRaise(vocab.compile_condition(item["when"], report, line, node_id), str(item["to"])))
    must_not = _words(raw, "must_not", report, node_id, where)
    for code in must_not:
        if code not in vocab.must_not:
            report.add(ErrorCode.UNKNOWN_MUST_NOT, raw.line_of("must_not"), node_id,
                       did_you_mean(code, vocab.must_not), must_not=code)
    return FindingNode(**common, category=str(category or ""), destinations=destinations, urgency=urgency,
                       raise_urgency=tuple(raises), must_not=must_not,
                       must_do=_words(raw, "must_do", report, node_id, where),
                       tell_person=_text(raw, "tell_person", report, node_id, where),
                       group_mode=raw.get("group_mode", False) is True)


def _check_urgency(level: str, vocab: Vocabulary, report: Reporter, line: int, node_id: str) -> None:
    if level not in vocab.urgency:
        report.add(ErrorCode.UNKNOWN_URGENCY, line, node_id, did_you_mean(level, vocab.urgency), urgency=level,
                   allowed=", ".join(vocab.urgency))


# -- pathways ---------------------------------------------------------------------------------------------------

def load_pathway(path: Path, vocab: Vocabulary, report: Reporter) -> Pathway | None:
    """Read one national pathway file (guidelines/pathways/<cc>.yaml)."""
    raw = read_yaml(path, report)
    if raw is None:
        return None
    check_keys(raw, _PATHWAY_KEYS, report, "the pathway", None)
    for key in ("country", "name", "destinations"):
        if key not in raw:
            report.add(ErrorCode.MISSING_KEY, raw.line, None, key=key, where="the pathway")
    country = str(raw.get("country", path.stem)).upper()
    agencies: dict[str, Agency] = {}
    fallbacks: dict[str, str] = {}
    destinations = raw.get("destinations") if isinstance(raw.get("destinations"), MarkedDict) else MarkedDict()
    for kind, entry in destinations.items():
        line = destinations.line_of(kind)
        if kind not in vocab.destinations:
            report.add(ErrorCode.UNKNOWN_DESTINATION, line, kind, did_you_mean(kind, vocab.destinations),
                       destination=kind)
            continue
        if not isinstance(entry, MarkedDict):
            report.add(ErrorCode.BAD_TYPE, line, kind, key=kind, where="destinations",
                       expected="an agency or {fallback: kind}", got=type(entry).__name__)
            continue
        if "fallback" in entry:
            check_keys(entry, {"fallback", "note", "source"}, report, "a fallback", kind)
            target = str(entry["fallback"])
            if target not in vocab.destinations:
                report.add(ErrorCode.UNKNOWN_DESTINATION, entry.line_of("fallback"), kind,
                           did_you_mean(target, vocab.destinations), destination=target)
            fallbacks[kind] = target
            continue
        agencies[kind] = _load_agency(kind, entry, report)
    return Pathway(country=country, name=str(raw.get("name", "")), file=report.file,
                   version=str(raw.get("version", "")), agencies=agencies, fallbacks=fallbacks,
                   rules=_load_rules(raw, vocab, report))


def _load_rules(raw: MarkedDict, vocab: Vocabulary, report: Reporter) -> tuple[PathwayRule, ...]:
    """Rules are plain texts, or {text, when, source} when a rule applies only in some situations."""
    rules = []
    for item, line in _entries(raw, "rules", ("text",), {"text", "when", "source"}, report, None, "the pathway",
                               plain=True):
        if isinstance(item, str):
            rules.append(PathwayRule(item.strip()))
            continue
        when = (vocab.compile_condition(item["when"], report, line, None, allow_categories=True)
                if "when" in item else ALWAYS)
        rules.append(PathwayRule(str(item["text"]).strip(), when, str(item.get("source", ""))))
    return tuple(rules)


def _load_agency(kind: str, entry: MarkedDict, report: Reporter) -> Agency:
    check_keys(entry, _AGENCY_KEYS, report, "an agency", kind)
    if not entry.get("name"):
        report.add(ErrorCode.MISSING_KEY, entry.line, kind, key="name", where="an agency")
    language = str(entry.get("slip_language", ""))
    if not LANGUAGE_CODE.match(language):
        code = ErrorCode.UNKNOWN_LANGUAGE if language else ErrorCode.MISSING_KEY
        report.add(code, entry.line_of("slip_language"), kind, language=language, key="slip_language",
                   where="an agency")
    fingerprint = str(entry.get("key_fingerprint", "")).strip()
    if fingerprint and not FINGERPRINT.match(fingerprint):
        report.add(ErrorCode.BAD_FINGERPRINT, entry.line_of("key_fingerprint"), kind, destination=kind,
                   got=repr(fingerprint))
    key_valid_until = _date(entry, "key_valid_until", kind, report)
    if "key_valid_until" in entry and not fingerprint:
        report.add(ErrorCode.KEY_DATE_WITHOUT_KEY, entry.line_of("key_valid_until"), kind, destination=kind)
    return Agency(kind=kind, name=str(entry.get("name", "")), contact=str(entry.get("contact", "")).strip(),
                  slip_language=language or "en", confirmed=entry.get("confirmed", False) is True,
                  source=str(entry.get("source", "")), key_fingerprint=fingerprint,
                  note=" ".join(str(entry.get("note", "")).split()), key_valid_until=key_valid_until,
                  agreement=_load_agreement(kind, entry, report))


def _load_agreement(kind: str, entry: MarkedDict, report: Reporter) -> Agreement | None:
    """`agreement: {id, valid_until}`; an agreement without either is an error, never an open-ended one."""
    if "agreement" not in entry:
        return None
    raw = entry["agreement"]
    line = entry.line_of("agreement")
    if not isinstance(raw, MarkedDict):
        report.add(ErrorCode.INCOMPLETE_AGREEMENT, line, kind, destination=kind,
                   detail="the form {id: ..., valid_until: YYYY-MM-DD}")
        return None
    check_keys(raw, _AGREEMENT_KEYS, report, "an agreement", kind)
    agreement_id = raw.get("id")
    missing = []
    if not isinstance(agreement_id, str | int) or not str(agreement_id).strip():
        missing.append("an id (the reference of the signed agreement)")
    if "valid_until" not in raw:
        missing.append("valid_until (its last valid day)")
    if missing:
        report.add(ErrorCode.INCOMPLETE_AGREEMENT, line, kind, destination=kind, detail=" and ".join(missing))
    valid_until = _date(raw, "valid_until", kind, report, "agreement.valid_until")
    if missing or valid_until is None:
        return None
    return Agreement(id=str(agreement_id).strip(), valid_until=valid_until)


def _date(raw: MarkedDict, key: str, kind: str, report: Reporter, name: str | None = None) -> date | None:
    """A calendar date: YAML reads an unquoted 2027-06-30 as a date already; a quoted one is accepted too."""
    if key not in raw:
        return None
    value = raw[key]
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass  # 2027-02-30: the form is right, the day does not exist
    report.add(ErrorCode.BAD_DATE, raw.line_of(key), kind, key=name or key, destination=kind, got=repr(value))
    return None
