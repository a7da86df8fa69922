"""Checks on Terraform text: it parses, it is documented, every reference resolves, and it
conforms to the AWS provider's schema.

These run on every render before anything is written, and on an existing
directory through ``tapgen validate``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass

from .errors import Problem
from .hcl_parser import HclSyntaxError, parse_files
from .provider_schema import check_provider_schema

_REFERENCE = re.compile(
    r"(?<![\w.])(?:(var|local)\.([A-Za-z_][\w-]*)"
    r"|data\.([a-z]\w*)\.([A-Za-z_][\w-]*)"
    r"|((?:aws|terraform)_[a-z0-9_]+)\.([A-Za-z_][\w-]*))"
)
_ENV_SETTING = re.compile(r"(?<![\w.])local\.env\.([A-Za-z_]\w*)")
ENVIRONMENTS_LOCAL = "environments"
# How many labels each kind of top-level block takes; kinds not listed are not checked.
LABELS = {"resource": 2, "data": 2, "ephemeral": 2, "variable": 1, "output": 1, "provider": 1,
          "module": 1, "check": 1, "locals": 0, "terraform": 0, "moved": 0, "import": 0, "removed": 0}


@dataclass(frozen=True)
class Block:
    kind: str
    labels: tuple[str, ...]
    body: dict
    file: str

    @property
    def address(self) -> str:
        labels = self.labels if self.kind == "resource" else (self.kind, *self.labels)
        return ".".join(labels)

    @property
    def header(self) -> str:
        """How the block opens in the source, for finding its line."""
        return " ".join([self.kind, *(f'"{label}"' for label in self.labels)])


class Stack:
    """The parsed files of one Terraform directory."""

    def __init__(self, texts: Mapping[str, str]):
        self.texts = dict(texts)
        self._lines: dict[str, list[str]] = {}
        self.documents: dict[str, dict] = {}
        self.problems: list[Problem] = []
        for name, result in parse_files(self.texts).items():
            if isinstance(result, HclSyntaxError):
                self.problems.append(Problem("", str(result), result.line, file=name))
            else:
                self.documents[name] = result
        self._blocks = [found for found in self._find_blocks() if isinstance(found, Block)]

    def _find_blocks(self) -> Iterator[Block]:
        """Every top-level block; a malformed one (wrong labels, an argument) becomes a problem."""
        for name, document in self.documents.items():
            for kind, entries in document.items():
                if not (isinstance(entries, list) and all(isinstance(e, dict) for e in entries)):
                    self.problems.append(Problem(kind, "is not allowed here: a .tf file holds blocks",
                                                 self.line_of(name, kind), file=name))
                    continue
                for entry in entries:
                    for block in _unwrap(kind, entry, (), name):
                        expected = LABELS.get(kind, len(block.labels))
                        if len(block.labels) == expected:
                            yield block
                        else:
                            self.problems.append(Problem(
                                block.address, f"{kind} blocks take {expected} label(s), this has "
                                f"{len(block.labels)}", self.line_of(name, kind), file=name))

    def blocks(self, kind: str | None = None) -> Iterator[Block]:
        return (block for block in self._blocks if kind is None or block.kind == kind)

    def lines(self, file: str) -> list[str]:
        if file not in self._lines:
            self._lines[file] = self.texts[file].splitlines()
        return self._lines[file]

    def line_of(self, file: str, needle: str) -> int | None:
        for number, line in enumerate(self.lines(file), start=1):
            if needle in line:
                return number
        return None

    def locals(self) -> dict[str, object]:
        merged: dict[str, object] = {}
        for block in self.blocks("locals"):
            merged.update({k: v for k, v in block.body.items() if not k.startswith("__")})
        return merged


def _unwrap(kind: str, entry: dict, labels: tuple[str, ...], file: str) -> Iterator[Block]:
    # python-hcl2 nests a labelled block as {label: {label: {..., "__is_block__": True}}}.
    if entry.get("__is_block__") or not all(isinstance(inner, dict) for inner in entry.values()):
        yield Block(kind, labels, entry, file)
        return
    for label, inner in entry.items():
        yield from _unwrap(kind, inner, (*labels, label), file)


def check_stack(stack: Stack, environments: Collection[str] | None = None) -> list[Problem]:
    """Problems in ``stack``; ``environments`` are the workspace keys its locals map must have."""
    problems: list[Problem] = list(stack.problems)
    if any(p.path == "" for p in problems):  # a file that does not parse: the rest would mislead
        return problems
    problems += _documentation(stack)
    problems += _environment_map(stack, environments)
    problems += _references(stack)
    problems += check_provider_schema(stack)
    return problems


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
    used = {m.group(1) for text in stack.texts.values() for m in _ENV_SETTING.finditer(text)}
    for name, keys in key_sets.items():
        for missing in sorted(used - keys):
            yield Problem(f"local.{ENVIRONMENTS_LOCAL}.{name}", f"has no '{missing}' setting",
                          stack.line_of(file, f"local.env.{missing}") if file else None, file=file)


def _references(stack: Stack) -> Iterator[Problem]:
    declared = {
        "var": {b.labels[0] for b in stack.blocks("variable")},
        "local": set(stack.locals()),
        "data": {".".join(b.labels) for b in stack.blocks("data")},
        "resource": {".".join(b.labels) for b in stack.blocks("resource")},
    }
    for block in stack.blocks():
        for expression in _expressions(block.body):
            for match in _REFERENCE.finditer(expression):
                kind, name = _classify(match)
                if name not in declared[kind]:
                    shown = f"{kind}.{name}" if kind in ("var", "local", "data") else name
                    yield Problem(block.address, f"refers to undeclared {shown}",
                                  stack.line_of(block.file, shown), file=block.file)


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
