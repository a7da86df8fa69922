"""Problems found in a spec or in generated output, and the errors that carry them.

A problem is data (where, what, how to fix it); loaders collect every problem they
find and raise once, so a user sees all of them in one run.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from .unseen import visible


class Exit(enum.IntEnum):
    OK = 0
    FAILED = 1  # out/ is stale, fails its checks, or cannot be written
    ERROR = 2  # invalid spec or usage (click's own usage errors are 2 as well)
    BUG = 3  # a bug in tapgen


@dataclass(frozen=True)
class Problem:
    """One thing wrong, located by a dotted path and, where known, a file and line."""

    path: str
    message: str
    line: int | None = None
    hint: str | None = None
    file: str | None = None

    def format(self, source: str) -> str:
        """One line, whatever the text holds: a key or file name with a line break or another
        unseen character is shown escaped, so it can never forge a second ``FILE:LINE:`` line."""
        where = visible(self.file or source)
        where = f"{where}:{self.line}" if self.line else where
        message = visible(self.message)
        text = f"{where}: {visible(self.path)}: {message}" if self.path else f"{where}: {message}"
        return f"{text} ({visible(self.hint)})" if self.hint else text


class TapgenError(Exception):
    """A user-facing failure: a list of problems in one source (a file or a directory)."""

    summary = "tapgen failed"
    exit_code = Exit.FAILED  # subclasses inherit their parent's, so a new kind of error keeps its family's

    def __init__(self, source: str, problems: Iterable[Problem]):
        self.source = source
        self.problems = list(dict.fromkeys(problems))
        super().__init__(self.report())

    def report(self) -> str:
        lines = [p.format(self.source) for p in self.problems]
        count = len(self.problems)
        lines.append(f"{self.summary}: {count} problem{'s' if count != 1 else ''}")
        return "\n".join(lines)


class SpecError(TapgenError):
    """The spec cannot be read or does not describe a valid platform."""

    summary = "invalid spec"
    exit_code = Exit.ERROR


class OutputError(TapgenError):
    """Generated (or hand-edited) Terraform fails tapgen's checks."""

    summary = "output check failed"


class TemplateError(TapgenError):
    """A shipped template failed to render: a bug in tapgen, not in the spec."""

    summary = "template failed (a bug in tapgen)"
    exit_code = Exit.BUG
