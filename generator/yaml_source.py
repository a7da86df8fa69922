"""Reading a spec file into plain values that remember their line and dotted path.

PyYAML is used only to compose the node graph; values are built here so that
duplicate keys are errors, only plain YAML types are accepted (no tags that
construct Python objects), and alias expansion is bounded.

Scalars are read as YAML 1.2's core schema reads them, stricter where YAML versions disagree:
booleans are ``true`` and ``false`` (also ``True``/``TRUE``/``False``/``FALSE``), so ``yes``,
``no``, ``on`` and ``off`` are text; numbers are plain decimal, and anything else that some YAML
reads as a number (``010``, ``0x1e``, ``0o17``, ``1_000``, ``1:30``, ``+1``, ``1e3``) is an error
that says how it would be read, rather than a value silently changed.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from .errors import Problem, SpecError
from .unseen import describe

MAX_BYTES = 2 * 1024 * 1024
# Far above any real spec (300 environments are ~6,000 values), far below what an
# alias bomb expands to.
MAX_VALUES = 200_000
MAX_DEPTH = 32

# Longer integers are no spec value, and converting them is slow (Python caps it at 4,300 digits).
MAX_INT_DIGITS = 18

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR, _INT, _FLOAT, _BOOL, _NULL = (f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null"))
_PLAIN_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
# A plain scalar that some YAML reads as a number, but not as one plain decimal number.
_NUMBER_LIKE = "tag:tapgen:number-like"
# What tapgen reads, as (tag, pattern, convert); every other plain scalar is text.
_SCALARS = (
    (_NULL, re.compile(r"~|null|Null|NULL|"), lambda text: None),
    (_BOOL, re.compile(r"true|True|TRUE|false|False|FALSE"), lambda text: text.lower() == "true"),
    (_INT, re.compile(r"-?(?:0|[1-9][0-9]*)"), int),
    (_FLOAT, re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+"), float),
)
_CONVERT = {tag: (pattern, convert) for tag, pattern, convert in _SCALARS}
# YAML 1.2 core schema numbers, for saying how YAML 1.2 would read a number-like scalar.
_CORE_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_CORE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                         r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
_YAML11 = Resolver()  # PyYAML's own YAML 1.1 reading, to say how other tools read a scalar
# YAML 1.1's booleans that YAML 1.2 reads as text, with what YAML 1.1 reads them as.
YAML11_BOOLEANS = {word: value for words, value in (("yes y on", True), ("no n off", False))
                   for word in words.split() for word in (word, word.capitalize(), word.upper())}
_LINE_BREAKS = re.compile("[\u0085\u2028\u2029]|\r(?!\n)")
STDIN = "-"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The safe loader with tapgen's reading of plain scalars (its own class: PyYAML's resolver
    tables are class attributes shared by every SafeLoader user)."""

    def resolve(self, kind, value, implicit):
        if kind is not ScalarNode or not implicit[0]:
            return super().resolve(kind, value, implicit)
        if value == "<<":
            return _MERGE_TAG
        for tag, pattern, _ in _SCALARS:
            if pattern.fullmatch(value):
                return tag
        if _yaml11_tag(value) in (_INT, _FLOAT) or _CORE_INT.fullmatch(value) or _CORE_FLOAT.fullmatch(value):
            return _NUMBER_LIKE
        return _STR


def _yaml11_tag(text: str) -> str:
    return _YAML11.resolve(ScalarNode, text, (True, False))


def _yaml11_reading(text: str) -> object | None:
    """The number YAML 1.1 (PyYAML's default) reads ``text`` as, or None if it reads text."""
    tag = _yaml11_tag(text)
    if tag not in (_INT, _FLOAT):
        return None
    return SafeConstructor().construct_object(ScalarNode(tag, text))


def _yaml12_reading(text: str) -> object | None:
    """The number YAML 1.2's core schema reads ``text`` as, or None if it reads text."""
    if _CORE_INT.fullmatch(text):
        base = {"0o": 8, "0x": 16}.get(text[:2], 10)
        return int(text[2:] if base != 10 else text, base)
    if _CORE_FLOAT.fullmatch(text):
        special = text.lstrip("+-").lower()
        sign = "-" if text.startswith("-") else ""
        return float(sign + special[1:]) if special in (".inf", ".nan") else float(text)
    return None


