"""tapgen guard on real plans (tests/data/plans/, made with Terraform 1.15 by tools/plan_fixtures.py)."""

from __future__ import annotations

import json
import subprocess

import pytest

from .helpers import ROOT, run_cli

PLANS = ROOT / "tests" / "data" / "plans"


def guard(*args: str, input: str | bytes | None = None):
    return run_cli("guard", *args, input=input)


def test_a_replaced_database_is_refused_with_terraforms_reason():
    result = guard(str(PLANS / "replace_database.json"))
    assert result.exit_code == 1
    assert (f"{PLANS / 'replace_database.json'}: aws_db_instance.this: replaced (destroyed, then created) "
            "(Terraform's reason: replace_because_cannot_update; forced by kms_key_id) "
            "(or --allow aws_db_instance.this)") in result.stderr
    assert "make apply WORKSPACE=<workspace> ALLOW_REPLACE=aws_db_instance.this (" in result.stderr
    assert "Traceback" not in result.stderr


def test_allow_accepts_the_one_address():
    result = guard(str(PLANS / "replace_database.json"), "--allow", "aws_db_instance.this")
    assert result.exit_code == 0, result.stderr
    assert "allowed: aws_db_instance.this: replaced (destroyed, then created)" in result.stderr


def test_a_renamed_project_lists_every_stateful_replacement_and_a_resource_address_allows_its_instances():
    plan = str(PLANS / "rename_project.json")
    result = guard(plan)
    assert result.exit_code == 1
    refused = [line.split(": ")[1] for line in result.stderr.splitlines() if line.startswith(plan)]
    assert refused == ["aws_backup_vault.dr[0]", "aws_backup_vault.this", "aws_cloudwatch_log_group.audit",
                       'aws_cloudwatch_log_group.this["app"]', 'aws_cloudwatch_log_group.this["iam-db-auth-error"]',
                       'aws_cloudwatch_log_group.this["postgresql"]', 'aws_cloudwatch_log_group.this["upgrade"]',
                       'aws_cloudwatch_log_group.this["vpc_flow_logs"]', "aws_s3_bucket.alb_logs", "aws_s3_bucket.audit"]
    assert "forced by bucket" in result.stderr and "forced by name" in result.stderr
    assert "holds no data: aws_security_group.app: replaced" in result.stderr
    assert "holds no data: aws_db_parameter_group.this: replaced (created, then the old one destroyed)" in result.stderr
    partly = guard(plan, "--allow", "aws_s3_bucket.alb_logs", "--allow", 'aws_cloudwatch_log_group.this["app"]')
    assert partly.exit_code == 1 and 'aws_cloudwatch_log_group.this["upgrade"]' in partly.stderr
    everything = [arg for address in ("aws_s3_bucket.alb_logs", "aws_s3_bucket.audit", "aws_cloudwatch_log_group.this",
                                      "aws_cloudwatch_log_group.audit", "aws_backup_vault.this", "aws_backup_vault.dr")
                  for arg in ("--allow", address)]
    assert guard(plan, *everything).exit_code == 0


def pasted(command: str) -> list[str]:
    """The words a shell makes of ``command`` when it is pasted into it (bash does the quoting)."""
    done = subprocess.run(["bash", "-c", f"printf '%s\\0' {command}"], capture_output=True, text=True, check=True)
    return done.stdout.split("\0")[:-1]


def suggested(stderr: str) -> str:
    """The make command the refusal suggests, up to its closing note."""
    return stderr.split("To do this on purpose, ")[1].split(": ", 1)[1].split(" (tapgen guard")[0]


def test_the_suggested_allow_works_when_pasted_into_a_shell():
    """Instance keys carry quotes the shell would strip; the suggestion names resources, quoted."""
    plan = str(PLANS / "rename_project.json")
    command = suggested(guard(plan).stderr).replace("<workspace>", "prod")
    assert command == ("make apply WORKSPACE=prod ALLOW_REPLACE='aws_backup_vault.dr aws_backup_vault.this "
                       "aws_cloudwatch_log_group.audit aws_cloudwatch_log_group.this aws_s3_bucket.alb_logs "
                       "aws_s3_bucket.audit'")
    [value] = [word.removeprefix("ALLOW_REPLACE=") for word in pasted(command) if word.startswith("ALLOW_REPLACE=")]
    # make apply passes each word of ALLOW_REPLACE as --allow '<word>'
    assert guard(plan, *(arg for address in value.split() for arg in ("--allow", address))).exit_code == 0


