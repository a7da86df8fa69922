"""Terraform's override files, merged into the blocks they override.

Files named ``override.tf`` or ``*_override.tf`` are loaded after the others, in lexical order,
and each of their top-level blocks is merged into the block with the same header (type and
labels) in a primary file: an argument replaces the argument of that name, a nested block type
replaces every block of that type, ``lifecycle`` is merged argument by argument, ``locals``
value by value, and ``terraform`` setting by setting (``required_providers`` per provider; a
``backend`` replaces a ``cloud`` block and the reverse). An override with nothing to override,
and ``depends_on`` in an override, are errors, as in Terraform.
https://developer.hashicorp.com/terraform/language/files/override
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Protocol, TypeVar

from .errors import Problem


class _Block(Protocol):
    """What merging needs of ``stack.Block`` (a dataclass, which stack imports this module for)."""

    kind: str
    labels: tuple[str, ...]
    body: dict
    file: str
    header: str
    address: str
    written: tuple


Block = TypeVar("Block", bound=_Block)

_OVERRIDE_FILE = re.compile(r"(^|_)override\.tf$")
# Settings merged key by key rather than replaced: (block kind, nested block).
_MERGED_BY_KEY = {("resource", "lifecycle"), ("data", "lifecycle"), ("terraform", "required_providers")}
_ONE_OF = {"backend": "cloud", "cloud": "backend"}


def is_override_file(name: str) -> bool:
    return bool(_OVERRIDE_FILE.search(PurePosixPath(name).name))


def merge_overrides(blocks: list[Block], line_of: Callable[[str, str], int | None]
                    ) -> tuple[list[Block], list[Problem]]:
    """The primary files' blocks with every override merged in, and the problems merging found."""
    merged = [block for block in blocks if not is_override_file(block.file)]
    overrides = sorted((block for block in blocks if is_override_file(block.file)), key=lambda b: b.file)
    problems: list[Problem] = []
    for override in overrides:
        where = {"line": line_of(override.file, override.header), "file": override.file}
        if override.kind == "locals":
            problems += _merge_locals(merged, override, where)
            continue
        if "depends_on" in override.body and override.kind in ("resource", "data", "output"):
            problems.append(Problem(override.address, "depends_on may not be set in an override file", **where))
        index = next((i for i, b in enumerate(merged) if (b.kind, b.labels) == (override.kind, override.labels)),
                     None)
        if index is None:
            problems.append(Problem(override.address, "overrides nothing: no primary file has this block",
                                    hint="a new block belongs in a file not named *override.tf", **where))
            continue
        base = merged[index]
        merged[index] = dataclasses.replace(base, body=merged_body(base.kind, base.body, override.body),
                                            parts=(*base.written, override))
    return merged, problems


def merged_body(kind: str, base: dict, override: dict) -> dict:
    """``base`` with ``override`` merged in, by Terraform's rules for a top-level block of ``kind``."""
    written = [key for key in override if not key.startswith("__") and key != "dynamic"]
    dynamic = [entry for entry in override.get("dynamic", []) if _names(entry)]
    replaced = {*written, *(name for entry in dynamic for name in _names(entry))}
    body = {key: value for key, value in base.items() if key not in replaced}
    kept = [entry for entry in base.get("dynamic", []) if not _names(entry) & replaced]
    if kept or dynamic:
        body["dynamic"] = kept + dynamic
    else:
        body.pop("dynamic", None)
    for key in written:
        value = override[key]
        if (kind, key) in _MERGED_BY_KEY and key in base:
            value = [{**base[key][0], **value[0]}]
        body[key] = value
        if kind == "terraform" and key in _ONE_OF:
            body.pop(_ONE_OF[key], None)
    return body


def _names(dynamic_entry: dict) -> set[str]:
    return {name for name in dynamic_entry if not name.startswith("__")}


def _merge_locals(merged: list[Block], override: Block, where: dict) -> list[Problem]:
    """Merge each local value of ``override`` into the primary locals block that defines it."""
    problems = []
    for name, value in override.body.items():
        if name.startswith("__"):
            continue
        index = next((i for i, b in enumerate(merged) if b.kind == "locals" and name in b.body), None)
        if index is None:
            problems.append(Problem(f"local.{name}", "overrides nothing: no primary file defines it", **where))
            continue
        base = merged[index]
        parts = base.written if override in base.written else (*base.written, override)
        merged[index] = dataclasses.replace(base, body={**base.body, name: value}, parts=parts)
    return problems
