"""Reading a spec file into the model: YAML, ``defaults`` merged, typed, then checked.

``load_spec`` reads the file, deep-merges ``defaults`` under every environment, builds the
typed model (which fills in its own defaults), then checks the cross-field invariants. Every
problem from every stage is reported together.
"""

from __future__ import annotations

import dataclasses
import re
import stat
from pathlib import Path

from . import invariants
from .errors import Problem, SpecError
from .policy import WAIVABLE_RULES
from .spec import Environment, Spec
from .typed_yaml import Builder, json_schema
from .unseen import describe
from .yaml_source import STDIN, Located, load_yaml

# EC2 takes at most 16 KB of user data, counted before base64 (EC2 User Guide, "Work with
# instance user data").
MAX_USER_DATA_BYTES = 16 * 1024


def spec_json_schema() -> dict:
    """JSON Schema of the spec file, for editors (``tapgen schema``)."""
    schema = json_schema(Spec)
    # Any environment key may come from `defaults`, so neither lists required keys.
    partial = json_schema(Environment, required=False)
    partial["properties"]["waivers"]["propertyNames"] = {"enum": list(WAIVABLE_RULES)}
    schema["properties"]["environments"]["additionalProperties"] = partial
    schema["properties"]["defaults"] = {"description": "Settings deep-merged under every environment.",
                                        **partial}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "tapgen spec",
        "description": "A HIPAA-minded AWS platform, one Terraform workspace per environment.",
        **schema,
    }


def load_spec(path: str | Path) -> tuple[str, Spec]:
    """Read, merge, type and check a spec; return (display name, spec) or raise SpecError.

    Files the spec names (user_data) are read relative to the spec's folder (for a spec on
    standard input, the working directory), and only from inside it."""
    name, root = load_yaml(path)
    base = Path.cwd() if str(path) == STDIN else Path(path).parent
    return name, build_spec(root, name, base)


def build_spec(root: Located, source: str, base: Path | None = None) -> Spec:
    if not isinstance(root.value, dict):
        kind = "a list" if isinstance(root.value, list) else "a single value"
        raise SpecError(source, [Problem("", f"the spec must be a mapping of keys, got {kind}",
                                         root.line, "start from `tapgen init`")])
    top = dict(root.value)
    defaults = top.pop("defaults", None)
    builder = Builder()
    if defaults is not None:
        # Checked on their own too: an environment that overrides a bad default would hide it.
        builder.check_partial(Environment, defaults)
        if not isinstance(defaults.value, dict):
            defaults = None
    environments = top.get("environments")
    if environments is not None and isinstance(environments.value, dict):
        merged = {env: _deep_merge(defaults, located) if defaults else located
                  for env, located in environments.value.items()}
        top["environments"] = Located(merged, environments.line, environments.path)
    spec = builder.build(Spec, Located(top, root.line, root.path), handled_elsewhere=("defaults",))
    problems = builder.problems
    if not problems:
        lines = _lines(root)
        problems = invariants.check(spec, lines)
        if not problems:
            spec, problems = _with_user_data(spec, base or Path.cwd(), lines)
    if problems:
        raise SpecError(source, problems)
    return spec


def _with_user_data(spec: Spec, base: Path, lines: dict[str, int]) -> tuple[Spec, list[Problem]]:
    """``spec`` with each environment's user-data file read in, or the problems with those files."""
    environments, problems = dict(spec.environments), []
    for name, env in spec.environments.items():
        if env.user_data is None:
            continue
        path = f"environments.{name}.user_data"
        text, problem = _read_user_data(base, env.user_data)
        if problem:
            message, hint = problem
            problems.append(Problem(path, message, lines.get(path), hint))
        else:
            environments[name] = dataclasses.replace(env, user_data_text=text)
    return dataclasses.replace(spec, environments=environments), problems


def _read_user_data(base: Path, name: str) -> tuple[str, tuple[str, str] | None]:
    """(text, None), or ("", (message, hint)) for a file that cannot be an instance's user data.

    Only a file inside ``base`` is read, with symbolic links resolved: the spec comes from a pull
    request, and its render (``render --check``'s diff) can reach CI logs, so a path out of its
    folder (``~/.aws/credentials``, ``/proc/self/environ``) must never be read."""
    if Path(name).is_absolute():
        return "", (f"{name} is an absolute path", "name a file in the spec's folder, relative to it")
    file = base / name
    try:
        inside = file.resolve().is_relative_to(base.resolve())
    except (OSError, RuntimeError):  # a loop of symbolic links
        inside = False
    if not inside:
        return "", (f"{file} is outside the spec's folder (through .. or a symbolic link)",
                    "keep the user-data file in the spec's folder or below it")
    try:
        if not stat.S_ISREG(file.stat().st_mode):  # never open a FIFO or a device: it could block
            return "", (f"{file} is not a regular file", "name a script file, relative to the spec")
        with open(file, "rb") as handle:
            data = handle.read(MAX_USER_DATA_BYTES + 1)
    except FileNotFoundError:
        return "", (f"{file}: no such file", "user_data is relative to the spec's folder")
    except OSError as error:
        return "", (f"{file} cannot be read: {error.strerror}", "check its permissions")
    if len(data) > MAX_USER_DATA_BYTES:
        return "", (f"{file} is larger than EC2's 16 KB ({MAX_USER_DATA_BYTES} bytes) of user data",
                    "fetch the rest at boot (from S3, say), or bake it into the image and use ami_id")
    if not data.strip():
        return "", (f"{file} is empty", "give it the script that starts the app, or remove user_data")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return "", (f"{file} is not valid UTF-8 (line {line})", "save it as UTF-8 text")
    flaw = _script_flaw(text)
    return ("", (f"{file} {flaw[0]}", flaw[1])) if flaw else (text, None)


# Control characters but tab and line feed: a carriage return, NUL, escape sequences...
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _script_flaw(text: str) -> tuple[str, str] | None:
    """What in a user-data script's text cloud-init or the shell would trip on, with the fix."""
    if text.startswith("\ufeff"):
        return ("starts with a byte order mark (U+FEFF)",
                "save it as UTF-8 without a BOM: cloud-init recognises a script by #! as its first bytes")
    found = _CONTROL.search(text)
    if not found:
        return None
    line = text.count("\n", 0, found.start()) + 1
    if text.startswith("\r\n", found.start()):
        return (f"has CRLF (Windows) line endings (line {line})",
                "save it with LF line endings: the shell reads each carriage return as part of a command")
    return (f"holds {describe(found.group())} at line {line}",
            "remove it: a user-data script is text, with tabs and line feeds as its only control characters")


def _deep_merge(base: Located, override: Located) -> Located:
    """``override`` on top of ``base``; values keep the path and line they were written at."""
    if not (isinstance(base.value, dict) and isinstance(override.value, dict)):
        return override
    merged = dict(base.value)
    for key, value in override.value.items():
        merged[key] = _deep_merge(merged[key], value) if key in merged else value
    return Located(merged, override.line, override.path)


def _lines(root: Located) -> dict[str, int]:
    """Dotted path -> line, for every value written in the spec."""
    lines: dict[str, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        lines.setdefault(node.path, node.line)
        if isinstance(node.value, dict):
            stack.extend(node.value.values())
        elif isinstance(node.value, list):
            stack.extend(node.value)
    return lines
