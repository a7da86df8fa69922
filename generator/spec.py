"""The spec: a typed model of the platform, and loading it from YAML.

``load_spec`` reads the file, deep-merges ``defaults`` under every environment,
fills in the defaults that depend on whether an environment is production,
types the result, then checks the cross-field invariants. Every problem from
every stage is reported together.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from . import invariants
from .errors import Problem, SpecError
from .typed_yaml import Builder, json_schema, setting
from .yaml_source import Located, load_yaml

NAME = r"[a-z][a-z0-9]*(-[a-z0-9]+)*"
REGION_PATTERN = r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}"
# Retention periods CloudWatch Logs accepts (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                      1096, 1827, 2192, 2557, 2922, 3288, 3653)


@dataclass(frozen=True)
class Autoscaling:
    min: int = setting("Fewest app instances the Auto Scaling group keeps.", minimum=1, maximum=1000)
    max: int = setting("Most app instances the Auto Scaling group may run.", minimum=1, maximum=1000)
    desired: int = setting("App instances to run when nothing else says otherwise.",
                           minimum=1, maximum=1000)


@dataclass(frozen=True)
class Database:
    instance_class: str = setting("RDS instance class.", pattern=r"db\.[a-z][a-z0-9-]*\.[a-z0-9]+",
                                  example="db.t3.micro")
    allocated_storage_gb: int = setting("Initial storage in GiB.", minimum=20, maximum=65536)
    backup_retention_days: int = setting("Days RDS keeps automated backups.", minimum=1, maximum=35)
    multi_az: bool = setting("Run a synchronous standby in a second availability zone.")
    deletion_protection: bool = setting("Refuse to delete the database (and snapshot it on destroy).")
    max_allocated_storage_gb: int = setting(
        "Upper bound for storage autoscaling in GiB; 0 turns storage autoscaling off.",
        0, minimum=0, maximum=65536)
    engine_version: str = setting("PostgreSQL version: a major version (minor upgrades are automatic) "
                                  "or major.minor.", "16", pattern=r"1[3-9](\.[0-9]+)?", example="16")

    @property
    def major_version(self) -> str:
        return self.engine_version.split(".")[0]


@dataclass(frozen=True)
class Environment:
    vpc_cidr: str = setting("The environment's VPC range; private, and disjoint from every other "
                            "environment's.", example="10.10.0.0/16")
    instance_type: str = setting("EC2 instance type of the app tier.",
                                 pattern=r"[a-z][a-z0-9-]*\.[a-z0-9]+", example="t3.micro")
    autoscaling: Autoscaling = setting("Size of the app tier's Auto Scaling group.")
    database: Database = setting("The environment's PostgreSQL instance.")
    log_retention_days: int = setting("Days CloudWatch Logs keeps every log group.",
                                      choices=LOG_RETENTION_DAYS)
    flow_logs: bool = setting("Record VPC flow logs to CloudWatch Logs.")
    availability_zones: int = setting("How many availability zones the VPC spans.",
                                      minimum=2, maximum=6)
    production: bool = setting("Hold the environment to production invariants "
                               "(default: true for an environment named prod).")
    nat_gateways: Literal["single", "per_az"] = setting(
        "One shared NAT gateway, or one per availability zone (default: per_az in production).")
    kms_deletion_window_days: int = setting(
        "Days a deleted KMS key waits before it is destroyed.", 30, minimum=7, maximum=30)
    waivers: dict[str, str] = setting(
        "Production invariants this environment is excused from, each with the reason.", {},
        key_pattern="|".join(invariants.PRODUCTION_RULES),
        key_hint="waivable: " + ", ".join(invariants.PRODUCTION_RULES))


@dataclass(frozen=True)
class Backend:
    bucket: str = setting("S3 bucket that holds the state (S3's naming rules: 3 to 63 lowercase "
                          "letters, digits, '.' and '-'; not an IP address; no '..').",
                          pattern=r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", example="acme-tfstate")
    key: str = setting("Object key of the state file, under the workspace prefix (no '/' at either "
                       "end, no '//').", "terraform.tfstate", pattern=r"[A-Za-z0-9!_.*'()/-]{1,512}")
    region: str | None = setting("Region of the bucket (default: the spec's region).", None,
                                 pattern=REGION_PATTERN)
    workspace_key_prefix: str | None = setting(
        "Key prefix of non-default workspaces' state (default: the project name; no '/' at either "
        "end).", None, pattern=r"[A-Za-z0-9!_.*'()/-]{1,256}")
    use_lockfile: bool = setting("Lock the state with an S3 lock file.", True)
    kms_key_id: str | None = setting(
        "KMS key ARN that encrypts the state object.", None,
        pattern=r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/(?:[a-f0-9]{8}(?:-[a-f0-9]{4}){3}-[a-f0-9]{12}"
                r"|mrk-[a-f0-9]{32})")


@dataclass(frozen=True)
class Spec:
    project: str = setting("Name prefix of every resource.", pattern=NAME, example="healthcare-app")
    region: str = setting("AWS region to deploy to.", pattern=REGION_PATTERN, example="us-west-2")
    owner: str = setting("Team that owns the platform (the Owner tag).",
                         pattern=r"[\w .:/=+@-]{1,128}", example="platform-team")
    environments: dict[str, Environment] = setting(
        "The environments, one Terraform workspace each.", key_pattern=NAME,
        key_hint="lowercase letters, digits and single hyphens, starting with a letter")
    app_port: int = setting("Port the app listens on behind the load balancer.", 8080,
                            minimum=1024, maximum=65535)
    health_check_path: str = setting("Path the load balancer polls on each app instance.",
                                     "/health", pattern=r"/[A-Za-z0-9._~/-]*")
    backend: Backend | None = setting("Where Terraform keeps its state (none: local state).", None)
    allow_unknown_region: bool = setting(
        "Accept a region (region, backend.region) that is not in tapgen's table of AWS regions, such as "
        "one newer than this tapgen; availability_zones is then not checked against the region.", False)


def spec_json_schema() -> dict:
    """JSON Schema of the spec file, for editors (``tapgen schema``)."""
    schema = json_schema(Spec)
    # Any environment key may come from `defaults`, so neither lists required keys.
    partial = json_schema(Environment, required=False)
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
        merged = {env: _with_defaults(env, located, defaults)
                  for env, located in environments.value.items()}
        top["environments"] = Located(merged, environments.line, environments.path)
    spec = builder.build(Spec, Located(top, root.line, root.path), handled_elsewhere=("defaults",))
    problems = builder.problems
    if not problems:
        problems = invariants.check(spec, _lines(root))
    if problems:
        raise SpecError(source, problems)
    return spec


def _with_defaults(env: str, located: Located, defaults: Located | None) -> Located:
    if not isinstance(located.value, dict):
        return located
    merged = _deep_merge(defaults, located) if defaults else located
    values = dict(merged.value)
    if "production" not in values:
        values["production"] = Located(env == "prod", located.line, located.child_path("production"))
    if "nat_gateways" not in values:
        per_az = values["production"].value is True
        values["nat_gateways"] = Located("per_az" if per_az else "single", located.line,
                                         located.child_path("nat_gateways"))
    return Located(values, merged.line, merged.path)


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
