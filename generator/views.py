"""Views of a spec's effective settings: flattening, text tables and Markdown tables.

Shared by ``tapgen show``, ``tapgen diff`` and the generated ``out/README.md``, so
the three never disagree about what an environment's settings are.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

from .spec import Environment, Spec
from .typed_yaml import spec_fields
from .unseen import visible

# Enough to keep spec text from becoming a link, HTML, emphasis, code or a table column.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*\[\]<>|]")


def flatten(env: Environment) -> dict[str, str]:
    """Every effective setting as ``dotted.key -> text``, in model order."""
    flat: dict[str, str] = {}

    def walk(prefix: str, value: object) -> None:
        if dataclasses.is_dataclass(value):
            value = {f.name: getattr(value, f.name) for f in spec_fields(type(value))}
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{prefix}{key}.", item)
        else:
            flat[prefix[:-1]] = _text(value)

    walk("", env)
    return flat


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "-" if value is None else str(value)


def settings_rows(spec: Spec, names: Sequence[str] | None = None) -> tuple[list[str], list[list[str]]]:
    """(header, rows): one row per setting, one column per environment."""
    names = list(names or spec.environments)
    flats = [flatten(spec.environments[name]) for name in names]
    keys = list(dict.fromkeys(key for flat in flats for key in flat))
    rows = [[key, *(flat.get(key, "-") for flat in flats)] for key in keys]
    return ["setting", *names], rows


def differing_rows(spec: Spec, first: str, second: str) -> tuple[list[str], list[list[str]]]:
    header, rows = settings_rows(spec, [first, second])
    return header, [row for row in rows if row[1] != row[2]]


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in [header, *rows]]
    return "\n".join(lines) + "\n"


def markdown_text(value: object) -> str:
    """Plain text for Markdown: characters that would format or link are escaped, line breaks
    become spaces, and control and invisible characters are written as visible escapes."""
    text = visible(str(value).replace("\r\n", " ").replace("\n", " "))
    return _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(), text)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(markdown_text(c) for c in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *(line(row) for row in rows)]) + "\n"
