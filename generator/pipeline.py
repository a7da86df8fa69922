"""The render pipeline: spec -> model -> context -> text -> checked files -> disk.

Nothing is written until every file has been rendered and has passed the
output checks.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .checks import check_stack
from .context import build_context
from .errors import OutputError, Problem, SpecError
from .loader import load_spec
from .render import BOOTSTRAP_DIR, render_all
from .spec import Spec
from .stack import Stack
from .writer import Change, pending_changes, write_atomic


def render_files(spec_path: str | Path, resolve: str | None = None) -> dict[str, str]:
    """Load the spec and return the checked output files; raise a TapgenError on any problem."""
    source, spec = load_spec(spec_path)
    if resolve is not None and resolve not in spec.environments:
        raise SpecError(source, [Problem("", f"there is no environment '{resolve}' to resolve",
                                         hint="one of: " + ", ".join(spec.environments))])
    return render_spec(spec, Path(source).name, resolve)


def render_spec(spec: Spec, source: str, resolve: str | None = None) -> dict[str, str]:
    """The checked files, keyed by path: the stack's, and with a backend bootstrap/'s as well."""
    with _gc_paused():
        files = render_all(build_context(source, spec, resolve))
        environments = None if resolve else list(spec.environments)
        # Each directory is a root module of its own, checked on its own.
        for directory, texts in _by_directory(_terraform_files(files)).items():
            _check(texts, "rendered output", None if directory else environments)
    return files


# Until the writer takes paths in subdirectories ("bootstrap/main.tf"), each directory is
# written (and compared) by a call of its own: atomic per directory, the stack's first. A
# directory the render no longer produces still has its generated files removed.
def render(spec_path: str | Path, out_dir: Path, resolve: str | None = None) -> list[Change]:
    return _per_directory(write_atomic, render_files(spec_path, resolve), out_dir)


def stale(spec_path: str | Path, out_dir: Path, resolve: str | None = None) -> list[Change]:
    return _per_directory(pending_changes, render_files(spec_path, resolve), out_dir)


def _per_directory(apply: Callable[[dict[str, str], Path], list[Change]], files: dict[str, str],
                   out_dir: Path) -> list[Change]:
    earlier = [name for name in (BOOTSTRAP_DIR,) if (out_dir / name).is_dir()]
    changes = []
    for directory, subset in _by_directory(files, earlier).items():
        names = {path.rpartition("/")[2]: text for path, text in subset.items()}
        changes += [Change(f"{directory}/{c.name}", c.old, c.new) if directory else c
                    for c in apply(names, out_dir / directory)]
    return changes


def _by_directory(files: dict[str, str], also: Iterable[str] = ()) -> dict[str, dict[str, str]]:
    """``files`` grouped by directory ("" first, then ``also``, which may stay empty)."""
    groups: dict[str, dict[str, str]] = {"": {}, **{directory: {} for directory in also}}
    for path, text in files.items():
        groups.setdefault(path.rpartition("/")[0], {})[path] = text
    return groups


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Rendering and parsing make ~10^5 short-lived objects and no garbage cycles worth finding;
    the collector's passes over them cost a quarter of a render."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _terraform_files(files: dict[str, str]) -> dict[str, str]:
    return {name: text for name, text in files.items() if name.endswith(".tf")}


def validate_directory(directory: Path) -> int:
    """Run the output checks on the .tf files of an existing directory; return how many."""
    paths = sorted(p for p in directory.glob("*.tf") if p.is_file())
    if not paths:
        raise OutputError(str(directory), [Problem("", "holds no .tf files")])
    try:
        texts = {path.name: path.read_text(encoding="utf-8", errors="replace") for path in paths}
    except OSError as error:
        raise OutputError(str(directory), [Problem("", f"cannot read {error.filename}: {error.strerror}")]) from None
    _check(texts, str(directory))
    return len(paths)


def _check(texts: dict[str, str], source: str, environments: list[str] | None = None) -> None:
    problems = check_stack(Stack(texts), environments)
    if problems:
        raise OutputError(source, problems)
