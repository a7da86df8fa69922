"""Rendering the templates into file contents, in memory.

One Jinja environment: StrictUndefined (a missing value is an error, never an
empty string), no autoescaping (the output is HCL, escaped by the ``hcl``
filters), whitespace control so templates read like the Terraform they produce.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2

from . import speed
from .errors import Problem, TemplateError
from .hcl import (
    hcl_address,
    hcl_attributes,
    hcl_comment,
    hcl_identifier,
    hcl_key,
    hcl_string,
    hcl_template_text,
    hcl_value,
)
from .views import markdown_text

OUTPUT_FILES = ("provider.tf", "variables.tf", "tap_stack.tf", "outputs.tf", "README.md", "COMPLIANCE.md")
# The state bucket's root module, rendered beside the stack when the spec has a backend.
BOOTSTRAP_DIR = "bootstrap"
BOOTSTRAP_FILES = tuple(f"{BOOTSTRAP_DIR}/{name}" for name in ("provider.tf", "variables.tf", "main.tf", "outputs.tf"))
TEMPLATE_FILTERS = {
    "hcl": hcl_value,
    "hcl_string": hcl_string,
    "hcl_key": hcl_key,
    "hcl_attributes": hcl_attributes,
    "hcl_address": hcl_address,
    "hcl_comment": hcl_comment,
    "hcl_identifier": hcl_identifier,
    "hcl_template_text": hcl_template_text,
    "md": markdown_text,
}


def template_dir() -> Path:
    here = Path(__file__).resolve().parent
    # A wheel carries the templates inside the package; a source checkout keeps them at the top.
    bundled = here / "templates"
    return bundled if bundled.is_dir() else here.parent / "templates"


@functools.lru_cache(maxsize=1)
def jinja_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir()),
        bytecode_cache=speed.template_bytecode(),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(TEMPLATE_FILTERS)
    return env


def render_all(context: dict[str, object]) -> dict[str, str]:
    """Every output file's text, keyed by its path in the output directory."""
    files = {}
    for name in (*OUTPUT_FILES, *(BOOTSTRAP_FILES if context.get("bootstrap") else ())):
        try:
            files[name] = jinja_environment().get_template(f"{name}.j2").render(context)
        except jinja2.TemplateError as error:
            line = getattr(error, "lineno", None)
            raise TemplateError(f"templates/{name}.j2", [Problem("", str(error), line)]) from None
    return files
