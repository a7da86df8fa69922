"""Spec -> template context. Every decision about the output is made here, in Python (what
production implies is ``policy``'s, and this module applies it).

Templates receive plain values, which they place through the ``hcl`` filters, and
``setting``, whose attributes are HCL expressions for the per-environment settings:
the workspace lookup ``local.settings.<name>``, or in a resolved render one environment's
literal value (what a scanner that cannot evaluate ``terraform.workspace`` needs to see).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

from . import __version__, addresses
from .audit import METRIC_FILTERS
from .compliance import sections
from .hcl import hcl_key, hcl_literal, hcl_value
from .invariants import SUBNET_NEWBITS
from .policy import WAIVABLE_RULES, annotations, derived_settings, ledger_rows
from .recovery import objectives_table
from .regions import ELB_ACCOUNT_REGIONS
from .spec import DB_MASTER_USERNAME, Environment, Spec
from .views import markdown_table, settings_rows

COMPLIANCE = "HIPAA"
AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default"
SUBNET_TIERS = ("public", "app", "database")
# Every log type RDS for PostgreSQL exports to CloudWatch Logs (CreateDBInstance,
# EnableCloudwatchLogsExports: "postgresql | upgrade | iam-db-auth-error"; hashicorp/aws validates
# the names, internal/service/rds/consts.go); IAM database authentication is on, so its error log
# is exported too.
DB_LOG_EXPORTS = ("iam-db-auth-error", "postgresql", "upgrade")
# The log group map's keys (the app's group first), padded as terraform fmt aligns their "=".
_LOG_GROUP_KEYS = {purpose: hcl_key(purpose) for purpose in ("app", *DB_LOG_EXPORTS)}
LOG_GROUP_MAP_KEYS = {purpose: key.ljust(max(map(len, _LOG_GROUP_KEYS.values())))
                      for purpose, key in _LOG_GROUP_KEYS.items()}
# The AWS APIs instances reach through interface VPC endpoints: Session Manager (ssm, ssmmessages,
# ec2messages), the CloudWatch agent (logs, monitoring), and kms, secretsmanager, sts for the app.
INTERFACE_ENDPOINT_SERVICES = ("ec2messages", "kms", "logs", "monitoring", "secretsmanager", "ssm",
                               "ssmmessages", "sts")
# Hourly list prices in US dollars, before data processing: a NAT gateway (Amazon VPC pricing) and
# an interface endpoint in one zone (AWS PrivateLink pricing). The research behind them could not
# confirm the figures on AWS's own pages (third-party copies of us-east-1 prices); out/README.md
# says so. A gateway endpoint (S3) costs nothing.
NAT_GATEWAY_USD_PER_HOUR = 0.045
INTERFACE_ENDPOINT_USD_PER_HOUR = 0.01
HOURS_PER_MONTH = 730
# Target tracking's predefined metrics (EC2 Auto Scaling API, PredefinedMetricSpecification).
SCALING_METRICS = {"cpu": "ASGAverageCPUUtilization", "requests": "ALBRequestCountPerTarget"}
# aws_lb_target_group.name_prefix: 32 characters less the provider's 26-character unique suffix
# (internal/service/elbv2/validate.go, validTargetGroupNamePrefix).
TARGET_GROUP_PREFIX_CHARS = 6
# Days the state bucket keeps a state's previous versions: time to notice and roll back a bad apply.
NONCURRENT_STATE_DAYS = 90


def architecture(instance_type: str) -> str:
    """arm64 for Graviton families (t4g, m7g, c7gn, x2gd...), x86_64 for the rest."""
    family = instance_type.split(".")[0]
    return "arm64" if family == "a1" or re.fullmatch(r"[a-z]+[0-9]+g[a-z]*", family) else "x86_64"


def environment_settings(env: Environment, shared_by: Sequence[str] = ()) -> dict[str, object]:
    """The per-environment entries of the generated ``locals`` map, in display order.

    ``shared_by`` names the environments whose account this one's trail also records.
    """
    db, backup = env.database, env.backup
    return {
        "production": env.production,
        "account_id": env.account_id,
        "assume_role_arn": env.assume_role_arn,
        "vpc_cidr": env.vpc_cidr,
        "az_count": env.availability_zones,
        "internet_egress": env.internet_egress,
        "nat_gateway_count": nat_gateway_count(env),
        "interface_endpoints": env.interface_endpoints,
        "flow_logs_enabled": env.flow_logs,
        "log_retention_days": env.log_retention_days,
        "kms_deletion_window_days": env.kms_deletion_window_days,
        "instance_type": env.instance_type,
        # EC2 resolves the parameter at each launch, so Terraform's configuration never changes
        # when AWS publishes an image: a new image rolls the group only through the spec or an input.
        "image_id": env.ami_id or f"resolve:ssm:{AL2023_PARAMETER}-{architecture(env.instance_type)}",
        # Target group name prefixes are at most 6 characters (the provider adds 26).
        "target_group_name_prefix": env.name[:TARGET_GROUP_PREFIX_CHARS - 1] + "-",
        # The spec's user-data file; "" where it delivers none.
        "user_data": env.user_data_text,
        "asg_health_check_type": asg_health_check_type(env),
        "asg_min_size": env.autoscaling.min,
        "asg_max_size": env.autoscaling.max,
        "asg_desired_capacity": env.autoscaling.desired,
        "asg_scaling_metric": SCALING_METRICS[env.autoscaling.scale_on],
        "asg_scale_on_requests": env.autoscaling.scale_on == "requests",
        "asg_scaling_target": env.autoscaling.target,
        "db_engine_version": db.engine_version,
        # A pinned minor is the spec's to move: were RDS to upgrade it, the provider (which ignores
        # only a prefix's patch differences) would plan a downgrade that RDS refuses.
        "db_auto_minor_version_upgrade": not db.minor_pinned,
        "db_parameter_group_family": f"postgres{db.major_version}",
        "db_instance_class": db.instance_class,
        "db_pgaudit_log": db.pgaudit_log,
        "db_allocated_storage": db.allocated_storage_gb,
        "db_max_allocated_storage": db.max_allocated_storage_gb,
        "db_backup_retention_period": db.backup_retention_days,
        "db_multi_az": db.multi_az,
        "db_deletion_protection": db.deletion_protection,
        "audit_trail": env.audit.trail,
        "audit_trail_shared_by": list(shared_by),
        "audit_retention_days": env.audit.retention_days,
        "audit_object_lock_mode": env.audit.object_lock.upper(),
        "backup_schedule": backup.schedule,
        "backup_retention_days": backup.retention_days,
        "backup_dr_region": backup.dr_region,
        "backup_dr_copy": backup.dr_region is not None,
        "backup_dr_retention_days": backup.dr_retention_days,
        # Vault Lock is in compliance mode when it can be changed for a while (three days, the
        # least AWS Backup allows) and then never; in governance mode without it.
        "vault_lock_changeable_days": 3 if backup.vault_lock == "compliance" else None,
        "restore_testing": backup.restore_testing,
        "restore_testing_schedule": backup.restore_testing_schedule,
        **derived_settings(env),
    }


def nat_gateway_count(env: Environment) -> int:
    """NAT gateways exist only for internet egress: one per zone, or one the zones share."""
    if not env.internet_egress:
        return 0
    return env.availability_zones if env.nat_gateways == "per_az" else 1


def private_access_cost_rows(spec: Spec) -> list[list[str]]:
    """out/README.md's table: what each environment's NAT gateways and interface endpoints cost by
    the hour, at NAT_GATEWAY_USD_PER_HOUR and INTERFACE_ENDPOINT_USD_PER_HOUR."""
    rows = []
    for name, env in spec.environments.items():
        nat = nat_gateway_count(env)
        endpoints = len(INTERFACE_ENDPOINT_SERVICES) * env.availability_zones if env.interface_endpoints else 0
        hourly = nat * NAT_GATEWAY_USD_PER_HOUR + endpoints * INTERFACE_ENDPOINT_USD_PER_HOUR
        rows.append([name, "yes" if env.internet_egress else "no", str(nat),
                     f"{endpoints} ({len(INTERFACE_ENDPOINT_SERVICES)} x {env.availability_zones} zones)"
                     if endpoints else "0", f"${hourly:.3f}", f"${hourly * HOURS_PER_MONTH:.2f}"])
    return rows


def app_delivered(env: Environment) -> bool:
    """Whether anything answers the load balancer's health checks: the spec's user data, or an
    image that starts the app itself. Stock Amazon Linux serves nothing on app_port."""
    return env.user_data is not None or env.ami_serves_health_check


def asg_health_check_type(env: Environment) -> str:
    """ELB health checks once an app is delivered. Before that they would mark every instance
    unhealthy and replace it, forever, and no instance refresh would finish; EC2 checks let the
    group settle."""
    return "ELB" if app_delivered(env) else "EC2"


def app_delivery_rows(spec: Spec) -> list[list[str]]:
    """out/README.md's table: how each environment's app arrives, and the health checks that follow."""
    rows = []
    for name, env in spec.environments.items():
        if env.user_data is not None:
            how = f"user data from {env.user_data}"
        elif env.ami_serves_health_check:
            how = f"the pinned image {env.ami_id}"
        else:
            how = "nothing yet (stock Amazon Linux serves nothing on the app port)"
        rows.append([name, how, asg_health_check_type(env)])
    return rows


class SettingExpressions:
    """``setting.<name>``: the HCL expression of a per-environment setting.

    In workspace-keyed output that is ``local.settings.<name>``; in a render resolved for one
    environment it is that environment's value as an HCL literal. An unknown name is an error.
    """

    def __init__(self, settings: Mapping[str, Mapping[str, object]], resolved: str | None):
        self._keys = next(iter(settings.values())).keys()
        self._values = settings[resolved] if resolved else None

    def __getattr__(self, name: str) -> str:
        if name.startswith("_") or name not in self._keys:
            raise AttributeError(name)
        return f"local.settings.{name}" if self._values is None else hcl_literal(self._values[name])

    def count_if(self, name: str) -> str:
        """A ``count`` expression: one instance where the boolean setting is true, none elsewhere."""
        if self._values is None:
            return f"local.settings.{name} ? 1 : 0"
        return "1" if self._values[name] else "0"

    def list_of(self, name: str) -> str:
        """A list expression: the setting's value as the one element, or empty where it is null."""
        if self._values is None:
            return f"local.settings.{name} == null ? [] : [local.settings.{name}]"
        value = self._values[name]
        return hcl_value([] if value is None else [value])


