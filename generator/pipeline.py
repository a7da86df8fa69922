"""The render pipeline: spec -> model -> context -> text -> checked files -> disk.

Nothing is written until every file has been rendered and has passed the
output checks. Checks that already passed on the same text are not run again (``speed``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from pathlib import Path

from . import impact, speed
from .context import build_context
from .errors import OutputError, Problem, SpecError
from .loader import load_spec
from .render import render_all
from .spec import Spec
from .writer import WORKSPACES, Change, pending_changes, read_regular, recover, write_atomic


def render_files(spec_path: str | Path, resolve: str | None = None) -> dict[str, str]:
    """Load the spec and return the checked output files; raise a TapgenError on any problem."""
    source, spec = load_spec(spec_path)
    if resolve is not None and resolve not in spec.environments:
        raise SpecError(source, [Problem("", f"there is no environment '{resolve}' to resolve",
                                         hint="one of: " + ", ".join(spec.environments))])
    return render_spec(spec, Path(source).name, resolve)


def render_spec(spec: Spec, source: str, resolve: str | None = None) -> dict[str, str]:
    """The checked files, keyed by path: the stack's, and with a backend bootstrap/'s as well."""
    files = render_all(build_context(source, spec, resolve))
    environments = None if resolve else list(spec.environments)
    # Each directory is a root module of its own, checked on its own.
    for directory, texts in _by_directory(_terraform_files(files)).items():
        _check(texts, "rendered output", None if directory else environments)
    return files


def render(spec_path: str | Path, out_dir: Path, resolve: str | None = None,
           allow_replace: Collection[str] = (), show: Callable[[str], None] | None = None) -> list[Change]:
    """Write the spec's output into ``out_dir``, bootstrap/ included, all of it or none of it.
    First its impact on the infrastructure is shown, and a render that would lose data in a
    production environment not named in ``allow_replace`` is refused
    (impact.ReplacementRefused) before anything is written."""

    def vet(pending: list[Change]) -> None:  # the changes write_atomic is about to make, under its lock
        found = impact.assess(pending, out_dir)
        if show:
            show(found.report())  # an empty report shows nothing
        impact.refuse_losses(found, allow_replace, out_dir)

    return write_atomic(render_files(spec_path, resolve), out_dir, f"resolved {resolve}" if resolve else WORKSPACES,
                        vet)


def stale(spec_path: str | Path, out_dir: Path, resolve: str | None = None) -> list[Change]:
    return pending_changes(render_files(spec_path, resolve), out_dir)


def _by_directory(files: dict[str, str]) -> dict[str, dict[str, str]]:
    """``files`` grouped by directory: the stack's ("") and bootstrap/, each a root module."""
    groups: dict[str, dict[str, str]] = {}
    for path, text in files.items():
        groups.setdefault(path.rpartition("/")[0], {})[path] = text
    return groups


def _terraform_files(files: dict[str, str]) -> dict[str, str]:
    return {name: text for name, text in files.items() if name.endswith(".tf")}


def terraform_files(directory: Path) -> tuple[list[str], list[str]]:
    """The names of the ``.tf`` and of the ``.tf.json`` files Terraform reads in ``directory``.

    As hashicorp/terraform does (internal/configs/parser_file_matcher.go, rootFiles, and
    IsIgnoredFile in parser_config_dir.go): subdirectories are skipped, and so are names starting
    with "." (hidden: the staging directories and the manifest among them), ending with "~" (vim)
    or both starting and ending with "#" (emacs), whatever their extension."""
    native, json_syntax = [], []
    for entry in os.scandir(directory):
        name = entry.name
        if entry.is_dir(follow_symlinks=False) or name.startswith(".") or name.endswith("~") \
                or (name.startswith("#") and name.endswith("#")):
            continue
        if name.endswith(".tf"):
            native.append(name)
        elif name.endswith(".tf.json"):
            json_syntax.append(name)
    return sorted(native), sorted(json_syntax)


def validate_directory(directory: Path) -> tuple[int, list[str]]:
    """Run the output checks on the .tf files of an existing directory, the files Terraform reads;
    return how many, and the .tf.json files Terraform reads too, which tapgen does not check."""
    try:
        recover(directory)  # what an interrupted render left: all old again, staging removed
        names, unchecked = terraform_files(directory)
        if not names:
            raise OutputError(str(directory), [Problem("", "holds no .tf files")])
        # Each must be a regular file, or a link to one as Terraform reads it: read_regular says if not.
        contents = {name: read_regular(directory / name, follow=True) or b"" for name in names}
    except OSError as error:
        raise OutputError(str(directory), [Problem("", f"cannot read {error.filename}: {error.strerror}")]) from None
    texts, problems = {}, []
    for name, data in contents.items():
        try:
            texts[name] = data.decode("utf-8")
        except UnicodeDecodeError as error:  # Terraform refuses the file too (hcl: TokenBadUTF8)
            problems.append(Problem("", "Invalid character encoding: not valid UTF-8, which Terraform refuses",
                                    data[: error.start].count(b"\n") + 1, "save it as UTF-8", file=str(directory / name)))
    if problems:
        raise OutputError(str(directory), problems)
    _check(texts, str(directory))
    return len(names), unchecked


def _check(texts: dict[str, str], source: str, environments: list[str] | None = None) -> None:
    """Raise OutputError if ``texts`` fail the output checks; a pass is remembered by their text."""
    key = speed.verdict_key(texts, environments)
    if speed.passed(key):
        return
    from .checks import check_stack  # imports the parser: only when the verdict is not known
    from .stack import Stack

    problems = check_stack(Stack(texts), environments)
    if problems:
        raise OutputError(source, problems)
    speed.record_pass(key)