def test_each_refused_instance_says_how_to_allow_it_in_words_a_shell_keeps():
    result = guard(str(PLANS / "rename_project.json"))
    hint = "(or --allow 'aws_cloudwatch_log_group.this[\"app\"]')"
    assert hint in result.stderr
    assert pasted(hint[1:-1]) == ["or", "--allow", 'aws_cloudwatch_log_group.this["app"]']


def with_deposed(plan: dict, address: str, type: str, name: str) -> dict:
    """``plan`` with a deposed object of ``address`` to delete, as a failed create_before_destroy leaves."""
    deposed = {"address": address, "mode": "managed", "type": type, "name": name, "deposed": "00000001",
               "provider_name": "registry.terraform.io/hashicorp/aws", "change": {"actions": ["delete"]}}
    return {**plan, "resource_changes": [*plan["resource_changes"], deposed]}


def test_a_deposed_object_is_refused_and_its_resource_address_allows_it(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(with_deposed(json.loads((PLANS / "update.json").read_text()), "aws_kms_key.data",
                                            "aws_kms_key", "data")))
    refused = guard(str(path))
    assert refused.exit_code == 1
    assert (f"{path}: aws_kms_key.data (deposed object 00000001): destroyed (or --allow aws_kms_key.data)"
            in refused.stderr)
    assert "ALLOW_REPLACE=aws_kms_key.data " in refused.stderr
    allowed = guard(str(path), "--allow", "aws_kms_key.data")
    assert allowed.exit_code == 0, allowed.stderr
    assert "allowed: aws_kms_key.data (deposed object 00000001): destroyed" in allowed.stderr
    assert "matches nothing" not in allowed.stderr


def test_a_destroyed_log_group_is_refused_and_stateless_deletions_are_listed():
    result = guard(str(PLANS / "delete.json"))
    assert result.exit_code == 1
    assert ('aws_cloudwatch_log_group.this["vpc_flow_logs"]: destroyed (Terraform\'s reason: '
            "delete_because_each_key)") in result.stderr
    assert ("holds no data: aws_iam_role.flow_logs[0]: destroyed (Terraform's reason: "
            "delete_because_count_index)") in result.stderr


def test_an_update_in_place_passes():
    result = guard(str(PLANS / "update.json"))
    assert result.exit_code == 0
    assert result.stderr.strip() == "tapgen guard: the plan destroys no resource that holds data."


def test_a_security_group_created_before_destroy_holds_no_data_and_passes():
    result = guard(str(PLANS / "sg_create_before_destroy.json"))
    assert result.exit_code == 0, result.stderr
    assert ("holds no data: aws_security_group.app: replaced (created, then the old one destroyed) "
            "(Terraform's reason: replace_because_cannot_update; forced by description)") in result.stderr


def test_standard_input_is_read_with_a_dash():
    result = guard("-", input=(PLANS / "replace_database.json").read_bytes())
    assert result.exit_code == 1 and "<stdin>: aws_db_instance.this: replaced" in result.stderr


def test_list_only_lists_what_a_destroy_loses():
    result = guard("--list", str(PLANS / "delete.json"))
    assert result.exit_code == 0
    assert result.stderr.startswith("The plan destroys 1 resource(s) that hold data:\n"
                                    '  aws_cloudwatch_log_group.this["vpc_flow_logs"]: destroyed')


def test_an_allow_that_matches_nothing_is_noted():
    result = guard(str(PLANS / "update.json"), "--allow", "aws_db_instance.thsi")
    assert result.exit_code == 0
    assert "note: --allow aws_db_instance.thsi matches nothing the plan deletes" in result.stderr


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"),
    (b"not json", "is not JSON (Expecting value at line 1)"),
    (b"\xff\xfe\x00", "is not text (not UTF-8)"),
    (b"[1, 2]", "is JSON but not a Terraform plan (it has no format_version)"),
    (json.dumps({"format_version": "1.0", "terraform_version": "1.15.5", "values": {}}).encode(),
     "is a Terraform state, not a plan (it has no planned_values or resource_changes)"),
    (json.dumps({"format_version": "2.0", "resource_changes": []}).encode(),
     "uses plan format 2.0; this tapgen reads 1.x"),
])
def test_anything_but_a_plan_exits_2_with_one_line(tmp_path, content, message):
    path = tmp_path / "plan.json"
    path.write_bytes(content)
    result = guard(str(path))
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"{path}: {message}")
    assert "terraform show -json" in line or "Terraform 1.x" in line