def build_context(source: str, spec: Spec, resolved: str | None = None) -> dict[str, object]:
    """The template context for ``spec``; ``resolved`` names an environment to inline."""
    settings = {name: environment_settings(env, trail_shared_by(spec, name)) for name, env in spec.environments.items()}
    # The environments this output covers: what its scanner annotations must account for.
    covered = {resolved: spec.environments[resolved]} if resolved else spec.environments
    checkov_annotations, trivy_annotations = annotations(covered, keyed=resolved is None)
    slots = 2 ** SUBNET_NEWBITS // 4  # three tiers of a quarter each: the last quarter of the range stays free
    return {
        "source": source,
        "tapgen_version": __version__,
        "spec": spec,
        "resolved": resolved,
        "environment_settings": settings,
        "setting": SettingExpressions(settings, resolved),
        "waivers": {name: [f"Waived production rule {rule} ({WAIVABLE_RULES[rule]}): {reason}"
                           for rule, reason in env.waivers.items()]
                    for name, env in spec.environments.items()},
        "scanner_annotations": checkov_annotations,
        "audit_metric_filters": METRIC_FILTERS,
        "trivy_annotations": trivy_annotations,
        "compliance": COMPLIANCE,
        "db_master_username": DB_MASTER_USERNAME,
        "db_log_exports": DB_LOG_EXPORTS,
        "log_group_map_keys": LOG_GROUP_MAP_KEYS,
        "interface_endpoint_services": INTERFACE_ENDPOINT_SERVICES,
        "subnet_newbits": SUBNET_NEWBITS,
        "subnet_tier_offset": {tier: i * slots for i, tier in enumerate(SUBNET_TIERS)},
        "elb_account_principal": spec.region in ELB_ACCOUNT_REGIONS,
        "backend": _backend(spec),
        # A resolved copy is a scanner's: the state bucket's module is written only beside the stack.
        "bootstrap": None if resolved else _bootstrap(spec),
        "variable_rules": variable_rules(),
        "settings_table": markdown_table(*settings_rows(spec)),
        # Addresses earlier versions generated: moved and removed blocks keep their state.
        "moved": addresses.MOVED,
        "removed": addresses.REMOVED,
        "ledger_table": ledger_table(spec.environments),
        "private_access_table": markdown_table(
            ["environment", "internet egress", "NAT gateways", "interface endpoints (services x zones)",
             "per hour", f"per month ({HOURS_PER_MONTH} h)"], private_access_cost_rows(spec)),
        "nat_gateway_usd_per_hour": NAT_GATEWAY_USD_PER_HOUR,
        "interface_endpoint_usd_per_hour": INTERFACE_ENDPOINT_USD_PER_HOUR,
        "app_delivery_table": markdown_table(["environment", "app delivered by", "Auto Scaling health checks"],
                                             app_delivery_rows(spec)),
        "recovery_table": markdown_table(*objectives_table(covered, spec.project)),
        "safeguards": sections(covered),
    }


