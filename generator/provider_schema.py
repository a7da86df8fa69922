"""Provider-schema conformance: the output uses only resource and data-source types, arguments
and nested blocks that hashicorp/aws v6 has, and sets every required argument.

The schema is tapgen's copy of every hashicorp/aws resource and data source, trimmed to argument
names, required flags and block counts: ``aws_provider_schema.tsv`` next to this module, made by
``tools/update_provider_schema.py``. So hand-written files (overrides, a WAF association) are held
to the same schema as the output. Types outside the aws provider (``terraform_data``) are not
checked. Values are not checked either: the output is full of expressions.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from functools import cache, cached_property
from importlib.resources import files

from . import speed
from .errors import Problem
from .stack import Block, Stack

SCHEMA_FILE = speed.SCHEMA.name  # the verdict cache keys on the same file
# Terraform's own arguments and blocks, which every resource or data block may have.
META_ARGUMENTS = {
    "resource": frozenset({"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner",
                           "connection"}),
    "data": frozenset({"count", "for_each", "depends_on", "provider", "lifecycle"}),
}
# kind -> (section of provider_schema(), what the type is called)
SECTIONS = {"resource": ("resources", "resource type"), "data": ("data_sources", "data source type")}


class TypeSchemas(Mapping):
    """One kind's type schemas, by type name; each is parsed from its line on first use.

    A render checks ~50 of the ~2,400 types: indexing the lines costs ~1 ms, parsing them all ~100.
    """

    def __init__(self, lines: dict[str, str]):
        self._lines = lines
        self._parsed: dict[str, dict] = {}

    def __getitem__(self, name: str) -> dict:
        if name not in self._parsed:
            self._parsed[name] = json.loads(self._lines[name])
        return self._parsed[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)


@cache
def provider_schema() -> dict:
    """The copy's provenance (provider, provider_version, source, generated_by), and its types
    under "resources" and "data_sources"."""
    header, _, body = files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8").partition("\n")
    lines: dict[str, dict[str, str]] = {kind: {} for kind in SECTIONS}
    for line in body.splitlines():
        kind, name, block = line.split("\t", 2)
        lines[kind][name] = block
    return {**json.loads(header), **{section: TypeSchemas(lines[kind]) for kind, (section, _) in SECTIONS.items()}}


def check_provider_schema(stack: Stack) -> list[Problem]:
    """Problems with the aws resources and data sources in ``stack``, against the provider schema."""
    problems: list[Problem] = []
    for kind in SECTIONS:
        for block in stack.blocks(kind):
            if block.labels[0].startswith("aws_"):
                problems += _check_block(stack, block)
    return problems


def _check_block(stack: Stack, block: Block) -> Iterator[Problem]:
    type_name = block.labels[0]
    section, called = SECTIONS[block.kind]
    types = provider_schema()[section]
    skip = META_ARGUMENTS[block.kind]
    # Lines are found only when a problem is reported: a clean render never searches for them.
    start = Line(lambda: stack.line_of(block.file, block.header))
    if type_name not in types:
        yield _Site(stack, block).problem(block.address, f"unknown {called} {type_name}", start,
                                          hint=_did_you_mean(type_name, list(types)))
        return
    # Each part as written (a primary block and its overrides) is checked in its own file; what
    # is required, only once they are merged.
    merged = len(block.written) > 1
    for part in block.written:
        part_start = start if part is block else Line(lambda part=part: stack.line_of(part.file, part.header))
        yield from _check_body(_Site(stack, part), part.address, part_start, part.body, types[type_name],
                               skip=skip, required=not merged)
    if merged:
        yield from _missing(_Site(stack, block), block.address, start, _names(block.body, skip), types[type_name])


def _check_body(site: _Site, path: str, start: Line, body: dict, schema: dict,
                skip: frozenset[str] = frozenset(), required: bool = True) -> Iterator[Problem]:
    """Problems in one block body; ``start`` is the line its search for names begins at.
    ``required``: whether to report missing required arguments and blocks."""
    if schema.get("open"):  # contents the schema copy does not describe
        return
    attributes, blocks = schema["attributes"], schema["blocks"]
    written = {k: v for k, v in body.items() if not k.startswith("__") and k not in skip and k != "dynamic"}
    # dynamic "name" { for_each = ..., content { ... } }: each content is one more block, a count unknown
    dynamic: dict[str, list[dict]] = {}
    for entry in body.get("dynamic", []):
        for name, spec in entry.items():
            if name.startswith("__"):
                continue
            content = spec.get("content") if isinstance(spec, dict) else None
            if not _is_blocks(content):
                yield site.problem(path, f'dynamic "{name}" needs a content block', start)
                continue
            dynamic.setdefault(name, []).extend(content)

    for name in dict.fromkeys([*written, *dynamic]):
        line = Line(lambda name=name: site.line(name, start.value))
        value = written.get(name)
        as_blocks = [*(value if _is_blocks(value) else []), *dynamic.get(name, [])]
        if name in blocks:
            spec = blocks[name]
            if name in written and not _is_blocks(value):
                yield site.problem(path, f"{name} is a block: write {name} {{ ... }}, not {name} = ...", line)
                continue
            if name not in dynamic:
                yield from _count(site, path, name, len(as_blocks), spec, line)
            for item in as_blocks:
                yield from _check_body(site, f"{path}.{name}", line, item, spec["block"])
        elif name in attributes:
            if not as_blocks:
                continue
            spec = attributes[name]
            if "as_blocks" not in spec:
                yield site.problem(path, f"{name} is an argument: write {name} = ..., not a block", line)
                continue
            for item in as_blocks:
                yield from _check_body(site, f"{path}.{name}", line, item, spec["as_blocks"])
        else:
            what = "block" if as_blocks else "argument"
            yield site.problem(path, f"unknown {what} {name}", line,
                               hint=_did_you_mean(name, [*attributes, *blocks]))

    if required:
        yield from _missing(site, path, start, {*written, *dynamic}, schema)


def _names(body: dict, skip: frozenset[str]) -> set[str]:
    """The arguments and block types a body sets, dynamic blocks included."""
    names = {k for k in body if not k.startswith("__") and k not in skip and k != "dynamic"}
    return names | {name for entry in body.get("dynamic", []) for name in entry if not name.startswith("__")}


def _missing(site: _Site, path: str, start: Line, names: set[str], schema: dict) -> Iterator[Problem]:
    for name, spec in schema["attributes"].items():
        if spec["required"] and name not in names:
            yield site.problem(path, f"missing required argument {name}", start)
    for name, spec in schema["blocks"].items():
        if spec["min_items"] and name not in names:
            yield site.problem(path, f"missing required block {name}", start)


def _count(site: _Site, path: str, name: str, count: int, spec: dict, line: Line) -> Iterator[Problem]:
    if count < spec["min_items"]:
        yield site.problem(path, f"has {count} {name} blocks, needs at least {spec['min_items']}", line)
    if spec["max_items"] and count > spec["max_items"]:
        yield site.problem(path, f"has {count} {name} blocks, allows at most {spec['max_items']}", line)


def _is_blocks(value: object) -> bool:
    """Whether a parsed value is one or more nested blocks rather than an argument's value."""
    return bool(value) and isinstance(value, list) and all(_is_block(item) for item in value)


