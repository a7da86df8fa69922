"""The commands beside render: workspaces, show, diff, schema, init, validate."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from generator.loader import load_spec

from .helpers import DEFAULT_SPEC, OUT, ROOT, SPECS, TAPGEN, run_cli

COMMITTED_SCHEMA = ROOT / "schema" / "tapgen.schema.json"


def test_workspaces_lists_the_environments_one_a_line():
    result = run_cli("workspaces", "--spec", DEFAULT_SPEC)
    assert (result.exit_code, result.stdout) == (0, "dev\nstaging\nprod\n")


def test_workspaces_can_list_only_the_production_ones():
    assert run_cli("workspaces", "--production", "--spec", DEFAULT_SPEC).stdout == "prod\n"
    result = run_cli("workspaces", "--production", "--spec", SPECS / "nat_override.yaml")
    assert result.stdout == "production\n"  # named like production, not "prod"
    assert run_cli("workspaces", "--production", "--spec", SPECS / "minimal.yaml").stdout == ""


def test_show_puts_effective_settings_side_by_side():
    lines = run_cli("show", "--spec", DEFAULT_SPEC).stdout.splitlines()
    assert lines[0].split() == ["setting", "dev", "staging", "prod"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert rows["database.backup_retention_days"] == ["1", "3", "7"]
    assert rows["availability_zones"] == ["2", "2", "3"]  # dev and staging inherit it from defaults
    assert rows["nat_gateways"] == ["single", "single", "per_az"]


def test_show_one_environment():
    lines = run_cli("show", "prod", "--spec", DEFAULT_SPEC).stdout.splitlines()
    assert lines[0].split() == ["setting", "prod"]
    assert "database.multi_az                  true" in lines


def test_diff_lists_only_what_differs():
    result = run_cli("diff", "dev", "staging", "--spec", DEFAULT_SPEC)
    keys = [line.split()[0] for line in result.stdout.splitlines()[1:]]
    assert "database.backup_retention_days" in keys and "flow_logs" in keys
    assert "availability_zones" not in keys and "database.multi_az" not in keys
    same = run_cli("diff", "dev", "dev", "--spec", DEFAULT_SPEC)
    assert same.stdout == "" and "same settings" in same.stderr


def test_unknown_environments_are_usage_errors():
    for args in (["show", "qa"], ["diff", "dev", "qa"]):
        result = run_cli(*args, "--spec", DEFAULT_SPEC)
        assert result.exit_code == 2 and "no environment 'qa'; the spec defines: dev, staging, prod" in result.stderr


def test_missing_spec_is_an_error_for_every_command_that_reads_one(tmp_path):
    for command in (["workspaces"], ["show"], ["show", "dev"], ["diff", "dev", "prod"], ["render"]):
        result = run_cli(*command, "--spec", tmp_path / "none.yaml")
        assert result.exit_code == 2 and "no such file" in result.stderr


def test_committed_schema_is_current_and_the_spec_points_at_it():
    assert json.loads(run_cli("schema").stdout) == json.loads(COMMITTED_SCHEMA.read_text()), \
        "schema/tapgen.schema.json is stale; run `make schema`"
    assert DEFAULT_SPEC.read_text().splitlines()[0] == "# yaml-language-server: $schema=./schema/tapgen.schema.json"


def test_schema_describes_every_key_the_loader_accepts():
    schema = json.loads(run_cli("schema").stdout)
    env = schema["properties"]["environments"]["additionalProperties"]
    assert set(env["properties"]) >= {"vpc_cidr", "database", "waivers", "production"}
    assert schema["properties"]["defaults"]["properties"].keys() == env["properties"].keys()
    assert env["properties"]["log_retention_days"]["enum"][:3] == [1, 3, 5]


def test_init_writes_a_starter_that_renders_and_never_overwrites(tmp_path):
    spec = tmp_path / "environments.yaml"
    assert run_cli("init", spec).exit_code == 0
    _, loaded = load_spec(spec)
    assert list(loaded.environments) == ["dev", "prod"]
    assert run_cli("render", "--spec", spec, "--out", tmp_path / "out").exit_code == 0
    spec.write_text(spec.read_text() + "# mine\n")
    result = run_cli("init", spec)
    assert result.exit_code == 0 and f"kept {spec}" in result.stderr
    assert spec.read_text().endswith("# mine\n")
    spec.write_text("mine")
    result = run_cli("init", spec)
    assert result.exit_code == 2 and "invalid spec" in result.stderr
    assert spec.read_text() == "mine"


def edited_copy(tmp_path, **additions: str):
    """A copy of out/ with text appended to some of its .tf files (file stem -> text)."""
    edited = tmp_path / "edited"
    shutil.copytree(OUT, edited)
    for stem, text in additions.items():
        path = edited / f"{stem}.tf"
        path.write_text(path.read_text() + text)
    return edited


def test_validate_passes_committed_output_and_flags_hand_edits(tmp_path):
    assert run_cli("validate", OUT).exit_code == 0
    edited = edited_copy(tmp_path, outputs='\noutput "broken" {\n  value = aws_vpc.missing.id\n}\n')
    result = run_cli("validate", edited)
    assert result.exit_code == 1
    assert "outputs.tf" in result.stderr and "output.broken: has no description" in result.stderr
    assert "refers to undeclared aws_vpc.missing" in result.stderr


def test_validate_reports_syntax_errors_and_empty_directories(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_vpc" "x" {\n  cidr_block = \n}\n')
    result = run_cli("validate", tmp_path)
    assert result.exit_code == 1 and "main.tf:" in result.stderr and "not valid HCL" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "holds no .tf files" in run_cli("validate", empty).stderr


def complete(words: str, cwd) -> list[str]:
    env = {**os.environ, "_TAPGEN_COMPLETE": "bash_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    done = subprocess.run([TAPGEN], env=env, cwd=cwd, capture_output=True, text=True)
    return [line.split(",", 1)[1] for line in done.stdout.splitlines() if line]


@pytest.mark.skipif(not TAPGEN.exists(), reason="needs the installed console script")
def test_shell_completion_offers_commands_and_the_specs_environments(tmp_path):
    shutil.copy(DEFAULT_SPEC, tmp_path / "environments.yaml")
    assert complete("tapgen sh", tmp_path) == ["show"]
    assert complete("tapgen show ", tmp_path) == ["dev", "staging", "prod"]
    assert complete("tapgen diff dev st", tmp_path) == ["staging"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert complete("tapgen show ", elsewhere) == []  # no spec there: no suggestions


def test_pre_commit_hooks_run_real_tapgen_commands():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {hook["id"] for hook in hooks} == {"tapgen-render-check", "tapgen-validate"}
    for hook in hooks:
        program, *args = hook["entry"].split()
        assert program == "tapgen" and hook["pass_filenames"] is False
        result = run_cli(*args, "--help")
        assert result.exit_code == 0, hook["entry"]


@pytest.mark.skipif(not TAPGEN.exists(), reason="needs the installed console script")
@pytest.mark.parametrize("bad", ["explicit_tags_with_bad_content", "integers_too_long", "malformed_yaml"])
def test_shell_completion_on_a_bad_spec_offers_nothing_and_never_a_traceback(tmp_path, bad):
    shutil.copy(ROOT / "tests" / "bad_specs" / f"{bad}.yaml", tmp_path / "environments.yaml")
    env = {**os.environ, "_TAPGEN_COMPLETE": "bash_complete", "COMP_WORDS": "tapgen show ", "COMP_CWORD": "2"}
    done = subprocess.run([TAPGEN], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "", "")


def test_validate_reports_duplicate_blocks_that_python_hcl2_accepts(tmp_path):
    edited = edited_copy(tmp_path, provider='\nterraform {\n  required_version = ">= 1.10"\n}\n',
                         outputs='\noutput "vpc_id" {\n  description = "x"\n  value       = 1\n}\n')
    result = run_cli("validate", edited)
    assert result.exit_code == 1
    assert "provider.tf:" in result.stderr and "terraform: is declared again; the first is at provider.tf:4" in result.stderr
    assert "output.vpc_id: is declared again; the first is at outputs.tf:" in result.stderr


def test_validate_answers_at_once_for_a_fifo_and_clears_what_a_killed_render_left(tmp_path):
    directory = tmp_path / "copy"
    shutil.copytree(OUT, directory)
    os.mkfifo(directory / "extra.tf")
    result = run_cli("validate", directory)  # would block forever opening the FIFO
    assert result.exit_code == 1 and "extra.tf: is a FIFO" in result.stderr
    (directory / "extra.tf").unlink()
    (directory / ".tapgen-staging-x").mkdir()
    (directory / ".tapgen-staging-x" / "tap_stack.tf").write_text("half written")
    assert run_cli("validate", directory).exit_code == 0
    assert not (directory / ".tapgen-staging-x").exists()


def test_validate_never_acts_on_a_journal_that_names_a_file_outside_the_directory(tmp_path):
    directory = tmp_path / "copy"
    shutil.copytree(OUT, directory)
    (tmp_path / "victimdir").mkdir()
    (tmp_path / "victimdir" / "v.txt").write_text("mine\n")
    (directory / ".tapgen-staging-x").mkdir()
    (directory / ".tapgen-staging-x" / "journal.json").write_text('{"changes": [["../victimdir/v.txt", "create"]]}')
    result = run_cli("validate", directory)
    assert result.exit_code == 1 and "journal.json: lists '../victimdir/v.txt'" in result.stderr
    assert (tmp_path / "victimdir" / "v.txt").read_text() == "mine\n"
    (directory / ".tapgen-staging-x" / "journal.json").write_text('{"changes": [["tap_stack.tf", ')
    result = run_cli("validate", directory)
    assert result.exit_code == 1 and "journal.json: is not valid JSON" in result.stderr


def with_files_terraform_ignores(directory: Path) -> Path:
    """``directory`` plus garbage under names Terraform never reads (hashicorp/terraform
    internal/configs/parser_config_dir.go, IsIgnoredFile; subdirectories are skipped)."""
    for name in (".hidden.tf", "backup.tf~", "#autosave.tf#"):
        (directory / name).write_text("garbage {{{\n")
    (directory / "folder.tf").mkdir()
    return directory


def test_validate_reads_the_files_terraform_reads_and_names_the_json_ones_it_does_not_check(tmp_path):
    directory = with_files_terraform_ignores(edited_copy(tmp_path))
    result = run_cli("validate", directory)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"{directory}/: 4 files pass tapgen's checks.\n"
    (directory / "dup.tf.json").write_text('{"locals": {"environments": {}}}\n')
    result = run_cli("validate", directory)
    assert result.exit_code == 0 and result.stderr.splitlines() == [
        f"{directory}/dup.tf.json: not checked by tapgen (Terraform's JSON syntax); `terraform validate` reads it",
        f"{directory}/: 4 files pass tapgen's checks."]


def test_validate_follows_a_link_to_a_tf_file_as_terraform_does_but_never_to_a_device(tmp_path):
    directory = edited_copy(tmp_path)
    shared = tmp_path / "shared.tf"
    (directory / "outputs.tf").rename(shared)
    (directory / "outputs.tf").symlink_to(shared)
    assert run_cli("validate", directory).exit_code == 0
    (directory / "zero.tf").symlink_to("/dev/zero")
    result = run_cli("validate", directory)
    assert result.exit_code == 1 and f"cannot read {directory}/zero.tf: is a device" in result.stderr


def test_a_tf_file_that_is_not_utf8_is_a_problem_not_silently_decoded(tmp_path):
    directory = edited_copy(tmp_path)
    (directory / "notes.tf").write_bytes(b'locals {\n  owner = "caf\xe9"\n}\n')
    result = run_cli("validate", directory)
    assert result.exit_code == 1
    assert f"{directory}/notes.tf:2: Invalid character encoding: not valid UTF-8, which Terraform refuses" in result.stderr


def test_init_refuses_standard_input_as_its_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("init", "-", input=(ROOT / "environments.yaml").read_text())
    assert result.exit_code == 2 and "Invalid value for PATH: init writes a file, and - is standard input" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_init_with_a_file_named_vars_reports_it_instead_of_keeping_examples_that_do_not_exist(tmp_path):
    spec = tmp_path / "environments.yaml"
    (tmp_path / "vars").write_text("mine\n")
    result = run_cli("init", spec)
    assert result.exit_code == 1 and "kept" not in result.stderr
    assert f"{tmp_path}/vars: exists and is not a directory" in result.stderr
    assert (tmp_path / "vars").read_text() == "mine\n"
