"""Everything tapgen does only to be fast, in one place, each with its plain fallback.

Most of a render is re-parsing its own output with python-hcl2, so tapgen keeps, in a per-user
cache folder, what that parse and the checks on it concluded:

- verdicts: that the output checks passed on exactly these files, these environments, this
  checker and this provider schema. A render whose text is unchanged (the pre-commit hook, every
  ``make plan``) then neither parses nor imports the parser.
- pieces: the parse of each top-level block, by its exact text. Most blocks take their names
  from locals and are the same for every spec, so text never checked before re-parses only the
  blocks that changed.
- parser tables: Lark's compiled tables of python-hcl2's grammar.
- compiled templates: Jinja's bytecode cache.

Measured gains are in the comments beside each (``make bench`` and the README give the totals).
An entry is derived from its key alone, written atomically and checked when read: a missing,
damaged or unwritable cache makes tapgen slower, never different, and a failing check is never
stored. Deleting the folder is always safe.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import marshal
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from . import __version__

if TYPE_CHECKING:
    import jinja2

HERE = Path(__file__).resolve().parent
SCHEMA = HERE / "aws_provider_schema.tsv"  # provider_schema reads it
# The modules whose code decides whether the checks pass. A development install is editable and
# keeps its version while its code changes, so verdicts are keyed by their source as well.
CHECKER_MODULES = ("checks.py", "stack.py", "overrides.py", "provider_schema.py", "hcl_parser.py", "speed.py")
# python-hcl2 and Lark, by the files that hold their versions: read, not imported (importing
# them is the 50 ms a verdict saves; importlib.metadata would cost 30 ms).
PARSER_FILES = (("hcl2", "version.py"), ("lark", "__init__.py"))
PASSED = b"passed"


@functools.cache
def cache_dir(part: str) -> Path | None:
    """A writable ``part`` folder of the cache, or None.

    The cache is ``$TAPGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/tapgen``, else ``~/.cache/tapgen``.
    """
    configured = os.environ.get("TAPGEN_CACHE_DIR")
    if configured:
        path = Path(configured) / part
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(base) / "tapgen" / part
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


def load(part: str, key: str) -> bytes | None:
    """The entry stored under ``key``, or None if there is none or it is damaged."""
    folder = cache_dir(part)
    if folder is None:
        return None
    try:
        data = (folder / key).read_bytes()
    except OSError:
        return None
    check, payload = data[:32], data[32:]
    return payload if len(check) == 32 and hashlib.sha256(payload).digest() == check else None


def store(part: str, key: str, payload: bytes) -> None:
    """Store ``payload`` under ``key`` atomically (a reader sees all of it or nothing); or do nothing."""
    folder = cache_dir(part)
    if folder is None:
        return
    staging = folder / f".{key}.{os.getpid()}"
    try:
        staging.write_bytes(hashlib.sha256(payload).digest() + payload)
        os.replace(staging, folder / key)
    except OSError:
        with contextlib.suppress(OSError):
            staging.unlink()


def _digest(chunks: Iterator[bytes]) -> str:
    """A hash of a sequence of byte strings (each length-prefixed, so no two sequences collide)."""
    hashed = hashlib.sha256()
    for chunk in chunks:
        hashed.update(len(chunk).to_bytes(8, "big"))
        hashed.update(chunk)
    return hashed.hexdigest()


def _sources(*files: Path) -> tuple[bytes, ...]:
    return tuple(path.read_bytes() for path in files)


def _parser_files() -> tuple[Path, ...]:
    found = []
    for package, name in PARSER_FILES:
        spec = find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise OSError(f"{package} is not installed")
        found.append(Path(next(iter(spec.submodule_search_locations))) / name)
    return tuple(found)


@functools.cache
def parser_fingerprint() -> str:
    """What a parse depends on besides its text: python-hcl2, Lark and how tapgen drives them
    (and Python, whose marshal and pickle formats hold the cached parses and tables)."""
    return _digest(iter([sys.version.encode(), *_sources(HERE / "hcl_parser.py", *_parser_files())]))


# --- verdicts ------------------------------------------------------------------------------------
# An unchanged render of the default spec: 876 M -> 581 M instructions (callgrind; the import floor
# is 587 M), since it neither imports python-hcl2 and Lark nor loads their tables, parses or checks.
# The key (the text, the checker's source, the schema) is hashed in under 1.5 ms.


def verdict_key(texts: Mapping[str, str], environments: Sequence[str] | None) -> str | None:
    """The key of the checks' verdict on exactly ``texts`` (file name -> text) given
    ``environments``, by this tapgen, checker, parser and provider schema; None when the
    checker's own files cannot be read (then verdicts are neither looked up nor stored)."""
    try:
        checker = _sources(*(HERE / name for name in CHECKER_MODULES), *_parser_files())
        schema = SCHEMA.read_bytes()
    except OSError:
        return None
    given = [b"none"] if environments is None else [b"environments", *(e.encode() for e in environments)]
    files = (part for name, text in texts.items()
             for part in (name.encode(), text.encode("utf-8", "surrogatepass")))
    return _digest(iter([__version__.encode(), sys.version.encode(), *checker, schema, *given,
                         b"files", *files]))


