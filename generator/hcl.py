"""HCL value encoding: the only way a value from the spec reaches a template.

Every string is emitted as a quoted HCL literal, or as a heredoc for multi-line
text (a user-data script), with Terraform's template sequences (``${`` and
``%{``) escaped, so a spec value can never become an expression, a directive or
a second attribute in the generated code.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence

from .unseen import visible

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# Words HCL's expression grammar gives a meaning (literals, and the keywords of `for`
# expressions and template directives). python-hcl2 accepts `{ for = 1 }`; Terraform does not,
# so such keys are always quoted.
_KEYWORDS = frozenset({"true", "false", "null", "for", "in", "if", "else", "endif", "endfor"})
_SPECIAL = re.compile(r'[\\"]|[$%]\{')
_TEMPLATE_SEQUENCE = re.compile(r"[$%]\{")


def _escape(match: re.Match[str]) -> str:
    text = match.group()
    if text in ("${", "%{"):
        return text[0] + text
    return "\\" + text


def hcl_string(value: str) -> str:
    """Quote ``value`` as an HCL string literal that evaluates to exactly ``value``.

    Control, invisible and bidirectional characters are written as escapes, so that a reviewer
    sees what Terraform sees.
    """
    return '"' + visible(_SPECIAL.sub(_escape, value)) + '"'


def hcl_heredoc(text: str) -> str:
    """``text`` as an HCL heredoc that evaluates to exactly ``text``: multi-line text, readable.

    In a heredoc quotes and backslashes are literal, so only template sequences are escaped,
    and the closing marker is a word the text does not contain. Text that a heredoc cannot
    show as it is (not ending in a newline, or with unseen characters other than tab and
    newline) is a quoted string instead.
    """
    shown = text.replace("\t", "").replace("\n", "")  # what a heredoc shows as it is
    if not text.endswith("\n") or visible(shown) != shown:
        return hcl_string(text)
    marker = next(m for m in (f"EOT{i or ''}" for i in itertools.count()) if m not in text)
    return f"<<{marker}\n{_TEMPLATE_SEQUENCE.sub(_escape, text)}{marker}"


def hcl_literal(value: object) -> str:
    """``hcl_value``, with text that ends in a newline as a heredoc: a value that stands alone
    after ``=``, where a heredoc may start (its closing marker must end its line)."""
    return hcl_heredoc(value) if isinstance(value, str) else hcl_value(value)


# Comment directives of the scanners: Checkov's "checkov:skip=" (and its old "bridgecrew:"), Trivy's
# "trivy:ignore:" (and its old "tfsec:"). Text from a spec must never form one.
_SCANNER_DIRECTIVE = re.compile(r"\b(checkov|bridgecrew|trivy|tfsec)(?=:)", re.IGNORECASE)


def hcl_comment(text: str) -> str:
    """Text safe to place after ``#``: one line, with control and invisible characters escaped,
    and no scanner directive (a space breaks each: ``trivy :ignore``), so that spec text such as a
    waiver's reason cannot skip a check."""
    return _SCANNER_DIRECTIVE.sub(r"\1 ", visible(text))


def hcl_key(key: str) -> str:
    """An object key: a bare identifier where Terraform reads one as a name, a quoted string otherwise."""
    return key if _IDENTIFIER.match(key) and key not in _KEYWORDS else hcl_string(key)


def hcl_value(value: object) -> str:
    """Encode a scalar, list or mapping as a single-line HCL expression."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"HCL has no literal for {value!r}")
        return repr(value)
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = ", ".join(f"{hcl_key(k)} = {hcl_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(hcl_value(v) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__} as HCL")


def hcl_attributes(values: Mapping[str, object], indent: int) -> str:
    """Render ``key = value`` lines with the ``=`` aligned as ``terraform fmt`` does."""
    width = max((len(hcl_key(k)) for k in values), default=0)
    pad = " " * indent
    return "\n".join(f"{pad}{hcl_key(k):<{width}} = {hcl_literal(v)}" for k, v in values.items())


def hcl_template_text(text: str) -> str:
    """``text`` escaped for the inside of a quoted HCL template, beside interpolations."""
    return hcl_string(text)[1:-1]


def hcl_identifier(name: str) -> str:
    """``name`` where HCL expects an identifier (an attribute after a dot); anything else is a bug."""
    if not _IDENTIFIER.match(name) or "-" in name:
        raise ValueError(f"{name!r} is not an HCL identifier")
    return name


# A resource address as moved and removed blocks name it: TYPE.NAME, or data.TYPE.NAME.
ADDRESS = re.compile(r"(data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*")


def hcl_address(address: str) -> str:
    """``address`` where HCL expects a resource address (``from = ...``); anything else is a bug."""
    if not ADDRESS.fullmatch(address):
        raise ValueError(f"{address!r} is not a resource address")
    return address