DATABASE = {"address": "aws_db_instance.this", "mode": "managed", "type": "aws_db_instance", "name": "this",
            "change": {"actions": ["delete", "create"], "replace_paths": [["kms_key_id"]]}}


def plan_with(**change: object) -> bytes:
    """A one-change plan: the database's replacement, with ``change`` merged into it (None drops a key)."""
    entry = {**DATABASE, **change}
    return json.dumps({"format_version": "1.2", "resource_changes": [
        {key: value for key, value in entry.items() if value is not None}]}).encode()


def test_the_shape_the_malformed_plans_start_from_is_a_plan_and_refused(tmp_path):
    path = tmp_path / "plan.json"
    path.write_bytes(plan_with())
    assert guard(str(path)).exit_code == 1
    path.write_bytes(plan_with(change={"actions": ["forget"]}))  # a removed block: left in AWS
    assert guard(str(path)).exit_code == 0


@pytest.mark.parametrize(("content", "message"), [
    (plan_with(change={"actions": "delete"}), 'change.actions "delete", which is none of Terraform\'s'),
    (plan_with(change={"actions": ["delete", {}]}), "change.actions [\"delete\", {}], which is none of Terraform's"),
    (plan_with(change={"actions": ["destroy"]}), 'change.actions ["destroy"], which is none of Terraform\'s'),
    (plan_with(change={}), "change.actions null, which is none of Terraform's"),
    (plan_with(change={"actions": ["delete"], "replace_paths": 5}), "change.replace_paths 5, which is not a list"),
    (plan_with(change={"actions": ["delete"], "replace_paths": [[True]]}), "change.replace_paths [[true]]"),
    (plan_with(change={"actions": ["delete"], "replace_paths": [[]]}), "change.replace_paths [[]]"),
    (plan_with(change=[]), "has no change object"),
    (plan_with(mode=None), 'has a mode that is neither "managed" nor "data"'),
    (plan_with(type=7), "has no type string"),
    (plan_with(deposed=1), "has a deposed that is not a string"),
    (plan_with(index=[0]), "has an index that is neither a number nor a string"),
    (json.dumps({"format_version": "1.2", "resource_changes": [1]}).encode(), "resource_changes[0] is not an object"),
    (json.dumps({"format_version": 1.2, "resource_changes": []}).encode(), "has a format_version that is not a string"),
    (b'{"format_version": "1.2", "resource_changes": [], "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
     "is JSON nested too deeply to be a Terraform plan"),
    (b'{"format_version": "1.2", "resource_changes": [], "x": ' + b"9" * 5000 + b"}", "is not JSON tapgen can read"),
])
def test_a_plan_in_any_other_shape_exits_2_with_one_line(tmp_path, content, message):
    """Never a crash (exit 3) and never a pass: a guard that cannot read the plan vouches for nothing."""
    path = tmp_path / "plan.json"
    path.write_bytes(content)
    result = guard(str(path))
    assert result.exit_code == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"{path}: ") and message in line, line
    assert "terraform show -json" in line


def test_a_missing_file_exits_2(tmp_path):
    result = guard(str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{tmp_path / 'nope.json'}: cannot be read: No such file or directory"


def test_an_address_or_allow_with_a_line_break_never_prints_a_line_of_its_own():
    plan = json.loads((PLANS / "replace_database.json").read_text())
    forged = "\ntapgen guard: the plan destroys no resource that holds data."
    for change in plan["resource_changes"]:
        if change["address"] == "aws_db_instance.this":
            change["address"] += forged
    result = guard("-", "--allow", "x" + forged, input=json.dumps(plan))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert not any(line.startswith("tapgen guard: the plan destroys no") for line in lines), result.stderr
    assert "aws_db_instance.this\\ntapgen guard" in result.stderr