def _number_like_problem(text: str) -> tuple[str, str]:
    """(message, hint) for a plain scalar that is not one plain decimal number."""
    if len(text) > 40:  # no number in a spec is this long; do not convert it
        return f"'{text[:40]}...' is not a plain decimal number", "quote it if it is text"
    old, new = _yaml11_reading(text), _yaml12_reading(text)
    readings = (f"YAML reads it as {_reading(text, new)}" if _reading(text, old) == _reading(text, new)
                else f"YAML 1.1 reads it as {_reading(text, old)}, YAML 1.2 as {_reading(text, new)}")
    return (f"{text} is not a plain decimal number: {readings}",
            "write the number in plain decimal, or quote it if it is text")


def _reading(text: str, value: object | None) -> str:
    return f"the text '{text}'" if value is None else repr(value)


@dataclass(frozen=True)
class Located:
    """A YAML value with where it came from; mappings hold Located values."""

    value: object
    line: int
    path: str

    def child_path(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key


def read_text(spec: str | Path) -> tuple[str, str]:
    """Return (display name, text) of a spec file, or ``-`` for standard input."""
    name = "<stdin>" if str(spec) == STDIN else str(spec)
    try:
        if str(spec) == STDIN:
            data = sys.stdin.buffer.read(MAX_BYTES + 1)
        else:
            with open(spec, "rb") as handle:
                data = handle.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise _fail(name, "is a directory, not a spec file", "pass the YAML file with --spec") from None
    except FileNotFoundError:
        raise _fail(name, "no such file", "create one with `tapgen init` or pass --spec PATH") from None
    except OSError as error:
        raise _fail(name, f"cannot be read: {error.strerror}", None) from None
    if len(data) > MAX_BYTES:
        raise _fail(name, f"is larger than {MAX_BYTES // 1024 // 1024} MiB", "is this a spec?")
    if b"\x00" in data:
        raise _fail(name, "is a binary file (it contains NUL bytes)", "pass the YAML spec")
    try:
        return name, data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SpecError(name, [Problem("", "is not valid UTF-8", line, "save it as UTF-8")]) from None


def parse_yaml(text: str, name: str) -> Located:
    """Parse one YAML document into Located values; raise SpecError on any problem."""
    _refuse_hidden_line_breaks(text, name)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _fail(name, "is empty", "start from `tapgen init`")
        builder = _Builder(name)
        root = builder.build(node, "", 0)
        if builder.problems:
            raise SpecError(name, builder.problems)
        return root
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = " ".join(part for part in (error.context, error.problem) if part)
        raise SpecError(name, [Problem("", f"invalid YAML: {message}", mark and mark.line + 1)]) from None
    except yaml.YAMLError as error:
        raise _fail(name, f"invalid YAML: {error}", None) from None
    except RecursionError:
        raise _fail(name, f"is nested deeper than {MAX_DEPTH} levels", None) from None
    finally:
        loader.dispose()


def load_yaml(spec: str | Path) -> tuple[str, Located]:
    name, text = read_text(spec)
    return name, parse_yaml(text, name)


def _fail(name: str, message: str, hint: str | None) -> SpecError:
    return SpecError(name, [Problem("", message, None, hint)])


def _refuse_hidden_line_breaks(text: str, name: str) -> None:
    """YAML ends a line at U+0085, U+2028, U+2029 and a lone CR; editors, grep and review tools
    do not, so a key could hide in what looks like a comment, and every line number after it
    would be wrong. Lines and columns here count as editors do, by newline."""
    problems = []
    for match in _LINE_BREAKS.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        problems.append(Problem("", f"column {column}: {describe(match.group())} is a line break to YAML "
                                "but not to editors or grep", line, "replace it with a newline or delete it"))
    if problems:
        raise SpecError(name, problems[:20])


class _Builder:
    def __init__(self, name: str):
        self.name = name
        self.count = 0
        self.problems: list[Problem] = []  # problems in single values; the rest raise at once

    def fail(self, node: yaml.Node, path: str, message: str, hint: str | None = None):
        return SpecError(self.name, [Problem(path, message, node.start_mark.line + 1, hint)])

    def build(self, node: yaml.Node, path: str, depth: int) -> Located:
        self.count += 1
        if self.count > MAX_VALUES:
            raise self.fail(node, path, f"expands to more than {MAX_VALUES} values",
                            "is an alias (*name) repeated many times?")
        if depth > MAX_DEPTH:
            raise self.fail(node, path, f"is nested deeper than {MAX_DEPTH} levels")
        if node.tag not in _PLAIN_TAGS and node.tag != _NUMBER_LIKE:
            raise self.fail(node, path, f"unsupported YAML tag {node.tag!r}",
                            "a spec holds plain strings, numbers, booleans, lists and mappings")
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            return Located(self.mapping(node, path, depth), line, path)
        if isinstance(node, yaml.SequenceNode):
            items = [self.build(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(node.value)]
            return Located(items, line, path)
        return Located(self.scalar(node, path), line, path)

    def scalar(self, node: yaml.ScalarNode, path: str) -> object:
        """The value of a scalar; a problem (and the text) when it is not what its tag says."""
        text, line = node.value, node.start_mark.line + 1
        if node.tag == _STR:
            return text
        if node.tag == _NUMBER_LIKE:
            message, hint = _number_like_problem(text)
            self.problems.append(Problem(path, message, line, hint))
            return text
        pattern, convert = _CONVERT[node.tag]
        if not pattern.fullmatch(text):  # only an explicit tag (!!int abc) gets here
            kind = node.tag.rpartition(":")[2]
            shown = repr(text) if len(text) <= 40 else repr(text[:40]) + "..."
            self.problems.append(Problem(path, f"{shown} is not a valid !!{kind}", line,
                                         f"a plain decimal {kind}" if kind in ("int", "float")
                                         else "remove the tag" if kind != "bool" else "true or false"))
            return text
        if node.tag == _INT and len(text.lstrip("-")) > MAX_INT_DIGITS:
            self.problems.append(Problem(path, f"is an integer of {len(text.lstrip('-'))} digits; tapgen "
                                         f"reads at most {MAX_INT_DIGITS}", line, "quote it if it is text"))
            return text
        return convert(text)

    def mapping(self, node: yaml.MappingNode, path: str, depth: int) -> dict[str, Located]:
        explicit: dict[str, Located] = {}
        merged: dict[str, Located] = {}
        merge_line = None
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                if merge_line is not None:
                    raise self.fail(key_node, path, "a second '<<' merge in one mapping (YAML keeps only "
                                    f"the last); the first is on line {merge_line}",
                                    "merge several mappings with one key: <<: [*first, *second]")
                merge_line = key_node.start_mark.line + 1
                merged.update(self.merge_sources(value_node, path, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in (_STR, *_CONVERT, _NUMBER_LIKE):
                raise self.fail(key_node, path, "mapping keys must be plain names")
            key = key_node.value
            child = f"{path}.{key}" if path else key
            if key in explicit:
                raise self.fail(key_node, child, "duplicate key",
                                f"it is already set on line {explicit[key].line}")
            value = self.build(value_node, child, depth + 1)
            # Point at the key: for a nested mapping that is where the reader looks.
            explicit[key] = Located(value.value, key_node.start_mark.line + 1, child)
        return {**merged, **explicit}

    def merge_sources(self, node: yaml.Node, path: str, depth: int) -> dict[str, Located]:
        """Keys from a ``<<: *anchor`` merge; explicit keys beside it win."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Located] = {}
        for source in reversed(sources):
            if not isinstance(source, yaml.MappingNode):
                raise self.fail(source, path, "a '<<' merge takes a mapping or a list of mappings")
            merged.update(self.build(source, path, depth + 1).value)
        return merged
