"""Checks on Terraform text: it parses, it is documented, every reference resolves, and it
conforms to the AWS provider's schema.

These run on every render before anything is written, and on an existing
directory through ``tapgen validate``.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Collection, Iterator

from .errors import Problem
from .provider_schema import check_provider_schema
from .stack import Block, Stack

_REFERENCE = re.compile(
    r"(?<![\w.])(?:(var|local)\.([A-Za-z_][\w-]*)"
    r"|data\.([a-z]\w*)\.([A-Za-z_][\w-]*)"
    r"|((?:aws|terraform)_[a-z0-9_]+)\.([A-Za-z_][\w-]*))"
)
_SETTING_REFERENCE = re.compile(r"(?<![\w.])local\.settings\.([A-Za-z_]\w*)")
ENVIRONMENTS_LOCAL = "environments"


def check_stack(stack: Stack, environments: Collection[str] | None = None) -> list[Problem]:
    """Problems in ``stack``; ``environments`` are the workspace keys its locals map must have."""
    problems: list[Problem] = list(stack.problems)
    if any(p.path == "" for p in problems):  # a file that does not parse: the rest would mislead
        return problems
    places = _Places(stack)
    problems += _duplicates(stack, places)
    problems += _documentation(stack)
    problems += _environment_map(stack, environments)
    problems += _references(stack, places)
    problems += check_provider_schema(stack)
    return problems


class _Places:
    """Where each top-level block is: the lines it spans in its file.

    ``Stack.line_of`` finds the first line that mentions a text anywhere in a file; a second
    block with the same header, or a second reference in a block, needs the one that is its own.
    One pass over each file finds every top-level opening line and closing brace.
    """

    def __init__(self, stack: Stack):
        self.stack = stack
        openings: dict[str, dict[str, list[int]]] = {}
        closings: dict[str, list[int]] = {}
        for file in stack.documents:
            found: dict[str, list[int]] = {}
            ends = []
            for number, line in enumerate(stack.lines(file), 1):
                if line[:1].isalpha() and line.rstrip().endswith(("{", "{}")):
                    header = " ".join(line.rstrip().removesuffix("{}").removesuffix("{").split())
                    found.setdefault(header, []).append(number)
                elif line.rstrip() == "}":
                    ends.append(number)
            openings[file], closings[file] = found, ends
        self._spans: dict[int, tuple[int, int]] = {}
        seen: Counter[tuple[str, str]] = Counter()
        # In file order within each kind of block; a block merged from override files has a part
        # in each file, each with its own lines.
        for block in (part for merged in stack.blocks() for part in merged.written):
            index = seen[(block.file, block.header)]
            seen[(block.file, block.header)] += 1
            starts = openings.get(block.file, {}).get(block.header, [])
            if index < len(starts):
                first = starts[index]
                ends = closings[block.file]
                one_line = stack.lines(block.file)[first - 1].rstrip().endswith("}")
                after = bisect.bisect(ends, first)
                last = first if one_line or after == len(ends) else ends[after]
                self._spans[id(block)] = (first, last)

    def line(self, block: Block) -> int | None:
        span = self._spans.get(id(block))
        return span[0] if span else self.stack.line_of(block.file, block.header)

    def occurrences(self, block: Block, pattern: re.Pattern[str]) -> list[int]:
        """The line of each match of ``pattern`` inside ``block``, in order."""
        span = self._spans.get(id(block))
        if span is None:
            return []
        lines = self.stack.lines(block.file)
        return [number for number in range(span[0], span[1] + 1) for _ in pattern.finditer(lines[number - 1])]


def _identity(block: Block) -> tuple | None:
    """What makes a block unique in a configuration (Terraform refuses two with the same)."""
    if block.kind == "locals":
        return None  # several locals blocks are fine; their names are compared below
    if block.kind == "provider":
        return ("provider", *block.labels, block.body.get("alias"))
    return (block.kind, *block.labels)


def _duplicates(stack: Stack, places: _Places) -> Iterator[Problem]:
    """Two top-level blocks, or two local values, with the same name, each at its own line."""
    first: dict[tuple, tuple[str, int | None]] = {}
    for block in stack.blocks():
        key = _identity(block)
        if key is None:
            continue
        line = places.line(block)
        if key in first:
            where = f"{first[key][0]}:{first[key][1]}" if first[key][1] else first[key][0]
            yield Problem(block.address, f"is declared again; the first is at {where}", line,
                          "remove or rename one", file=block.file)
        else:
            first[key] = (block.file, line)
    def line_of_local(block: Block, name: str) -> int | None:  # only for a duplicate: it scans the block
        lines = places.occurrences(block, re.compile(rf"^\s*{re.escape(name)}\s*="))
        return lines[0] if lines else places.line(block)

    defined: dict[str, Block] = {}
    for block in stack.blocks("locals"):
        for name in block.body:
            if name.startswith("__"):
                continue
            if name in defined:
                other = defined[name]
                yield Problem(f"local.{name}", f"is defined again; the first is at {other.file}:"
                              f"{line_of_local(other, name)}", line_of_local(block, name), "remove or rename one",
                              file=block.file)
            else:
                defined[name] = block


def _documentation(stack: Stack) -> Iterator[Problem]:
    required = {"variable": ("description", "type"), "output": ("description",)}
    for kind, keys in required.items():
        for block in stack.blocks(kind):
            for key in keys:
                if not block.body.get(key):
                    yield Problem(block.address, f"has no {key}",
                                  stack.line_of(block.file, block.header), file=block.file)


def _environment_map(stack: Stack, environments: Collection[str] | None) -> Iterator[Problem]:
    settings = stack.locals().get(ENVIRONMENTS_LOCAL)
    if environments is None and settings is None:
        return
    file = next((b.file for b in stack.blocks("locals") if ENVIRONMENTS_LOCAL in b.body), None)
    if not isinstance(settings, dict):
        yield Problem(f"local.{ENVIRONMENTS_LOCAL}", "is missing or not a map of environments",
                      file=file)
        return
    if environments is not None and set(settings) != set(environments):
        yield Problem(f"local.{ENVIRONMENTS_LOCAL}",
                      f"has workspaces {sorted(settings)}, the spec has {sorted(environments)}",
                      file=file)
    key_sets = {name: set(values) for name, values in settings.items() if isinstance(values, dict)}
    used = {m.group(1) for text in stack.texts.values() for m in _SETTING_REFERENCE.finditer(text)}
    for name, keys in key_sets.items():
        for missing in sorted(used - keys):
            yield Problem(f"local.{ENVIRONMENTS_LOCAL}.{name}", f"has no '{missing}' setting",
                          stack.line_of(file, f"local.settings.{missing}") if file else None, file=file)


def _references(stack: Stack, places: _Places) -> Iterator[Problem]:
    declared = {
        "var": {b.labels[0] for b in stack.blocks("variable")},
        "local": set(stack.locals()),
        "data": {".".join(b.labels) for b in stack.blocks("data")},
        "resource": {".".join(b.labels) for b in stack.blocks("resource")},
    }
    for block in stack.blocks():
        if block.kind in ("moved", "removed"):
            continue  # they name addresses that are, by design, no longer declared
        for part in block.written:  # each file's text of the block, for its lines
            reported: Counter[str] = Counter()
            for kind, name in references(part.body):
                if name not in declared[kind]:
                    shown = f"{kind}.{name}" if kind in ("var", "local", "data") else name
                    # The n-th mention of this name in this block, not the first in the file.
                    lines = places.occurrences(part, re.compile(rf"(?<![\w.]){re.escape(shown)}(?![\w-])"))
                    index = reported[shown]
                    reported[shown] += 1
                    line = lines[index] if index < len(lines) else places.line(part)
                    yield Problem(part.address, f"refers to undeclared {shown}", line, file=part.file)


def references(value: object) -> Iterator[tuple[str, str]]:
    """(kind, name) of every reference in a parsed value: ("local", "name_prefix"),
    ("resource", "aws_vpc.this"), ("data", ...), ("var", ...)."""
    for expression in _expressions(value):
        for match in _REFERENCE.finditer(expression):
            yield _classify(match)


def setting_references(value: object) -> Iterator[str]:
    """The names of the per-environment settings a parsed value reads (``local.settings.NAME``)."""
    for expression in _expressions(value):
        yield from (m.group(1) for m in _SETTING_REFERENCE.finditer(expression))


def _classify(match: re.Match[str]) -> tuple[str, str]:
    prefix, name, data_type, data_name, res_type, res_name = match.groups()
    if prefix:
        return prefix, name
    if data_type:
        return "data", f"{data_type}.{data_name}"
    return "resource", f"{res_type}.{res_name}"


def _expressions(value: object) -> Iterator[str]:
    """The text inside every ``${...}`` in a parsed value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _expressions(key)
            yield from _expressions(item)
    elif isinstance(value, list):
        for item in value:
            yield from _expressions(item)
    elif isinstance(value, str):
        yield from _interpolations(value)


def _interpolations(text: str) -> Iterator[str]:
    start = text.find("${")
    while start != -1:
        depth, index = 0, start + 1
        while index < len(text):
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            if depth == 0:
                break
            index += 1
        yield text[start + 2 : index]
        start = text.find("${", index)
