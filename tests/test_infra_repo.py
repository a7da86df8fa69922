"""What an infra repository copies from here: the GitHub Actions workflow (checked by actionlint)
and the pre-commit hooks (run by real pre-commit, from a scratch repository)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .helpers import DEFAULT_SPEC, OUT, ROOT

WORKFLOW = ROOT / "examples" / "github-actions" / "tapgen.yml"
BIN = Path(sys.executable).parent


def actionlint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "actionlint"), "-no-color", str(path)], capture_output=True, text=True)


def test_actionlint_passes_the_workflow_and_would_catch_a_mistake(tmp_path):
    done = actionlint(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "tapgen.yml"
    broken.write_text(WORKFLOW.read_text().replace("needs.check.outputs.workspaces", "needs.check.outputs.workspace"))
    done = actionlint(broken)
    assert done.returncode == 1 and 'property "workspace" is not defined' in done.stdout


def steps(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_pull_requests_check_the_output_and_plan_every_workspace():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    check, plan = workflow["jobs"]["check"], workflow["jobs"]["plan"]
    for command in ("tapgen render --check", "tapgen validate out", "terraform fmt -check", "checkov --directory out",
                    "trivy config", "tapgen workspaces"):
        assert command in steps(check), command
    assert plan["strategy"]["matrix"]["workspace"] == "${{ fromJSON(needs.check.outputs.workspaces) }}"
    assert "terraform -chdir=out plan" in steps(plan)
    # OIDC credentials, and plan output kept off logs and summaries
    assert plan["permissions"] == {"contents": "read", "id-token": "write"}
    assert any(step.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for step in plan["steps"])
    assert re.search(r"plan .*> /dev/null", steps(plan))


def test_main_applies_each_workspace_through_the_plan_guard():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    apply = workflow["jobs"]["apply"]
    assert "github.ref == 'refs/heads/main'" in apply["if"]
    commands = steps(apply)
    assert "terraform -chdir=out show -json plan.tfplan | tapgen guard -" in commands
    assert commands.index("tapgen guard -") < commands.index("apply -input=false -no-color plan.tfplan")
    assert apply["strategy"]["max-parallel"] == 1 and apply["environment"] == "${{ matrix.workspace }}"


def test_every_action_is_pinned_to_a_commit():
    uses = re.findall(r"uses: (\S+)", WORKFLOW.read_text())
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", use) for use in uses), uses


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"})


@pytest.mark.slow
@pytest.mark.network
def test_the_pre_commit_hooks_pass_a_current_repo_and_fail_a_stale_one(tmp_path):
    """pre-commit try-repo installs this repository with pip (from the package index, or pip's
    cache) into a fresh hook environment, as an infra repo's pre-commit would."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    infra = tmp_path / "infra"
    infra.mkdir()
    shutil.copy(DEFAULT_SPEC, infra / "environments.yaml")
    shutil.copytree(OUT, infra / "out", ignore=shutil.ignore_patterns(".terraform", "*.tfplan", "terraform.tfstate*"))
    git(infra, "init", "-q")
    git(infra, "add", ".")
    git(infra, "commit", "-q", "-m", "infra")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}

    def try_repo() -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "pre-commit"), "try-repo", str(ROOT), "--all-files", "--verbose"],
                              cwd=infra, capture_output=True, text=True, env=env)

    done = try_repo()
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"tapgen render --check\.+Passed", done.stdout)
    assert re.search(r"tapgen validate\.+Passed", done.stdout)

    spec = infra / "environments.yaml"
    spec.write_text(spec.read_text().replace("instance_type: t3.small", "instance_type: t3.medium"))
    done = try_repo()
    assert done.returncode == 1
    assert re.search(r"tapgen render --check\.+Failed", done.stdout)
    assert re.search(r'^\+\s+instance_type\s+= "t3.medium"$', done.stdout, re.M) and "out/ is stale" in done.stdout
