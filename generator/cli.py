"""The ``tapgen`` command line: parse options, call the library, map errors to exit codes."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shlex
import sys
from pathlib import Path

import click

from . import __version__, deploy_inputs, impact, pipeline, speed, views
from . import guard as plan_guard
from .errors import Exit, Problem, TapgenError
from .loader import load_spec, spec_json_schema
from .render import template_dir
from .spec import Spec
from .unseen import visible
from .writer import WORKSPACES, render_mode, unified_diff

DEFAULT_SPEC = "environments.yaml"
DEFAULT_OUT = "out"
VARS_DIR = "vars"  # the Makefile's VARS_DIR: make plan WORKSPACE=<env> reads vars/<env>.tfvars

spec_option = click.option(
    "--spec", "spec_path", default=DEFAULT_SPEC, show_default=True, metavar="PATH",
    help="The spec to read; - reads standard input.",
)
out_option = click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT,
    show_default=True, help="Directory of the generated Terraform.",
)


def _complete_environments(ctx: click.Context, param: click.Parameter, incomplete: str):
    """Shell completion for ENV arguments: the environments of the spec on the command line."""
    try:
        spec = _load(ctx.params.get("spec_path") or DEFAULT_SPEC)
    except Exception:  # a bad spec, or a bug: completion offers nothing rather than a traceback
        return []
    return [name for name in spec.environments if name.startswith(incomplete)]


def _load(spec_path: str) -> Spec:
    return load_spec(spec_path)[1]


def _environment(spec: Spec, name: str) -> str:
    if name not in spec.environments:
        raise click.BadParameter(f"no environment '{visible(name)}'; the spec defines: "
                                 + ", ".join(spec.environments), param_hint="ENV")
    return name


class StreamError(TapgenError):
    """Standard output or standard error cannot be written: an I/O failure, not a bug."""

    summary = "could not write tapgen's output"


def _echo(text: str, err: bool = False, nl: bool = True) -> None:
    """``click.echo`` of lines of output (a diff, a table, a report), each through ``visible`` so
    that nothing in them reaches the terminal raw (an escape sequence in a hand-edited file); a
    stream that cannot be written (``> /dev/full``) is a StreamError."""
    try:
        click.echo(_visible_lines(text), err=err, nl=nl)
    except BrokenPipeError:
        raise  # a reader that went away (`| head`) is not a failure
    except OSError as error:
        raise StreamError("standard error" if err else "standard output",
                          [Problem("", f"cannot be written: {error.strerror or error}")]) from None


def _say(message: str) -> None:
    """One line on stderr, whatever the paths and names in it hold (a line break in --out)."""
    _echo(visible(message), err=True)


def _last_words(text: str) -> None:
    """Say ``text`` on stderr if it can still be written: it may be what failed."""
    with contextlib.suppress(OSError):
        click.echo(_visible_lines(text), err=True)


def _visible_lines(text: str) -> str:
    return "\n".join(visible(line) for line in text.split("\n"))


def _show(report: str) -> None:
    if report:
        _echo(report, err=True)


def handle_errors(command):
    """Turn tapgen's errors into a message on stderr and an exit code; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except TapgenError as error:
            _last_words(error.report())
            sys.exit(error.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit, BrokenPipeError):
            raise  # Click reports these itself (a closed pipe, such as `| head`, is not a bug)
        except Exception as error:  # a bug: say so briefly, show the traceback on request
            if os.environ.get("TAPGEN_DEBUG"):
                raise
            _last_words(visible(f"tapgen: internal error: {type(error).__name__}: {error}") + "\n"
                        "This is a bug in tapgen; rerun with TAPGEN_DEBUG=1 for the traceback.")
            sys.exit(Exit.BUG)

    return wrapper


def run() -> None:
    """The console script: ``main``, then exit without the interpreter's teardown (``speed``)."""
    try:
        main()
    except SystemExit as done:
        code = done.code
    except OSError as error:  # Click's own output (--help, a usage error) could not be written
        _last_words(visible(f"tapgen: cannot write its output: {error.strerror or error}"))
        code = Exit.FAILED
    else:
        code = Exit.OK
    if isinstance(code, str):
        _last_words(code)
        code = Exit.FAILED
    speed.exit_without_teardown(code or Exit.OK)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tapgen")
