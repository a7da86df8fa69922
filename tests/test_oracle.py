"""The plan oracle, where it is set up: real Terraform plans every workspace against a stub of
hashicorp/aws (../shared/oracles/plan_ws.py). Not part of CI's set-up, which skips these."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .helpers import GOLDEN, ROOT

pytestmark = [pytest.mark.slow]

# ../shared beside the repository (a worktree may sit one level deeper).
ORACLES = next((p / "shared" / "oracles" for p in (ROOT.parent, ROOT.parents[1])
                if (p / "shared" / "oracles" / "plan_ws.py").is_file()), None)


@pytest.fixture(scope="module")
def plan_ws():
    if ORACLES is None:
        pytest.skip("the plan oracle is not beside this repository")
    ready = subprocess.run(["bash", str(ORACLES / "setup.sh"), "--check"], capture_output=True, text=True)
    if ready.returncode != 0:
        pytest.skip("the plan oracle is not set up (../shared/oracles/setup.sh)")
    return ORACLES / "plan_ws.py"


def test_a_certificate_from_another_region_fails_every_workspace_plan(plan_ws, tmp_path):
    wrong = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    done = subprocess.run([sys.executable, str(plan_ws), str(GOLDEN / "new_region"), str(tmp_path / "plan"),
                           "--var", f"certificate_arn={wrong}"], capture_output=True, text=True, timeout=600)
    output = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 1, output
    for workspace in ("staging", "prod"):
        assert f"{workspace}: plan error" in output or f"{workspace}: validate error" in output, output
    assert 'The certificate_arn is in region "us-east-1", but the stack deploys to mx-central-1' in output
