"""Parsing HCL with python-hcl2 into plain Python values.

Strings come back unquoted; expressions keep their ``${...}`` wrapper; blocks
carry ``__is_block__`` so they can be told apart from object values.
"""

from __future__ import annotations

import hcl2
from hcl2.utils import SerializationOptions
from lark.exceptions import LarkError, UnexpectedInput

_OPTIONS = SerializationOptions(with_comments=False, strip_string_quotes=True)


class HclSyntaxError(ValueError):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


def parse(text: str) -> dict:
    """Parse one file; raise HclSyntaxError (with the line, where known) if it is not HCL."""
    try:
        return hcl2.loads(text, serialization_options=_OPTIONS)
    except UnexpectedInput as error:
        summary = str(error).strip().splitlines()[0]
        raise HclSyntaxError(f"not valid HCL: {summary}", getattr(error, "line", None)) from None
    except (LarkError, ValueError) as error:
        raise HclSyntaxError(f"not valid HCL: {error}", None) from None
