"""Reading a spec file into plain values that remember their line and dotted path.

PyYAML is used only to compose the node graph; values are built here so that
duplicate keys are errors, only plain YAML types are accepted (no tags that
construct Python objects), and alias expansion is bounded.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import Problem, SpecError

MAX_BYTES = 2 * 1024 * 1024
# Far above any real spec (300 environments are ~6,000 values), far below what an
# alias bomb expands to.
MAX_VALUES = 200_000
MAX_DEPTH = 32

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")
}
STDIN = "-"


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
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _fail(name, "is empty", "start from `tapgen init`")
        return _Builder(loader, name).build(node, "", 0)
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


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, name: str):
        self.loader = loader
        self.name = name
        self.count = 0

    def fail(self, node: yaml.Node, path: str, message: str, hint: str | None = None):
        return SpecError(self.name, [Problem(path, message, node.start_mark.line + 1, hint)])

    def build(self, node: yaml.Node, path: str, depth: int) -> Located:
        self.count += 1
        if self.count > MAX_VALUES:
            raise self.fail(node, path, f"expands to more than {MAX_VALUES} values",
                            "is an alias (*name) repeated many times?")
        if depth > MAX_DEPTH:
            raise self.fail(node, path, f"is nested deeper than {MAX_DEPTH} levels")
        if node.tag not in _PLAIN_TAGS:
            raise self.fail(node, path, f"unsupported YAML tag {node.tag!r}",
                            "a spec holds plain strings, numbers, booleans, lists and mappings")
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            return Located(self.mapping(node, path, depth), line, path)
        if isinstance(node, yaml.SequenceNode):
            items = [self.build(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(node.value)]
            return Located(items, line, path)
        return Located(self.loader.construct_object(node), line, path)

    def mapping(self, node: yaml.MappingNode, path: str, depth: int) -> dict[str, Located]:
        explicit: dict[str, Located] = {}
        merged: dict[str, Located] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.update(self.merge_sources(value_node, path, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
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
