"""Parsing HCL with python-hcl2 into plain Python values.

Strings come back unquoted; expressions keep their ``${...}`` wrapper; blocks
carry ``__is_block__`` so they can be told apart from object values.

The grammar, post-lexer and transformer are python-hcl2's. The Lark parser is built here
without position tracking: python-hcl2 reads positions only for ``with_meta``, which tapgen
does not ask for, and tracking them costs 30% of a parse (out/: 177 -> 124 ms; 300 environments:
989 -> 645 ms). Importing this module imports python-hcl2 and Lark; ``stack`` imports it only
when some text has to be parsed.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
from collections.abc import Mapping
from pathlib import Path

import hcl2
import lark
from hcl2.api import serialize, transform
from hcl2.postlexer import PostLexer
from hcl2.utils import SerializationOptions
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from . import speed

_OPTIONS = SerializationOptions(with_comments=False, strip_string_quotes=True)
GRAMMAR = Path(hcl2.__file__).with_name("hcl2.lark")
_TOP_LEVEL_END = re.compile(r"^\}\n", re.M)


class HclSyntaxError(ValueError):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


def build_parser() -> lark.Lark:
    """python-hcl2's grammar and post-lexer, compiled: 1.5 s."""
    return lark.Lark.open(str(GRAMMAR), parser="lalr", propagate_positions=False, postlex=PostLexer())


@functools.cache
def parser() -> lark.Lark:
    """The parser, from its tables in tapgen's cache, else built and its tables saved there."""
    saved = speed.load_tables()
    if saved is not None:
        with contextlib.suppress(Exception):  # tables Lark cannot load: build them again below
            return lark.Lark.load(io.BytesIO(saved))
    built = build_parser()
    tables = io.BytesIO()
    built.save(tables)
    speed.store_tables(tables.getvalue())
    return built


def parse(text: str) -> dict:
    """Parse one file; raise HclSyntaxError (with the line, where known) if it is not HCL."""
    try:
        # The newline works around lark-parser/lark#237, as python-hcl2's own loads() does.
        tree = parser().parse(text + "\n")
        return serialize(transform(tree), serialization_options=_OPTIONS)
    except UnexpectedInput as error:
        raise HclSyntaxError(f"not valid HCL: {_unexpected(error)}", getattr(error, "line", None)) from None
    except (LarkError, ValueError) as error:
        raise HclSyntaxError(f"not valid HCL: {error}", None) from None


def _unexpected(error: UnexpectedInput) -> str:
    if isinstance(error, UnexpectedToken):
        token = str(error.token.value).strip().split("\n")[0][:30]
        what = "unexpected end of file" if error.token.type == "$END" else f"unexpected {token!r}"
    elif isinstance(error, UnexpectedCharacters):
        what = f"unexpected character {error.char!r}"
    else:
        what = "unexpected input"
    return f"{what} at column {error.column}" if getattr(error, "column", None) else what


def parse_files(texts: Mapping[str, str]) -> dict[str, dict | HclSyntaxError]:
    """Parse every file, each result or syntax error keyed by file name.

    A file is a sequence of top-level blocks, so its parse is the join of the parses of its
    pieces, cut after each top-level closing brace; each piece's parse is looked up by its
    exact text in tapgen's cache before it is parsed. A piece that fails on its own (a cut
    inside a heredoc, say, or a real error) sends its whole file to a plain parse, which
    reports the error with the file's own line numbers.
    """
    parsed: dict[str, dict | HclSyntaxError] = {}
    with speed.collector_paused():
        for name, text in texts.items():
            try:
                parsed[name] = functools.reduce(_joined, map(_parsed_piece, top_level_pieces(text)), {})
            except HclSyntaxError:
                parsed[name] = _parse_or_error(text)
    return parsed


# The per-environment map of a locals block (one entry of ~60 lines per environment) is the one
# block that grows with the spec. Its entries, cut after each closing brace at their indent, are
# parsed and cached one by one, so a change to one environment re-parses that entry only: a new
# 300-environment spec rendered in 1.1 to 1.4 s instead of 1.9 s (make bench). An entry is an object
# element, parsed as the one element of ``__entries = {...}``; any piece that does not parse
# (a cut inside a heredoc, say) sends the file to a plain parse, as for top-level pieces.
_MAP_ATTRIBUTE = re.compile(r"^  ([A-Za-z_][\w-]*) = \{\n(.+?)^  \}\n", re.M | re.S)
_ENTRY_END = re.compile(r"^    \}\n", re.M)
_LOCALS = re.compile(r"^locals \{$", re.M)  # after the file's header comment, in the first piece


def _parsed_piece(piece: str) -> dict:
    """A top-level piece's parse, from the cache or parsed; a locals block's map entry by entry."""
    match = _MAP_ATTRIBUTE.search(piece) if _LOCALS.search(piece) else None
    if match is None:
        return speed.parsed(piece, parse)
    outer = speed.parsed(piece[:match.start(2)] + piece[match.end(2):], parse)  # the map left empty
    entries: dict = {}
    for entry in top_level_pieces(match.group(2), _ENTRY_END):
        entries.update(speed.parsed(f"__entries = {{\n{entry}}}\n", parse)["__entries"])
    [block] = outer["locals"]
    return {"locals": [{**block, match.group(1): entries}]}


def _parse_or_error(text: str) -> dict | HclSyntaxError:
    try:
        return parse(text)
    except HclSyntaxError as error:
        return error


def top_level_pieces(text: str, ends: re.Pattern[str] = _TOP_LEVEL_END) -> list[str]:
    cuts = [0, *(m.end() for m in ends.finditer(text)), len(text)]
    return [text[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if a < b] or [text]


def _joined(first: dict, second: dict) -> dict:
    """Two consecutive pieces' parses as one: block lists continue, attributes accumulate."""
    joined = dict(first)
    for key, value in second.items():
        if isinstance(value, list) and isinstance(joined.get(key), list):
            joined[key] = joined[key] + value
        else:
            joined[key] = value
    return joined