def _is_block(item: object) -> bool:
    """A block, or a labelled one (``name "label" { ... }``, parsed as ``{"label": block}``)."""
    if not isinstance(item, dict):
        return False
    return bool(item.get("__is_block__")) or (len(item) == 1 and _is_block(next(iter(item.values()))))


def _did_you_mean(name: str, candidates: list[str]) -> str | None:
    close = difflib.get_close_matches(name, candidates, n=1)
    return f"did you mean {close[0]}?" if close else None


class Line:
    """A line number worked out on first use."""

    def __init__(self, find: Callable[[], int | None]):
        self._find = find

    @cached_property
    def value(self) -> int | None:
        return self._find()


@cache
def _mention(name: str) -> re.Pattern[str]:
    name = re.escape(name)
    return re.compile(rf'(?<![\w."]){name}(\s*[={{]|\s+"[^"]*"\s*{{)|dynamic\s+"{name}"')


class _Site:
    """Where problems in one resource or data block are: its file, and lines within it."""

    def __init__(self, stack: Stack, block: Block):
        self.stack = stack
        self.file = block.file

    def line(self, name: str, start: int | None) -> int | None:
        """The first line at or after ``start`` that names ``name`` (an argument, block or dynamic)."""
        lines = self.stack.lines(self.file)
        pattern = _mention(name)
        for number in range(start or 1, len(lines) + 1):
            if pattern.search(lines[number - 1]):
                return number
        return start

    def problem(self, path: str, message: str, line: Line, hint: str | None = None) -> Problem:
        return Problem(path, message, line.value, hint=hint, file=self.file)
