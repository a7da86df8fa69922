"""Checkov checks whose outcome differs per environment, and the inline skip each one needs.

A setting that is the same in every environment is a literal in the HCL, so the scanner sees
it; only these settings vary. Their skips are rendered where an environment actually fails
the check: in ``out/`` when any environment does, in a resolved copy only when that one does.
Production environments never fail them unless the spec waives the rule, with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .invariants import MIN_PRODUCTION_LOG_DAYS, PRODUCTION_RULES
from .spec import Environment


@dataclass(frozen=True)
class EnvironmentCheck:
    check: str
    setting: str
    rule: str | None  # the production rule that enforces the setting; None: it follows `production`

    def fails(self, env: Environment) -> bool:
        return not (PRODUCTION_RULES[self.rule].met(env) if self.rule else env.production)


ENVIRONMENT_CHECKS = {
    c.check: c
    for c in (
        EnvironmentCheck("CKV2_AWS_11", "VPC flow logs", "flow_logs"),
        EnvironmentCheck("CKV_AWS_157", "RDS Multi-AZ", "multi_az"),
        EnvironmentCheck("CKV_AWS_293", "RDS deletion protection", "deletion_protection"),
        EnvironmentCheck("CKV_AWS_150", "ALB deletion protection", None),
        EnvironmentCheck("CKV_AWS_338", f"{MIN_PRODUCTION_LOG_DAYS}+ days of log retention", "log_retention"),
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
        enforced = "tapgen requires it in production" if rule.rule else "it is on in production"
        parts.append(f"no {rule.setting} in {', '.join(others)} (not production); {enforced}")
    for name, env in failing.items():
        if env.production:
            parts.append(f"{name} waives it: {env.waivers[rule.rule]}")
    return "; ".join(parts)
