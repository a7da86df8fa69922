"""Checks on Terraform text: it parses, it is documented, every reference resolves, and it
conforms to the AWS provider's schema.

These run on every render before anything is written, and on an existing
directory through ``tapgen validate``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

from .errors import Problem
from .provider_schema import check_provider_schema
from .stack import Stack

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
    used = {m.group(1) for text in stack.texts.values() for m in _SETTING_REFERENCE.finditer(text)}
    for name, keys in key_sets.items():
        for missing in sorted(used - keys):
            yield Problem(f"local.{ENVIRONMENTS_LOCAL}.{name}", f"has no '{missing}' setting",
                          stack.line_of(file, f"local.settings.{missing}") if file else None, file=file)


def _references(stack: Stack) -> Iterator[Problem]:
    declared = {
        "var": {b.labels[0] for b in stack.blocks("variable")},
        "local": set(stack.locals()),
        "data": {".".join(b.labels) for b in stack.blocks("data")},
        "resource": {".".join(b.labels) for b in stack.blocks("resource")},
    }
    for block in stack.blocks():
        if block.kind in ("moved", "removed"):
            continue  # they name addresses that are, by design, no longer declared
        for kind, name in references(block.body):
            if name not in declared[kind]:
                shown = f"{kind}.{name}" if kind in ("var", "local", "data") else name
                yield Problem(block.address, f"refers to undeclared {shown}",
                              stack.line_of(block.file, shown), file=block.file)


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