def main() -> None:
    """Generate production-grade Terraform for a HIPAA-minded AWS platform from a YAML spec."""


@main.command()
@spec_option
@out_option
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 with a diff if the directory is not what the spec renders to.")
@click.option("--resolve", metavar="ENV", shell_complete=_complete_environments,
              help="Render one environment with its settings inlined (for scanners); needs --out.")
@click.option("--allow-replace", "allow_replace", metavar="ENV", multiple=True,
              shell_complete=_complete_environments,
              help="Write even though production environment ENV would lose data (repeatable).")
@click.pass_context
@handle_errors
def render(ctx: click.Context, spec_path: str, out_dir: Path, check: bool, resolve: str | None,
           allow_replace: tuple[str, ...]) -> None:
    """Render the spec into provider.tf, variables.tf, tap_stack.tf, outputs.tf and README.md.

    Before writing, prints what the change does to the infrastructure, per environment, and
    refuses (exit 1, nothing written) to replace or destroy data in production unless
    --allow-replace names the environment."""
    given = {name: ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
             for name in ("spec_path", "out_dir")}
    if resolve:
        _refuse_to_resolve_over_workspaces(out_dir, given["out_dir"])
    if check:
        pending = pipeline.stale(spec_path, out_dir, resolve)
        if pending:
            _echo(unified_diff(pending, out_dir), nl=False)
            _show(impact.assess(pending, out_dir).report())
            names = ", ".join(c.name for c in pending)
            command = ["tapgen", "render", *(["--spec", spec_path] if given["spec_path"] else []),
                       *(["--out", str(out_dir)] if given["out_dir"] else []),
                       *(["--resolve", resolve] if resolve else [])]
            _say(f"{out_dir}/ is stale ({names}); run `{shlex.join(command)}` to update it.")
            sys.exit(Exit.FAILED)
        _say(f"{out_dir}/ is up to date.")
        return
    written = pipeline.render(spec_path, out_dir, resolve, allow_replace, show=_show)
    for change in written:
        if change.edited:
            fate = "removed" if change.new is None else "replaced"
            _say(f"{out_dir / change.name} was edited since tapgen wrote it; the edit is {fate}")
    summary = ", ".join(f"{c.kind}d {c.name}" for c in written) or "already up to date"
    _say(f"{out_dir}/: {summary}")


def _refuse_to_resolve_over_workspaces(out_dir: Path, given: bool) -> None:
    """A resolved copy must never replace the workspace-keyed out/, however the path is spelled
    (out, ./out/, an absolute path, a symlink to it, another checkout's out)."""
    if not given:
        raise click.UsageError("--resolve needs --out DIR: a resolved copy must not replace "
                               f"{DEFAULT_OUT}/, which is keyed by workspace")
    with contextlib.suppress(OSError):
        if out_dir.exists() and Path(DEFAULT_OUT).exists() and out_dir.samefile(DEFAULT_OUT):
            raise click.UsageError(f"--out {visible(str(out_dir))} is {DEFAULT_OUT}/, which is keyed by "
                                   "workspace; render --resolve into a directory of its own")
    if render_mode(out_dir) == WORKSPACES:
        raise click.UsageError(f"--out {visible(str(out_dir))} holds a render keyed by workspace, which "
                               "--resolve would replace; render --resolve into a directory of its own")


@main.command()
@spec_option
@click.option("--production", is_flag=True, help="Only the production environments.")
@handle_errors
def workspaces(spec_path: str, production: bool) -> None:
    """Print the spec's environments (Terraform workspaces), one a line."""
    names = [name for name, env in _load(spec_path).environments.items() if env.production or not production]
    if names:
        _echo("\n".join(names))


@main.command()
@spec_option
@click.argument("env", required=False, shell_complete=_complete_environments)
@handle_errors
def show(spec_path: str, env: str | None) -> None:
    """Print every environment's effective settings side by side, or one environment's."""
    spec = _load(spec_path)
    names = [_environment(spec, env)] if env else None
    _echo(views.text_table(*views.settings_rows(spec, names)), nl=False)


