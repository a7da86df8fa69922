"""Checkov checks whose outcome differs per environment, and the inline skip each one needs.

A setting that is the same in every environment is a literal in the HCL, so the scanner sees
it; only these settings vary. Their skips are rendered where an environment actually fails
the check: in ``out/`` when any environment does, in a resolved copy only when that one does.
Production environments never fail them unless the spec waives the rule, with a reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .invariants import MIN_PRODUCTION_LOG_DAYS
from .spec import Environment


@dataclass(frozen=True)
class EnvironmentCheck:
    check: str
    setting: str
    fails: Callable[[Environment], bool]
    waiver: str | None  # the production invariant that enforces the setting, if any


ENVIRONMENT_CHECKS = {
    c.check: c
    for c in (
        EnvironmentCheck("CKV2_AWS_11", "VPC flow logs", lambda e: not e.flow_logs, "flow_logs"),
        EnvironmentCheck("CKV_AWS_157", "RDS Multi-AZ", lambda e: not e.database.multi_az, "multi_az"),
        EnvironmentCheck("CKV_AWS_293", "RDS deletion protection",
                         lambda e: not e.database.deletion_protection, "deletion_protection"),
        EnvironmentCheck("CKV_AWS_150", "ALB deletion protection", lambda e: not e.production, None),
        EnvironmentCheck("CKV_AWS_338", f"{MIN_PRODUCTION_LOG_DAYS}+ days of log retention",
                         lambda e: e.log_retention_days < MIN_PRODUCTION_LOG_DAYS, "log_retention"),
    )
}


def skip_reason(check: str, environments: Mapping[str, Environment]) -> str | None:
    """Why ``check`` is skipped for these environments, or None if none of them fails it."""
    rule = ENVIRONMENT_CHECKS[check]
    failing = {name: env for name, env in environments.items() if rule.fails(env)}
    if not failing:
        return None
    others = [name for name, env in failing.items() if not env.production]
    parts = []
    if others:
        enforced = "tapgen requires it in production" if rule.waiver else "it is on in production"
        parts.append(f"no {rule.setting} in {', '.join(others)} (not production); {enforced}")
    for name, env in failing.items():
        if env.production:
            parts.append(f"{name} waives it: {env.waivers[rule.waiver]}")
    return "; ".join(parts)
