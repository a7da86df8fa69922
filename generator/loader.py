"""Reading a spec file into the model: YAML, ``defaults`` merged, typed, then checked.

``load_spec`` reads the file, deep-merges ``defaults`` under every environment, builds the
typed model (which fills in its own defaults), then checks the cross-field invariants. Every
problem from every stage is reported together.
"""

from __future__ import annotations

from pathlib import Path

from . import invariants
from .errors import Problem, SpecError
from .policy import WAIVABLE_RULES
from .spec import Environment, Spec
from .typed_yaml import Builder, json_schema
from .yaml_source import Located, load_yaml


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
    """Read, merge, type and check a spec; return (display name, spec) or raise SpecError."""
    name, root = load_yaml(path)
    return name, build_spec(root, name)


def build_spec(root: Located, source: str) -> Spec:
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
        problems = invariants.check(spec, _lines(root))
    if problems:
        raise SpecError(source, problems)
    return spec


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