def passed(key: str | None) -> bool:
    """Whether the checks passed on what ``key`` names; anything unreadable counts as no."""
    return key is not None and load("verdicts", key) == PASSED


def record_pass(key: str | None) -> None:
    """Remember that the checks passed on what ``key`` names (call only after they did)."""
    if key is not None:
        store("verdicts", key, PASSED)


# --- pieces --------------------------------------------------------------------------------------
# Text never checked before, in a cache that other renders filled: only the blocks that changed
# are parsed (1 of the default stack's 96 pieces when a setting changes; 4 when the spec's file
# name, which every file's header names, changes too). The render of a new spec:
# 2.39 G instructions without, 1.52 G with (callgrind); CPU time 440 -> 325 ms. Reading all 96
# pieces back takes 2.4 ms; parsing them, 124 ms.


def parsed(piece: str, parse: Callable[[str], dict]) -> dict:
    """``parse(piece)``, kept by the piece's exact text; an error raised by ``parse`` is never kept."""
    key = _digest(iter([parser_fingerprint().encode(), piece.encode("utf-8", "surrogatepass")]))
    saved = load("pieces", key)
    if saved is not None:
        with contextlib.suppress(EOFError, ValueError, TypeError):
            return marshal.loads(saved)
    result = parse(piece)
    store("pieces", key, marshal.dumps(result))
    return result


# --- parser tables -------------------------------------------------------------------------------
# Building Lark's tables for python-hcl2's grammar takes 1.35 s, loading them 50 ms (Lark rebuilds
# its parse table and callbacks from the saved data), and only when some block must be parsed.
# python-hcl2 keeps its own beside its installed files, which fails where those are read-only,
# and tapgen builds its parser with other options.


def load_tables() -> bytes | None:
    return load("lark", f"tables-{parser_fingerprint()}")


def store_tables(tables: bytes) -> None:
    store("lark", f"tables-{parser_fingerprint()}", tables)


# --- compiled templates --------------------------------------------------------------------------
# Compiling the templates costs 23 ms a render, 180 M instructions: a quarter of an unchanged
# render. Jinja keys each by its source's checksum.


def template_bytecode() -> jinja2.BytecodeCache | None:
    """Jinja's bytecode cache in tapgen's cache folder, or None (compile every time)."""
    folder = cache_dir("jinja")
    if folder is None:
        return None
    import jinja2

    return jinja2.FileSystemBytecodeCache(str(folder))


# --- the collector -------------------------------------------------------------------------------
# A parse makes ~10^5 objects, and the collector walks the growing tree again and again, which
# costs memory traffic more than instructions: pausing it cuts the CPU time of a new
# 300-environment spec by a quarter (1.57 -> 1.19 s), of a default-sized one by 2%.


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- exit ----------------------------------------------------------------------------------------
# The interpreter's teardown frees every object one by one: 617 -> 581 M instructions of an
# unchanged render (6%), 1.60 -> 1.52 G of a new spec's. Like mypy's hard_exit: the command is
# done, its files written and synced; only the console script (cli.run) exits this way.


def exit_without_teardown(code: int) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BrokenPipeError:
            pass  # a reader that went away (`| head`) is not our failure
        except OSError:
            code = code or 1  # output that never arrived is (cli.Exit.FAILED)
    os._exit(code)
