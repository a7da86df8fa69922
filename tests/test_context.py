"""Spec -> template context: workspace lookups, resolved literals, and the decisions made here."""

from dataclasses import replace

import pytest

from generator import context
from generator.context import SettingExpressions, build_context, environment_settings
from generator.loader import load_spec

from .helpers import SPECS, STANDARD_SPEC

SETTINGS = {"dev": {"multi_az": False, "size": 1, "name": 'a"b'}, "prod": {"multi_az": True, "size": 3, "name": "p"}}


def test_workspace_settings_are_lookups():
    setting = SettingExpressions(SETTINGS, None)
    assert setting.size == "local.settings.size"
    assert setting.count_if("multi_az") == "local.settings.multi_az ? 1 : 0"


def test_resolved_settings_are_encoded_literals():
    setting = SettingExpressions(SETTINGS, "dev")
    assert (setting.size, setting.name, setting.multi_az) == ("1", '"a\\"b"', "false")
    assert setting.count_if("multi_az") == "0"
    assert SettingExpressions(SETTINGS, "prod").count_if("multi_az") == "1"


def test_an_unknown_setting_is_an_error_not_an_empty_string():
    with pytest.raises(AttributeError):
        SettingExpressions(SETTINGS, None).colour  # noqa: B018


def test_environment_settings_derive_nat_count_and_parameter_family():
    _, spec = load_spec(STANDARD_SPEC)
    dev, prod = (environment_settings(spec.environments[name]) for name in ("dev", "prod"))
    # Production has no internet egress by default, so no NAT gateway at all.
    assert (dev["internet_egress"], prod["internet_egress"]) == (True, False)
    assert (dev["nat_gateway_count"], prod["nat_gateway_count"]) == (1, 0)
    assert prod["db_parameter_group_family"] == "postgres16"


def test_an_explicit_nat_setting_beats_the_production_default():
    _, spec = load_spec(SPECS / "nat_override.yaml")
    counts = {name: environment_settings(env)["nat_gateway_count"] for name, env in spec.environments.items()}
    # production has internet egress by a waiver, and then the single NAT gateway it asks for.
    assert counts == {"qa": 3, "production": 1}


def test_what_private_access_costs_per_environment():
    _, spec = load_spec(SPECS / "private_access.yaml")
    rows = {row[0]: row[1:] for row in context.private_access_cost_rows(spec)}
    # dev: one NAT gateway, no interface endpoints; staging and prod: 8 endpoints in each zone, no NAT.
    assert rows["dev"] == ["yes", "1", "0", "$0.045", "$32.85"]
    assert rows["staging"] == ["no", "0", "16 (8 x 2 zones)", "$0.160", "$116.80"]
    assert rows["prod"] == ["no", "0", "24 (8 x 3 zones)", "$0.240", "$175.20"]


def test_a_minor_engine_version_keeps_its_major_family_and_is_upgraded_only_by_the_spec():
    _, spec = load_spec(SPECS / "engine_minor.yaml")
    settings = environment_settings(spec.environments["dev"])
    assert (settings["db_engine_version"], settings["db_parameter_group_family"]) == ("16.4", "postgres16")
    # RDS upgrading 16.4 would leave the spec planning a downgrade; a major alone follows RDS.
    assert settings["db_auto_minor_version_upgrade"] is False
    _, standard = load_spec(STANDARD_SPEC)
    assert environment_settings(standard.environments["prod"])["db_auto_minor_version_upgrade"] is True


def test_context_decides_subnet_blocks_backend_and_elb_principal():
    _, spec = load_spec(STANDARD_SPEC)
    context = build_context("standard.yaml", spec)
    assert context["subnet_tier_offset"] == {"public": 0, "app": 8, "database": 16}
    assert context["backend"] is None
    assert context["elb_account_principal"] is True  # us-west-2 predates August 2022
    newer = build_context("standard.yaml", replace(spec, region="mx-central-1"))
    assert newer["elb_account_principal"] is False
    assert context["waivers"] == {"dev": [], "staging": [], "prod": []}


def test_the_backend_keeps_its_own_region_and_key():
    _, spec = load_spec(SPECS / "backend.yaml")
    backend = build_context("backend.yaml", spec)["backend"]
    assert backend["region"] == "eu-central-1" and backend["region"] != spec.region
    assert backend["kms_key_id"] == spec.backend.kms_key_id
    assert (backend["key"], backend["workspace_key_prefix"], backend["encrypt"]) == (
        "platform/terraform.tfstate", "claims", True)
