"""The security gate: tools/scan.py runs Checkov over out/ and every resolved environment.

Checkov comes from .venv-checkov (``make install-scan``); it cannot live in .venv, whose
python-hcl2 8 its bc-python-hcl2 would replace. Without it these tests skip, unless
TAPGEN_REQUIRE_CHECKOV is set (the Makefile's test target sets it), so that CI cannot pass by
skipping the gate. Each test runs Checkov at most once; the full scan is shared.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import DEFAULT_SPEC, OUT, ROOT

pytestmark = [pytest.mark.slow]

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
SCRIPT = ROOT / "tools" / "scan.py"


def load_scan():
    spec = importlib.util.spec_from_file_location("tapgen_scan", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


scan = load_scan()


@pytest.fixture(scope="module")
def checkov() -> str:
    if not CHECKOV.exists():
        if os.environ.get("TAPGEN_REQUIRE_CHECKOV"):
            pytest.fail(f"{CHECKOV} is missing and TAPGEN_REQUIRE_CHECKOV is set: run make install-scan")
        pytest.skip("Checkov is not installed: run make install-scan")
    return str(CHECKOV)


def weaken(directory: Path, setting: str, replacement: str) -> None:
    stack = directory / "tap_stack.tf"
    text = stack.read_text()
    assert text.count(setting) == 1, f"{setting!r} is not in the template once; update this test"
    stack.write_text(text.replace(setting, replacement))


def test_a_weakened_setting_fails_its_check(checkov, tmp_path):
    root = tmp_path / "scan"
    scan.tapgen("render", "--resolve", "prod", "--spec", str(DEFAULT_SPEC), "--out", str(root / "prod"))
    shutil.copytree(root / "prod", root / "unencrypted")
    weaken(root / "unencrypted", "storage_encrypted     = true", "storage_encrypted     = false")
    shutil.copytree(root / "prod", root / "nokey")
    weaken(root / "nokey", "  kms_key_id        = aws_kms_key.logs.arn\n", "")

    tallies = scan.scan(checkov, root, {name: scan.Tally(name) for name in ("prod", "unencrypted", "nokey")})

    failed = {name: {check["check_id"] for check in tally.failed} for name, tally in tallies.items()}
    assert failed == {"prod": set(), "unencrypted": {"CKV_AWS_16"}, "nokey": {"CKV_AWS_158"}}
    assert any(line.startswith("unencrypted: CKV_AWS_16 aws_db_instance.")
               for line in scan.failures(tallies))


def test_checkov_that_cannot_run_is_exit_2(tmp_path, capsys):
    # No Checkov run: the executable is checked before anything is rendered.
    assert scan.main(["--checkov", str(tmp_path / "checkov"), "--spec", str(DEFAULT_SPEC)]) == 2
    assert "make install-scan" in capsys.readouterr().err


@pytest.fixture(scope="module")
def full_scan(checkov, tmp_path_factory) -> tuple[subprocess.CompletedProcess, str]:
    summary = tmp_path_factory.mktemp("scan") / "summary.md"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--checkov", checkov, "--spec", str(DEFAULT_SPEC),
         "--out", str(OUT), "--summary", str(summary)],
        capture_output=True, text=True, cwd=ROOT,
    )
    return done, summary.read_text() if summary.exists() else ""


ROW = re.compile(r"^\| (.+) \| (\d+) \| (\d+) \| (\d+) \|$", re.M)


def test_out_and_every_resolved_environment_scan_clean(full_scan):
    done, summary = full_scan
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {label: tuple(map(int, counts)) for label, *counts in ROW.findall(summary)}
    environments = scan.tapgen("workspaces", "--spec", str(DEFAULT_SPEC)).split()
    assert list(rows) == [f"{OUT}/ (all workspaces)", *(f"{env} (resolved)" for env in environments)]
    for label, (passed, _skipped, failed) in rows.items():
        assert passed > 0 and failed == 0, label
    assert summary in done.stdout
