"""Checkov skips exist only where an environment fails the check, and say why."""

from dataclasses import replace

from generator.skips import ENVIRONMENT_CHECKS, skip_reason
from generator.spec import load_spec

from .helpers import DEFAULT_SPEC

_, SPEC = load_spec(DEFAULT_SPEC)
ENVS = SPEC.environments


def test_non_production_environments_that_fail_are_named():
    assert skip_reason("CKV_AWS_157", ENVS) == (
        "no RDS Multi-AZ in dev, staging (not production); tapgen requires it in production")
    assert skip_reason("CKV2_AWS_11", ENVS).startswith("no VPC flow logs in dev (not production)")


def test_production_alone_needs_no_skip():
    for check in ENVIRONMENT_CHECKS:
        assert skip_reason(check, {"prod": ENVS["prod"]}) is None


def test_a_waived_production_rule_carries_its_reason():
    prod = ENVS["prod"]
    waived = replace(prod, database=replace(prod.database, multi_az=False),
                     waivers={"multi_az": "single-AZ until the Q3 budget"})
    assert skip_reason("CKV_AWS_157", {"prod": waived}) == "prod waives it: single-AZ until the Q3 budget"