def trail_shared_by(spec: Spec, name: str) -> list[str]:
    """The other environments that ``name``'s trail records: those that share its account."""
    return [other for other, env in spec.environments.items() if env.audit.shared_trail == name]


LEDGER_HEADER = ["Checkov", "Trivy", "what the check asks", "environments", "why it does not apply, or is accepted",
                 "what compensates",
                 "where tapgen enforces production"]


def ledger_table(environments: Mapping[str, Environment]) -> str:
    """The skip ledger of output covering ``environments``, as a Markdown table."""
    return markdown_table(LEDGER_HEADER, ledger_rows(environments))


def _backend(spec: Spec) -> dict[str, object] | None:
    backend = spec.backend
    if backend is None:
        return None
    values = {
        "bucket": backend.bucket,
        "key": backend.key,
        "region": backend.region or spec.region,
        "workspace_key_prefix": backend.workspace_key_prefix or spec.project,
        "encrypt": True,
        "use_lockfile": backend.use_lockfile,
    }
    values["kms_key_id"] = backend.kms_key_id or state_key_alias(backend.bucket)
    return values


def state_key_alias(bucket: str) -> str:
    """The alias of the key the bootstrap module makes for the state. The S3 backend accepts an
    alias as kms_key_id (KMS resolves it in the caller's account), so the stack can name the key
    before it exists."""
    return f"alias/{bucket}-state"


