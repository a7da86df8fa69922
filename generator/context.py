"""Spec -> template context. Every decision about the output is made here, in Python.

Templates receive plain values (encoded by the ``hcl`` filter as they are placed)
and an ``env`` object that yields, for each per-environment setting, either the
workspace lookup ``local.env.<name>`` or, in a resolved render, the literal
value of one environment (what a scanner that cannot evaluate
``terraform.workspace`` needs to see).
"""

from __future__ import annotations

from collections.abc import Mapping

from .hcl import hcl_value
from .invariants import SUBNET_NEWBITS
from .spec import Environment, Spec

COMPLIANCE = "HIPAA"


def environment_settings(env: Environment) -> dict[str, object]:
    """The per-environment entries of the generated ``locals`` map, in display order."""
    db = env.database
    return {
        "production": env.production,
        "vpc_cidr": env.vpc_cidr,
        "az_count": env.availability_zones,
        "nat_gateway_count": env.availability_zones if env.nat_gateways == "per_az" else 1,
        "flow_logs_enabled": env.flow_logs,
        "log_retention_days": env.log_retention_days,
        "kms_deletion_window_days": env.kms_deletion_window_days,
        "instance_type": env.instance_type,
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
    }


class EnvSettings:
    """Template access to per-environment settings: a lookup, or one environment's literals."""

    def __init__(self, settings: Mapping[str, Mapping[str, object]], resolved: str | None):
        self._keys = next(iter(settings.values())).keys()
        self._values = settings[resolved] if resolved else None

    def __getattr__(self, name: str) -> str:
        if name.startswith("_") or name not in self._keys:
            raise AttributeError(name)
        return f"local.env.{name}" if self._values is None else hcl_value(self._values[name])

    def count_if(self, name: str) -> str:
        """A ``count`` that creates the resource only where the boolean setting is on."""
        if self._values is None:
            return f"local.env.{name} ? 1 : 0"
        return "1" if self._values[name] else "0"

    def negated(self, name: str) -> str:
        return f"!local.env.{name}" if self._values is None else hcl_value(not self._values[name])


def build_context(source: str, spec: Spec, resolved: str | None = None) -> dict[str, object]:
    """The template context for ``spec``; ``resolved`` names an environment to inline."""
    settings = {name: environment_settings(env) for name, env in spec.environments.items()}
    return {
        "source": source,
        "spec": spec,
        "resolved": resolved,
        "settings": settings,
        "env": EnvSettings(settings, resolved),
        "workspace": hcl_value(resolved) if resolved else "terraform.workspace",
        "compliance": COMPLIANCE,
        "subnet_newbits": SUBNET_NEWBITS,
    }