@main.command()
@spec_option
@click.argument("first", metavar="ENV_A", shell_complete=_complete_environments)
@click.argument("second", metavar="ENV_B", shell_complete=_complete_environments)
@handle_errors
def diff(spec_path: str, first: str, second: str) -> None:
    """Print the settings that differ between two environments."""
    spec = _load(spec_path)
    header, rows = views.differing_rows(spec, _environment(spec, first), _environment(spec, second))
    if rows:
        _echo(views.text_table(header, rows), nl=False)
    else:
        _say(f"{first} and {second} have the same settings.")


@main.command()
@click.argument("plan_json", metavar="PLAN_JSON")
@click.option("--allow", "allowed", metavar="ADDRESS", multiple=True,
              help="Accept the deletion or replacement of ADDRESS (a resource, or one instance of it).")
@click.option("--list", "listing", is_flag=True,
              help="Only list the resources holding data that the plan destroys; exit 0.")
@handle_errors
def guard(plan_json: str, allowed: tuple[str, ...], listing: bool) -> None:
    """Exit 1 if a plan (terraform show -json; - reads standard input) destroys or replaces a
    resource that holds data, listing each with Terraform's reason; exit 2 if it is not a plan."""
    plan, source = plan_guard.load_plan(plan_json)
    found = plan_guard.review(plan, allowed)
    _echo(found.report(listing), err=True)
    if found.refused and not listing:
        raise found.refusal(source)


@main.command()
@handle_errors
def schema() -> None:
    """Print the JSON Schema of the spec (for editor completion and checks)."""
    _echo(json.dumps(spec_json_schema(), indent=2))


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_SPEC)
@handle_errors
def init(path: Path) -> None:
    """Write a commented starter spec to PATH, and beside it vars/<env>.tfvars.example for each of
    its environments; a file that exists is kept (for an existing spec, only the examples are written)."""
    if str(path) == "-":  # elsewhere - is standard input; init would write a file named -
        raise click.BadParameter("init writes a file, and - is standard input; name the spec file, "
                                 "such as environments.yaml", param_hint="PATH")
    if _write_new(path, (template_dir() / "starter.yaml").read_text(encoding="utf-8")):
        _say(f"wrote {path}; edit it, then run `tapgen render --spec {path}`")
    _, spec = load_spec(path)
    for name, text in deploy_inputs.tfvars_examples(spec, path.name).items():
        target = path.parent / VARS_DIR / name
        if _write_new(target, text, make_folder=True):
            _say(f"wrote {target}; copy it to {target.with_suffix('')} for the deploy-time inputs")


class InitError(TapgenError):
    """A starter file, or the folder for the examples, cannot be written."""

    summary = "tapgen init could not write its files"


def _write_new(path: Path, text: str, make_folder: bool = False) -> bool:
    """Write ``path`` unless it exists (say so then); False when it was kept."""
    if make_folder:
        try:
            path.parent.mkdir(exist_ok=True)
        except OSError as error:  # FileExistsError: a file, not a folder, has the name
            problem = ("exists and is not a directory" if isinstance(error, FileExistsError)
                       else f"cannot be made: {error.strerror}")
            raise InitError(str(path.parent), [Problem(
                "", problem, hint=f"tapgen init writes the examples into {path.parent}/: move what is there away")]) from None
    try:
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        _say(f"kept {path} (tapgen init never overwrites)")
        return False
    except OSError as error:
        raise InitError(str(path), [Problem("", f"cannot be written: {error.strerror}")]) from None
    return True


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path),
                default=DEFAULT_OUT)
@handle_errors
def validate(directory: Path) -> None:
    """Check existing Terraform (syntax, references, provider schema) without the spec."""
    count, unchecked = pipeline.validate_directory(directory)
    for name in unchecked:  # the JSON syntax is read against the provider schema: no parse here
        _say(f"{directory / name}: not checked by tapgen (Terraform's JSON syntax); `terraform validate` "
             "reads it")
    _say(f"{directory}/: {count} files pass tapgen's checks.")
