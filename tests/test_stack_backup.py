"""Backup, disaster recovery and destroy safety, read back with python-hcl2 per environment: the
default spec (standard), a spec that waives the second region and locks in compliance mode
(shared_account) and one with restore tests outside production (new_region)."""

from __future__ import annotations

import re

import pytest

from generator.loader import load_spec
from generator.spec import NAME

from .helpers import SPECS
from .test_stack import one, resource, resources
from .test_stack_audit import policy_document, resolved, workspace

CASES = {"standard": ("dev", "staging", "prod"), "shared_account": ("dev", "qa", "prod"),
         "new_region": ("staging", "prod")}
ALL = [(case, env) for case, envs in CASES.items() for env in envs]


def environment(case: str, name: str):
    _, spec = load_spec(SPECS / f"{case}.yaml")
    return spec.environments[name]


@pytest.mark.parametrize(("case", "name"), ALL)
def test_every_environment_backs_up_its_database_on_the_spec_schedule(case, name):
    env, stack = environment(case, name), resolved(case, name)
    vault = resource(stack, "aws_backup_vault", "this")
    assert vault["kms_key_arn"] == "${aws_kms_key.backup.arn}"
    assert vault["force_destroy"] is (not env.production)
    rule = one(resource(stack, "aws_backup_plan", "this"), "rule")
    assert (rule["schedule"], rule["schedule_expression_timezone"]) == (env.backup.schedule, "Etc/UTC")
    assert rule["target_vault_name"] == "${aws_backup_vault.this.name}"
    assert one(rule, "lifecycle")["delete_after"] == env.backup.retention_days
    selection = resource(stack, "aws_backup_selection", "database")
    assert selection["resources"] == ["${aws_db_instance.this.arn}"]
    assert (selection["plan_id"], selection["iam_role_arn"]) == ("${aws_backup_plan.this.id}", "${aws_iam_role.backup.arn}")


def test_retention_defaults_are_7_14_35_and_the_spec_can_change_schedule_and_retention():
    rules = {name: one(resource(resolved("standard", name), "aws_backup_plan", "this"), "rule")
             for name in CASES["standard"]}
    assert [one(rule, "lifecycle")["delete_after"] for rule in rules.values()] == [7, 14, 35]
    prod = one(resource(resolved("new_region", "prod"), "aws_backup_plan", "this"), "rule")
    assert prod["schedule"] == "cron(30 7 * * ? *)"


