"""Spec -> template context: workspace lookups, resolved literals, and the decisions made here."""

from dataclasses import replace

import pytest

from generator.context import EnvSettings, build_context, environment_settings
from generator.spec import load_spec

from .helpers import DEFAULT_SPEC

SETTINGS = {"dev": {"multi_az": False, "size": 1, "name": 'a"b'}, "prod": {"multi_az": True, "size": 3, "name": "p"}}


def test_workspace_settings_are_lookups():
    env = EnvSettings(SETTINGS, None)
    assert env.size == "local.env.size"
    assert env.count_if("multi_az") == "local.env.multi_az ? 1 : 0"
    assert env.negated("multi_az") == "!local.env.multi_az"


def test_resolved_settings_are_encoded_literals():
    env = EnvSettings(SETTINGS, "dev")
    assert (env.size, env.name, env.multi_az) == ("1", '"a\\"b"', "false")
    assert (env.count_if("multi_az"), env.negated("multi_az")) == ("0", "true")
    assert EnvSettings(SETTINGS, "prod").count_if("multi_az") == "1"


def test_an_unknown_setting_is_an_error_not_an_empty_string():
    with pytest.raises(AttributeError):
        EnvSettings(SETTINGS, None).colour  # noqa: B018


def test_environment_settings_derive_nat_count_and_parameter_family():
    _, spec = load_spec(DEFAULT_SPEC)
    dev, prod = (environment_settings(spec.environments[name]) for name in ("dev", "prod"))
    assert (dev["nat_gateway_count"], prod["nat_gateway_count"]) == (1, 3)
    assert prod["db_parameter_group_family"] == "postgres16"


def test_context_decides_subnet_blocks_backend_and_elb_principal():
    _, spec = load_spec(DEFAULT_SPEC)
    context = build_context("environments.yaml", spec)
    assert context["subnet_tier_offset"] == {"public": 0, "app": 8, "database": 16}
    assert context["backend"] is None
    assert context["elb_account_principal"] is True  # us-west-2 predates August 2022
    newer = build_context("environments.yaml", replace(spec, region="mx-central-1"))
    assert newer["elb_account_principal"] is False
    assert context["waivers"] == {"dev": [], "staging": [], "prod": []}
