"""The render pipeline: spec -> model -> context -> text -> checked files -> disk.

Nothing is written until every file has been rendered and has passed the
output checks.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

from . import impact
from .checks import check_stack
from .context import build_context
from .errors import OutputError, Problem, SpecError
from .loader import load_spec
from .render import render_all
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
    with _gc_paused():
        files = render_all(build_context(source, spec, resolve))
        environments = None if resolve else list(spec.environments)
        _check(_terraform_files(files), "rendered output", environments)
    return files


def render(spec_path: str | Path, out_dir: Path, resolve: str | None = None,
           allow_replace: Collection[str] = (), show: Callable[[str], None] | None = None) -> list[Change]:
    """Write the spec's output into ``out_dir``. First its impact on the infrastructure is shown,
    and a render that would lose data in a production environment not named in ``allow_replace``
    is refused (impact.ReplacementRefused) before anything is written."""
    files = render_files(spec_path, resolve)
    found = impact.assess(pending_changes(files, out_dir), out_dir)
    if show and found.report():
        show(found.report())
    impact.refuse_losses(found, allow_replace, out_dir)
    return write_atomic(files, out_dir)


def stale(spec_path: str | Path, out_dir: Path, resolve: str | None = None) -> list[Change]:
    return pending_changes(render_files(spec_path, resolve), out_dir)


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
