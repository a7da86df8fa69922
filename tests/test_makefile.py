"""The Makefile's Terraform workflow, with a recording script standing in for terraform.

A recorder is the only test double in the suite: real providers cannot be
downloaded here, and what matters is which Terraform calls are made, in order.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .helpers import ROOT, SPECS, TAPGEN

# `show -json` prints the plan in TF_SHOW_JSON: a real plan from tests/data/plans/.
RECORDER = """#!/bin/sh
echo "$(basename "$PWD") $*" >> "$TF_LOG_FILE"
case " $* " in *" show -json "*) cat "$TF_SHOW_JSON" ;; esac
"""
PLANS = ROOT / "tests" / "data" / "plans"


@pytest.fixture
def make(tmp_path: Path):
    """Run make in the repository, with tapgen from this interpreter and terraform recorded."""
    if shutil.which("make") is None or not TAPGEN.exists():
        pytest.skip("needs make and the installed tapgen console script")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "tapgen").symlink_to(TAPGEN)
    (venv / ".installed").touch()  # newer than pyproject.toml, so make installs nothing
    recorder = tmp_path / "terraform"
    recorder.write_text(RECORDER)
    recorder.chmod(0o755)
    log = tmp_path / "calls.log"

    def run(*args: str, input: str | None = None, plan: str = "update.json") -> tuple[subprocess.CompletedProcess, list[str]]:
        done = subprocess.run(
            # Later assignments win, so a test's own TERRAFORM=... overrides the recorder.
            ["make", "--no-print-directory", f"VENV={venv}", f"OUT={tmp_path / 'out'}",
             f"TERRAFORM={recorder}", *args],
            cwd=ROOT, capture_output=True, text=True, input=input,
            env={**os.environ, "TF_LOG_FILE": str(log), "TF_SHOW_JSON": str(PLANS / plan)},
        )
        calls = log.read_text().splitlines() if log.exists() else []
        return done, calls

    return run


def test_plan_needs_a_known_workspace_before_any_terraform_call(make):
    for args in (["plan"], ["plan", "WORKSPACE=nope"], ["apply", "WORKSPACE=default"]):
        done, calls = make(*args)
        assert done.returncode != 0
        assert "use one of: dev staging prod" in done.stderr
        assert calls == []


PLAN_CALLS = [
    "out -chdir={out} init -input=false",
    "out -chdir={out} workspace select -or-create staging",
    "out -chdir={out} plan -input=false -out=staging.tfplan",
]


def expected(calls: list[str], out: Path) -> list[str]:
    # The recorder logs the folder it runs in (the repository) and its arguments.
    return [call.replace("out -chdir", f"{ROOT.name} -chdir").format(out=out) for call in calls]


def test_plan_renders_then_inits_selects_and_saves_a_plan(make, tmp_path):
    done, calls = make("plan", "WORKSPACE=staging")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "tap_stack.tf").is_file()
    assert calls == expected(PLAN_CALLS, tmp_path / "out")


GUARD_CALL = "out -chdir={out} show -json staging.tfplan"


def test_apply_guards_the_saved_plan_then_applies_it_after_confirmation(make, tmp_path):
    done, calls = make("apply", "WORKSPACE=staging", input="yes\n")
    assert done.returncode == 0, done.stderr
    assert "tapgen guard: the plan destroys no resource that holds data." in done.stderr
    apply = f"{ROOT.name} -chdir={tmp_path / 'out'} apply -input=false staging.tfplan"
    assert calls == [*expected([*PLAN_CALLS, GUARD_CALL], tmp_path / "out"), apply]


def test_apply_stops_without_confirmation(make, tmp_path):
    done, calls = make("apply", "WORKSPACE=staging", input="no\n")
    assert done.returncode != 0 and "Cancelled." in done.stderr
    assert calls == expected([*PLAN_CALLS, GUARD_CALL], tmp_path / "out")


def test_apply_refuses_a_plan_that_replaces_the_database_before_asking(make, tmp_path):
    done, calls = make("apply", "WORKSPACE=staging", input="yes\n", plan="replace_database.json")
    assert done.returncode != 0
    assert ("<stdin>: aws_db_instance.this: replaced (destroyed, then created) (Terraform's reason: "
            "replace_because_cannot_update; forced by kms_key_id)") in done.stderr
    assert "make apply WORKSPACE=<workspace> ALLOW_REPLACE=aws_db_instance.this (" in done.stderr
    assert "Apply this plan" not in done.stdout + done.stderr  # never asked
    assert calls == expected([*PLAN_CALLS, GUARD_CALL], tmp_path / "out")  # and never applied


def test_allow_replace_lets_named_replacements_through(make, tmp_path):
    allow = ('ALLOW_REPLACE=aws_s3_bucket.alb_logs aws_s3_bucket.audit aws_cloudwatch_log_group.this["app"] '
             "aws_cloudwatch_log_group.this aws_cloudwatch_log_group.audit aws_backup_vault.this aws_backup_vault.dr")
    done, calls = make("apply", "WORKSPACE=staging", allow, input="yes\n", plan="rename_project.json")
    assert done.returncode == 0, done.stderr
    assert 'allowed: aws_cloudwatch_log_group.this["vpc_flow_logs"]: replaced' in done.stderr
    assert calls[-1].endswith("apply -input=false staging.tfplan")


def test_the_refusal_s_suggestion_pasted_into_a_shell_lets_apply_through(make, tmp_path):
    refused, _ = make("apply", "WORKSPACE=staging", input="yes\n", plan="rename_project.json")
    assert refused.returncode != 0
    command = refused.stderr.split("To do this on purpose, ")[1].split(": ", 1)[1].split(" (tapgen guard")[0]
    words = subprocess.run(["bash", "-c", f"printf '%s\\0' {command.replace('<workspace>', 'staging')}"],
                           capture_output=True, text=True, check=True).stdout.split("\0")[:-1]
    assert words[:2] == ["make", "apply"]
    done, calls = make(*words[1:], input="yes\n", plan="rename_project.json")
    assert done.returncode == 0, done.stderr
    assert calls[-1].endswith("apply -input=false staging.tfplan")


def test_a_plan_the_guard_cannot_read_stops_apply(make, tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text("")
    done, calls = make("apply", "WORKSPACE=staging", input="yes\n", plan=str(empty))
    assert done.returncode != 0 and "<stdin>: is empty" in done.stderr
    assert not calls[-1].endswith("apply -input=false staging.tfplan")


DESTROY_CALLS = [
    "out -chdir={out} init -input=false",
    "out -chdir={out} workspace select -or-create dev",
    "out -chdir={out} plan -destroy -input=false -out=dev.destroy.tfplan",
    "out -chdir={out} show -json dev.destroy.tfplan",
]


def test_destroy_lists_what_holds_data_before_asking(make, tmp_path):
    done, calls = make("destroy", "WORKSPACE=dev", input="yes\n", plan="delete.json")
    assert done.returncode == 0, done.stderr
    assert ("The plan destroys 1 resource(s) that hold data:\n"
            '  aws_cloudwatch_log_group.this["vpc_flow_logs"]: destroyed') in done.stderr
    apply = f"{ROOT.name} -chdir={tmp_path / 'out'} apply -input=false dev.destroy.tfplan"
    assert calls == [*expected(DESTROY_CALLS, tmp_path / "out"), apply]


def test_destroying_production_needs_confirm_before_any_terraform_call(make, tmp_path):
    done, calls = make("destroy", "WORKSPACE=prod", "AUTO_APPROVE=1")
    assert done.returncode != 0
    assert "prod is a production environment: destroying it also needs CONFIRM=prod" in done.stderr
    assert calls == []
    done, calls = make("destroy", "WORKSPACE=prod", "CONFIRM=staging", "AUTO_APPROVE=1")
    assert done.returncode != 0 and calls == []
    done, calls = make("destroy", "WORKSPACE=prod", "CONFIRM=prod", "AUTO_APPROVE=1", plan="delete.json")
    assert done.returncode == 0, done.stderr
    assert calls[-1].endswith("apply -input=false prod.destroy.tfplan")


def test_backend_config_file_is_passed_to_init(make, tmp_path):
    config = tmp_path / "backend.hcl"
    config.write_text('bucket = "x"\n')
    done, calls = make("plan", "WORKSPACE=dev", f"BACKEND_CONFIG={config}")
    assert done.returncode == 0, done.stderr
    assert calls[0].endswith(f"init -input=false -backend-config={config}")


def test_a_var_file_is_passed_to_plan(make, tmp_path):
    variables = tmp_path / "staging.tfvars"
    variables.write_text('certificate_arn = "arn:aws:acm:us-west-2:123456789012:certificate/x"\n')
    done, calls = make("plan", "WORKSPACE=staging", f"VAR_FILE={variables}")
    assert done.returncode == 0, done.stderr
    assert calls[-1].endswith(f"plan -input=false -var-file={variables} -out=staging.tfplan")


def test_a_workspaces_own_var_file_is_used_by_default(make, tmp_path):
    (tmp_path / "vars").mkdir()
    variables = tmp_path / "vars" / "prod.tfvars"
    variables.write_text('alarm_email = "oncall@example.com"\n')
    done, calls = make("plan", "WORKSPACE=prod", f"VARS_DIR={tmp_path / 'vars'}")
    assert done.returncode == 0, done.stderr
    assert calls[-1].endswith(f"plan -input=false -var-file={variables} -out=prod.tfplan")
    done, calls = make("plan", "WORKSPACE=dev", f"VARS_DIR={tmp_path / 'vars'}")
    assert "-var-file" not in calls[-1]


def test_a_missing_terraform_binary_is_explained(make):
    done, calls = make("plan", "WORKSPACE=dev", "TERRAFORM=no-such-terraform")
    assert done.returncode != 0
    assert "no-such-terraform: command not found" in done.stderr and "TERRAFORM=tofu" in done.stderr


def test_plan_says_the_state_is_local_and_which_inputs_it_uses(make, tmp_path):
    done, _ = make("plan", "WORKSPACE=dev")
    assert done.returncode == 0, done.stderr
    assert "State: local to this machine" in done.stderr and "make bootstrap" in done.stderr
    assert "Inputs: none (no vars/dev.tfvars" in done.stderr
    variables = tmp_path / "dev.tfvars"
    variables.write_text("")
    done, _ = make("plan", "WORKSPACE=dev", f"VAR_FILE={variables}")
    assert f"Inputs: {variables}\n" in done.stderr


BOOTSTRAP_CALLS = [
    "init -input=false",
    "plan -input=false -out=bootstrap.tfplan",
    "apply -input=false bootstrap.tfplan",
]


def test_bootstrap_creates_the_state_bucket_with_its_own_state(make, tmp_path):
    spec = SPECS / "state_bucket.yaml"
    done, calls = make("bootstrap", f"SPEC={spec}", "AUTO_APPROVE=1")
    assert done.returncode == 0, done.stderr
    bootstrap = tmp_path / "out" / "bootstrap"
    assert calls == [f"{ROOT.name} -chdir={bootstrap} {call}" for call in BOOTSTRAP_CALLS]
    assert "terraform.tfstate, on this machine only" in done.stderr
    # With a backend, plan says nothing about local state.
    done, _ = make("plan", "WORKSPACE=dev", f"SPEC={spec}")
    assert done.returncode == 0 and "State: local" not in done.stderr


def test_bootstrap_without_a_backend_stops_before_terraform(make):
    done, calls = make("bootstrap", "AUTO_APPROVE=1")
    assert done.returncode == 2 and "has no backend: section" in done.stderr
    assert calls == []