def test_the_backup_role_is_assumed_by_aws_backup_with_the_managed_backup_and_restore_policies():
    stack = workspace("standard")
    assume = one(policy_document(stack, "backup_assume"), "statement")
    assert one(assume, "principals")["identifiers"] == ["backup.amazonaws.com"]
    attachment = resource(stack, "aws_iam_role_policy_attachment", "backup")
    assert attachment["for_each"] == {
        "backups": "arn:${local.partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "restores": "arn:${local.partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"}
    assert attachment["role"] == "${aws_iam_role.backup.name}"


@pytest.mark.parametrize(("case", "name"), ALL)
def test_production_vaults_are_locked_in_the_spec_mode(case, name):
    env, stack = environment(case, name), resolved(case, name)
    lock = resource(stack, "aws_backup_vault_lock_configuration", "this")
    assert lock["count"] == int(env.production)
    assert lock["min_retention_days"] == env.backup.retention_days
    # Compliance mode is the lock with a grace period (three days, AWS Backup's least).
    assert lock["changeable_for_days"] == (3 if env.backup.vault_lock == "compliance" else None)
    assert environment("shared_account", "prod").backup.vault_lock == "compliance"


def test_the_dr_provider_follows_the_workspace_and_falls_back_to_the_stack_region():
    providers = workspace("standard").documents["provider.tf"]["provider"]
    [dr] = [p["aws"] for p in providers if p["aws"].get("alias") == "dr"]
    assert dr["region"] == "${coalesce(local.settings.backup_dr_region, var.aws_region)}"
    assert one(dr, "default_tags")["tags"] == "${local.tags}"
    for name, region in {"dev": "${coalesce(null, var.aws_region)}", "prod": '${coalesce("us-east-2", var.aws_region)}'}.items():
        [resolved_dr] = [p["aws"] for p in resolved("standard", name).documents["provider.tf"]["provider"]
                         if p["aws"].get("alias") == "dr"]
        assert resolved_dr["region"] == region


@pytest.mark.parametrize(("case", "name"), ALL)
def test_copies_go_to_a_vault_in_the_dr_region_under_its_own_key(case, name):
    env, stack = environment(case, name), resolved(case, name)
    copies = int(env.backup.dr_region is not None)
    dr_blocks = {labels: resource(stack, *labels) for labels in [
        ("aws_kms_key", "backup_dr"), ("aws_kms_alias", "backup_dr"), ("aws_backup_vault", "dr")]}
    for labels, block in dr_blocks.items():
        assert (block["provider"], block["count"]) == ("${aws.dr}", copies), labels
    assert dr_blocks[("aws_backup_vault", "dr")]["kms_key_arn"] == "${aws_kms_key.backup_dr[0].arn}"
    dr_lock = resource(stack, "aws_backup_vault_lock_configuration", "dr")
    assert (dr_lock["provider"], dr_lock["count"]) == ("${aws.dr}", int(copies and env.production))
    assert dr_lock["min_retention_days"] == env.backup.dr_retention_days
    [copy] = one(resource(stack, "aws_backup_plan", "this"), "rule")["dynamic"]
    assert copy["copy_action"]["for_each"] == "${aws_backup_vault.dr}"
    content = one(copy["copy_action"], "content")
    assert content["destination_vault_arn"] == "${copy_action.value.arn}"
    assert one(content, "lifecycle")["delete_after"] == env.backup.dr_retention_days


def test_which_environments_copy_where():
    copies = {(case, name): environment(case, name).backup.dr_region for case, name in ALL}
    assert {key: region for key, region in copies.items() if region} == {
        ("standard", "prod"): "us-east-2", ("new_region", "prod"): "us-east-1"}
    assert environment("shared_account", "prod").waivers.keys() == {"dr_region"}


@pytest.mark.parametrize(("case", "name"), ALL)
def test_restore_tests_restore_the_latest_snapshot_as_privately_as_the_database(case, name):
    env, stack = environment(case, name), resolved(case, name)
    plan = resource(stack, "aws_backup_restore_testing_plan", "this")
    selection = resource(stack, "aws_backup_restore_testing_selection", "database")
    assert plan["count"] == selection["count"] == int(env.backup.restore_testing)
    assert plan["schedule_expression"] == env.backup.restore_testing_schedule
    point = one(plan, "recovery_point_selection")
    assert (point["algorithm"], point["include_vaults"], point["recovery_point_types"]) == (
        "LATEST_WITHIN_WINDOW", ["${aws_backup_vault.this.arn}"], ["SNAPSHOT"])
    assert (selection["protected_resource_type"], selection["protected_resource_arns"]) == (
        "RDS", ["${aws_db_instance.this.arn}"])
    assert selection["iam_role_arn"] == "${aws_iam_role.backup.arn}"
    assert selection["restore_metadata_overrides"] == {
        "dbSubnetGroupName": "${aws_db_subnet_group.this.name}",
        "vpcSecurityGroupIds": "${jsonencode([aws_security_group.db.id])}",
        "dbParameterGroupName": "${aws_db_parameter_group.this.name}",
        "publiclyAccessible": "false"}


def test_restore_test_names_fit_what_aws_backup_allows_for_any_project_and_environment():
    plan = resource(workspace("standard"), "aws_backup_restore_testing_plan", "this")
    assert plan["name"] == '${replace(local.name_prefix, "-", "_")}_restore_tests'
    assert resource(workspace("standard"), "aws_backup_restore_testing_selection", "database")["name"] == "database"
    # name_prefix is <project>-<environment>, NAME-shaped and at most 24 characters (invariants).
    longest = "a-b" + "-c" * 10 + "d"
    assert re.fullmatch(NAME, longest) and len(longest) == 24
    for prefix in ("healthcare-app-prod", longest):
        name = prefix.replace("-", "_") + "_restore_tests"
        assert re.fullmatch(r"[0-9A-Za-z_]{1,50}", name), name


def test_restore_tests_run_where_the_spec_turns_them_on():
    counts = {key: resource(resolved(*key), "aws_backup_restore_testing_plan", "this")["count"] for key in ALL}
    assert [key for key, count in counts.items() if count] == [
        ("standard", "prod"), ("shared_account", "prod"), ("new_region", "staging"), ("new_region", "prod")]


# -- destroy safety -------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "name"), ALL)
def test_a_destroy_guard_exists_in_production_only(case, name):
    guard = resource(resolved(case, name), "terraform_data", "destroy_guard")
    assert guard["count"] == int(environment(case, name).production)
    # A literal: Terraform decodes lifecycle arguments without an evaluation context.
    assert one(guard, "lifecycle")["prevent_destroy"] is True


@pytest.mark.parametrize("case", list(CASES))
def test_the_guard_is_replaced_with_any_key_vault_audit_bucket_or_the_database(case):
    stack = workspace(case)
    guarded = {re.sub(r"\[\*\]\.arn|\.arn", "", item.strip("${}"))
               for item in resource(stack, "terraform_data", "destroy_guard")["triggers_replace"]}
    protected = {f"aws_kms_key.{name}" for name in resources(stack, "aws_kms_key")}
    protected |= {f"aws_backup_vault.{name}" for name in resources(stack, "aws_backup_vault")}
    protected |= {"aws_s3_bucket.audit", "aws_db_instance.this"}
    assert guarded == protected


@pytest.mark.parametrize(("case", "name"), ALL)
def test_production_log_groups_survive_a_destroy_and_cannot_be_deleted(case, name):
    production = environment(case, name).production
    for labels in (("aws_cloudwatch_log_group", "this"), ("aws_cloudwatch_log_group", "audit")):
        group = resource(resolved(case, name), *labels)
        assert group["skip_destroy"] is production and group["deletion_protection_enabled"] is production


def test_production_keys_wait_the_longest_window_before_deletion():
    for case, name in ALL:
        env = environment(case, name)
        if env.production:
            key = resource(resolved(case, name), "aws_kms_key", "data")
            assert key["deletion_window_in_days"] == 30 == env.kms_deletion_window_days

