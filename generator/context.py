"""Spec -> template context. Every decision about the output is made here, in Python (what
production implies is ``policy``'s, and this module applies it).

Templates receive plain values, which they place through the ``hcl`` filters, and
``setting``, whose attributes are HCL expressions for the per-environment settings:
the workspace lookup ``local.settings.<name>``, or in a resolved render one environment's
literal value (what a scanner that cannot evaluate ``terraform.workspace`` needs to see).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .audit import METRIC_FILTERS
from .compliance import sections
from .hcl import hcl_value
from .invariants import SUBNET_NEWBITS
from .policy import PRODUCTION_RULES, derived_settings, ledger_rows, scanner_annotations
from .recovery import objectives_table
from .spec import Environment, Spec
from .views import markdown_table, settings_rows

COMPLIANCE = "HIPAA"
AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default"
SUBNET_TIERS = ("public", "app", "database")
# Regions that deliver ALB access logs as a regional ELB account (those opened before August
# 2022); newer regions accept only the logdelivery.elasticloadbalancing.amazonaws.com principal.
ELB_ACCOUNT_REGIONS = frozenset({
    "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-southeast-1", "ap-southeast-2", "ca-central-1", "cn-north-1", "cn-northwest-1",
    "eu-central-1", "eu-north-1", "eu-south-1", "eu-west-1", "eu-west-2", "eu-west-3", "me-south-1",
    "sa-east-1", "us-east-1", "us-east-2", "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
})


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
        "vpc_cidr": env.vpc_cidr,
        "az_count": env.availability_zones,
        "nat_gateway_count": env.availability_zones if env.nat_gateways == "per_az" else 1,
        "flow_logs_enabled": env.flow_logs,
        "log_retention_days": env.log_retention_days,
        "kms_deletion_window_days": env.kms_deletion_window_days,
        "instance_type": env.instance_type,
        "ami_ssm_parameter": f"{AL2023_PARAMETER}-{architecture(env.instance_type)}",
        "asg_min_size": env.autoscaling.min,
        "asg_max_size": env.autoscaling.max,
        "asg_desired_capacity": env.autoscaling.desired,
        "db_engine_version": db.engine_version,
        "db_parameter_group_family": f"postgres{db.major_version}",
        "db_instance_class": db.instance_class,
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
        return f"local.settings.{name}" if self._values is None else hcl_value(self._values[name])

    def count_if(self, name: str) -> str:
        """A ``count`` expression: one instance where the boolean setting is true, none elsewhere."""
        if self._values is None:
            return f"local.settings.{name} ? 1 : 0"
        return "1" if self._values[name] else "0"


def build_context(source: str, spec: Spec, resolved: str | None = None) -> dict[str, object]:
    """The template context for ``spec``; ``resolved`` names an environment to inline."""
    settings = {name: environment_settings(env, trail_shared_by(spec, name)) for name, env in spec.environments.items()}
    # The environments this output covers: what its scanner annotations must account for.
    covered = {resolved: spec.environments[resolved]} if resolved else spec.environments
    slots = 2 ** SUBNET_NEWBITS // 4  # each tier's block leaves a quarter of the range free
    return {
        "source": source,
        "spec": spec,
        "resolved": resolved,
        "environment_settings": settings,
        "setting": SettingExpressions(settings, resolved),
        "waivers": {name: [f"Waived production rule {rule} ({PRODUCTION_RULES[rule].requires}): {reason}"
                           for rule, reason in env.waivers.items()]
                    for name, env in spec.environments.items()},
        "scanner_annotations": scanner_annotations(covered),
        "audit_metric_filters": METRIC_FILTERS,
        "compliance": COMPLIANCE,
        "subnet_newbits": SUBNET_NEWBITS,
        "subnet_tier_offset": {tier: i * slots for i, tier in enumerate(SUBNET_TIERS)},
        "elb_account_principal": spec.region in ELB_ACCOUNT_REGIONS,
        "backend": _backend(spec),
        "settings_table": markdown_table(*settings_rows(spec)),
        "ledger_table": ledger_table(spec.environments),
        "recovery_table": markdown_table(*objectives_table(covered, spec.project)),
        "safeguards": sections(covered),
    }


def trail_shared_by(spec: Spec, name: str) -> list[str]:
    """The other environments that ``name``'s trail records: those that share its account."""
    return [other for other, env in spec.environments.items() if env.audit.shared_trail == name]


LEDGER_HEADER = ["check", "environments", "why it does not apply, or is accepted", "what compensates",
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
    if backend.kms_key_id:
        values["kms_key_id"] = backend.kms_key_id
    return values