def variable_rules() -> dict[str, object]:
    """The deploy-time inputs' validations that repeat a spec key's own rule (variables.tf): the
    same pattern or range, taken from the model, so the two cannot drift apart."""
    fields = {field.name: field.metadata for field in dataclasses.fields(Spec)}
    environment = {field.name: field.metadata for field in dataclasses.fields(Environment)}
    return {
        "aws_region": f"^(?:{fields['region']['pattern']})$",
        "health_check_path": f"^(?:{fields['health_check_path']['pattern']})$",
        "ami_id": f"^(?:{environment['ami_id']['pattern']})$",
        "app_port": (fields["app_port"]["minimum"], fields["app_port"]["maximum"]),
    }


def _bootstrap(spec: Spec) -> dict[str, object] | None:
    """The state bucket's module (rendered into bootstrap/), for a spec with a backend."""
    backend = spec.backend
    if backend is None:
        return None
    return {
        "bucket": backend.bucket,
        "region": backend.region or spec.region,
        # A key named in the spec is the platform's own; otherwise the module makes one.
        "create_key": backend.kms_key_id is None,
        "kms_key_id": backend.kms_key_id,
        "key_alias": state_key_alias(backend.bucket),
        "noncurrent_version_retention_days": NONCURRENT_STATE_DAYS,
    }
