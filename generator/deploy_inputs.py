"""The deploy-time inputs: the stack's variables, as a commented tfvars example per environment.

The variables are read back from the rendered variables.tf, so templates/variables.tf.j2 stays
their one source and a new variable appears in the examples by itself, with its description.
``WHERE_FROM`` adds, for some, where a value comes from.
"""

from __future__ import annotations

import textwrap

from .context import build_context
from .hcl import hcl_value
from .render import render_all
from .spec import Spec
from .stack import Stack

# {region} is the stack's region. A tuple adds the placeholder a required variable is given.
WHERE_FROM: dict[str, str | tuple[str, str]] = {
    "certificate_arn": (
        "An ACM certificate in {region}, the stack's region: a load balancer can only use a "
        "certificate of its own region. Import yours into ACM in {region}, or request one and add the "
        "DNS record it asks for:\n"
        "  aws acm request-certificate --region {region} --domain-name app.example.org --validation-method DNS",
        "arn:aws:acm:{region}:123456789012:certificate/00000000-0000-0000-0000-000000000000"),
    "allowed_ingress_cidrs": "Who may reach the load balancer: your users' or sites' egress ranges, or the "
                             "CDN or WAF in front of it. The default, 0.0.0.0/0, is the whole internet.",
    "ami_id": "An AMI from your image pipeline (hardened, with your agents), in {region}. Unset, the "
              "instances run the latest Amazon Linux 2023.",
    "alarm_email": "The on-call address. AWS mails it a link to confirm the subscription; alarms arrive "
                   "only after someone clicks it.",
    "aws_region": "Set by the spec's `region:`; change it there.",
    "app_port": "Set by the spec's `app_port:`; change it there.",
    "health_check_path": "Set by the spec's `health_check_path:`; change it there.",
}
WIDTH = 100


def tfvars_example(spec: Spec, environment: str, variables_tf: str) -> str:
    """The example for ``environment``: each variable of ``variables_tf`` with what it is and where
    its value comes from; required ones set to a placeholder, the others commented out at their default."""
    return _example(environment, _inputs(spec, variables_tf))


def tfvars_examples(spec: Spec, source: str) -> dict[str, str]:
    """``{"<env>.tfvars.example": text}`` for every environment of ``spec``."""
    inputs = _inputs(spec, render_all(build_context(source, spec))["variables.tf"])  # the same in each
    return {f"{name}.tfvars.example": _example(name, inputs) for name in spec.environments}


def _example(environment: str, inputs: list[str]) -> str:
    header = [f"# Deploy-time inputs of the {environment} workspace, from the stack's variables (`tapgen init`).",
              f"# Copy to vars/{environment}.tfvars and fill in: `make plan WORKSPACE={environment}` reads that file.",
              "# An input left commented out keeps its default."]
    return "\n".join(header + inputs) + "\n"


def _inputs(spec: Spec, variables_tf: str) -> list[str]:
    lines = []
    for block in Stack({"variables.tf": variables_tf}).blocks("variable"):
        [name] = block.labels
        where = WHERE_FROM.get(name, "")
        hint, placeholder = where if isinstance(where, tuple) else (where, None)
        required = "default" not in block.body
        lines += ["", *_comment(f"{name}{' (required)' if required else ''}: {block.body['description']}")]
        if hint:
            lines += _comment(hint.format(region=spec.region))
        if required:
            value = placeholder.format(region=spec.region) if placeholder else ""
            lines.append(f"{name} = {hcl_value(value)}")
        else:
            lines.append(f"# {name} = {hcl_value(block.body['default'])}")
    return lines


def _comment(text: str) -> list[str]:
    """``text`` as comment lines: each paragraph wrapped, an indented one (a command) kept whole."""
    lines = []
    for paragraph in text.split("\n"):
        lines += ([f"# {paragraph}"] if paragraph.startswith(" ") else
                  textwrap.wrap(paragraph, WIDTH, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False))
    return lines
