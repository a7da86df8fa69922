"""Parsing HCL with python-hcl2 into plain Python values.

Strings come back unquoted; expressions keep their ``${...}`` wrapper; blocks
carry ``__is_block__`` so they can be told apart from object values.

The parser is python-hcl2's own grammar and transformer, but tapgen builds the
Lark parser itself so that its parse tables are cached in tapgen's cache folder:
python-hcl2 caches them beside its installed files, and where that folder is
read-only (a system or container install) it rebuilds them, over a second, on every run.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import re
from collections.abc import Mapping
from pathlib import Path

import hcl2
import lark
from hcl2.api import serialize, transform
from hcl2.postlexer import PostLexer
from hcl2.utils import SerializationOptions
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .cache import cache_dir

_OPTIONS = SerializationOptions(with_comments=False, strip_string_quotes=True)
GRAMMAR = Path(hcl2.__file__).with_name("hcl2.lark")
# Below this much text a second process costs more than it saves.
PARALLEL_MIN_CHARS = 16_000
_TOP_LEVEL_END = re.compile(r"^\}\n", re.M)


class HclSyntaxError(ValueError):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


# The parse tables, saved by Lark.save for exactly these python-hcl2 and Lark versions. The
# wheel ships a copy (setup.py builds it), so even the first run after an install starts fast.
TABLES = f"hcl2-{hcl2.__version__}-lark-{lark.__version__}.tables"


def build_parser() -> lark.Lark:
    """python-hcl2's grammar and post-lexer, compiled: over a second."""
    return lark.Lark.open(str(GRAMMAR), parser="lalr", propagate_positions=True, postlex=PostLexer())


def save_tables(built: lark.Lark, path: Path) -> None:
    """Write ``built``'s tables to ``path`` atomically, so a reader never sees half a file."""
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    with open(staging, "wb") as handle:
        built.save(handle)
    os.replace(staging, path)


@functools.cache
def parser() -> lark.Lark:
    """The parser, from saved tables (the wheel's, then the cache folder's) or built and saved."""
    cache = cache_dir("lark")
    for folder in (Path(__file__).parent, cache):
        if folder is not None and (folder / TABLES).is_file():
            try:
                with open(folder / TABLES, "rb") as handle:
                    return lark.Lark.load(handle)
            except Exception:  # unreadable or from an incompatible build: rebuild below
                pass
    built = build_parser()
    if cache is not None:
        with contextlib.suppress(OSError):
            save_tables(built, cache / TABLES)
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

    Every byte is parsed. With more than one CPU the files are cut after top-level closing
    braces and the pieces shared between this process and a forked one: a file is a sequence
    of top-level blocks, so the pieces' parses, joined, are the file's parse. A piece that
    fails (a cut inside a heredoc, say, or a real error) sends its whole file to a plain parse,
    which reports the error with the file's own line numbers.
    """
    pieces = [(name, piece) for name, text in texts.items() for piece in _top_level_pieces(text)]
    mine, theirs = _halves(pieces) if _can_fork(texts) else (pieces, [])
    parsed: dict[str, dict | HclSyntaxError] = {}
    whole: set[str] = set()
    for (name, _), result in zip([*mine, *theirs], _parse_pieces(mine, theirs), strict=True):
        if name in whole:
            continue
        if result is None:
            parsed[name] = _parse_or_error(texts[name])
            whole.add(name)
        else:
            parsed[name] = _joined(parsed.get(name, {}), result)
    return {name: parsed[name] for name in texts}


def _parse_or_error(text: str) -> dict | HclSyntaxError:
    try:
        return parse(text)
    except HclSyntaxError as error:
        return error


def _parse_piece(text: str) -> dict | None:
    result = _parse_or_error(text)
    return None if isinstance(result, HclSyntaxError) else result


def _top_level_pieces(text: str) -> list[str]:
    cuts = [0, *(m.end() for m in _TOP_LEVEL_END.finditer(text)), len(text)]
    return [text[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if a < b] or [text]


def _halves(pieces: list[tuple[str, str]]) -> tuple[list, list]:
    """Split pieces, in order, into two runs of about equal size."""
    total, running = sum(len(p) for _, p in pieces), 0
    for index, (_, piece) in enumerate(pieces):
        running += len(piece)
        if running >= total / 2:
            return pieces[: index + 1], pieces[index + 1 :]
    return pieces, []


def _can_fork(texts: Mapping[str, str]) -> bool:
    return (hasattr(os, "fork") and (os.cpu_count() or 1) > 1
            and sum(map(len, texts.values())) >= PARALLEL_MIN_CHARS)


def _parse_pieces(mine: list[tuple[str, str]], theirs: list[tuple[str, str]]) -> list[dict | None]:
    """Results for ``mine`` then ``theirs``, None for a piece that does not parse on its own;
    a forked child parses ``theirs`` while this process parses ``mine``."""
    parser()  # load the tables before the fork, so both processes have them
    if not theirs:
        return [_parse_piece(piece) for _, piece in mine]
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        os.close(read_end)
        try:
            with os.fdopen(write_end, "wb") as pipe:
                pickle.dump([_parse_piece(piece) for _, piece in theirs], pipe)
        finally:
            os._exit(0)
    os.close(write_end)
    own = [_parse_piece(piece) for _, piece in mine]
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(child, 0)
    try:
        other = pickle.loads(data)
    except Exception:  # the child died before it finished: parse its share here
        other = [_parse_piece(piece) for _, piece in theirs]
    return [*own, *other]


def _joined(first: dict, second: dict) -> dict:
    """Two consecutive pieces' parses as one: block lists continue, attributes accumulate."""
    joined = dict(first)
    for key, value in second.items():
        if isinstance(value, list) and isinstance(joined.get(key), list):
            joined[key] = joined[key] + value
        else:
            joined[key] = value
    return joined
