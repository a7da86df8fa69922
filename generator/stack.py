"""One Terraform directory, parsed: its files, their top-level blocks (with Terraform's override
files merged in, see ``overrides``), and where things are.

Shared by the output checks (``checks``) and the provider-schema conformance check
(``provider_schema``), which both read blocks and report problems at lines of the source.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .errors import Problem
from .overrides import merge_overrides

# How many labels each kind of top-level block takes; kinds not listed are not checked.
LABELS = {"resource": 2, "data": 2, "ephemeral": 2, "variable": 1, "output": 1, "provider": 1,
          "module": 1, "check": 1, "locals": 0, "terraform": 0, "moved": 0, "import": 0, "removed": 0}


@dataclass(frozen=True)
class Block:
    kind: str
    labels: tuple[str, ...]
    body: dict
    file: str
    # With override files merged in (``overrides``): the blocks as written, this file's first.
    parts: tuple[Block, ...] = ()

    @property
    def written(self) -> tuple[Block, ...]:
        """The blocks as written in their files that make up this one."""
        return self.parts or (self,)

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
        from .hcl_parser import HclSyntaxError, parse_files  # python-hcl2 only when parsing

        self.texts = dict(texts)
        self._lines: dict[str, list[str]] = {}
        self.documents: dict[str, dict] = {}
        self.problems: list[Problem] = []
        for name, result in parse_files(self.texts).items():
            if isinstance(result, HclSyntaxError):
                self.problems.append(Problem("", str(result), result.line, file=name))
            else:
                self.documents[name] = result
        self._blocks, problems = merge_overrides(list(self._find_blocks()), self.line_of)
        self.problems += problems

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
