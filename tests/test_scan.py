"""The security gate: tools/scan.py runs Checkov and Trivy over out/ and every resolved environment.

Checkov comes from .venv-checkov and Trivy from .venv-trivy (``make install-scan``); Checkov
cannot live in .venv, whose python-hcl2 8 its bc-python-hcl2 would replace. Without them these
tests skip, unless TAPGEN_REQUIRE_SCANNERS is set (the Makefile's test target sets it), so that
CI cannot pass by skipping the gate. Each test runs each scanner at most once; the full scan is
shared.
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

from .helpers import DEFAULT_SPEC, GOLDEN, OUT, ROOT

pytestmark = [pytest.mark.slow]

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
TRIVY = ROOT / ".venv-trivy" / "bin" / "trivy"
SCRIPT = ROOT / "tools" / "scan.py"


def load_scan():
    spec = importlib.util.spec_from_file_location("tapgen_scan", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


scan = load_scan()


def installed(path: Path) -> str:
    if not path.exists():
        if os.environ.get("TAPGEN_REQUIRE_SCANNERS"):
            pytest.fail(f"{path} is missing and TAPGEN_REQUIRE_SCANNERS is set: run make install-scan")
        pytest.skip(f"{path.name} is not installed: run make install-scan")
    return str(path)


@pytest.fixture(scope="module")
def checkov() -> str:
    return installed(CHECKOV)


@pytest.fixture(scope="module")
def trivy() -> str:
    return installed(TRIVY)


def weaken(directory: Path, setting: str, replacement: str) -> None:
    stack = directory / "tap_stack.tf"
    text = stack.read_text()
    assert text.count(setting) == 1, f"{setting!r} is not in the template once; update this test"
    stack.write_text(text.replace(setting, replacement))


@pytest.fixture(scope="module")
def weakened(tmp_path_factory) -> tuple[Path, dict]:
    """prod resolved, and copies of it each weakened once, under one folder to scan."""
    root = tmp_path_factory.mktemp("scan")
    scan.tapgen("render", "--resolve", "prod", "--spec", str(DEFAULT_SPEC), "--out", str(root / "prod"))
    shutil.copytree(root / "prod", root / "unencrypted")
    weaken(root / "unencrypted", "storage_encrypted     = true", "storage_encrypted     = false")
    shutil.copytree(root / "prod", root / "nokey")
    weaken(root / "nokey", "  kms_key_id        = local.log_group_keys[each.key]\n", "")
    # Without its inline ignore, the accepted finding is a failure again.
    shutil.copytree(root / "prod", root / "unannotated")
    text = (root / "unannotated" / "tap_stack.tf").read_text()
    (root / "unannotated" / "tap_stack.tf").write_text(re.sub(r"#trivy:ignore:AWS-0053 .*\n", "", text))
    return root, {name: scan.Tally(name) for name in ("prod", "unencrypted", "nokey", "unannotated")}


def failed_ids(tallies: dict) -> dict[str, set[str]]:
    return {name: {line.split()[0] for line in tally.failed} for name, tally in tallies.items()}


def test_a_weakened_setting_fails_its_checkov_check(checkov, weakened):
    root, tallies = weakened
    tallies = scan.scan_checkov(checkov, root, scan.fresh(tallies))
    assert failed_ids(tallies) == {"prod": set(), "unencrypted": {"CKV_AWS_16"}, "nokey": {"CKV_AWS_158"},
                                   "unannotated": set()}
    assert any(line.startswith("Checkov unencrypted: CKV_AWS_16 aws_db_instance.")
               for line in scan.failures({"Checkov": tallies}))


def test_a_weakened_setting_or_a_missing_ignore_fails_its_trivy_check(trivy, weakened):
    root, tallies = weakened
    tallies = scan.scan_trivy(trivy, root, scan.fresh(tallies))
    assert failed_ids(tallies) == {"prod": set(), "unencrypted": {"AWS-0080"}, "nokey": {"AWS-0017"},
                                   "unannotated": {"AWS-0053"}}
    # The ignores Trivy applied are counted: prod's five accepted findings (AWS-0053, and AWS-0089 and
    # AWS-0132 on both the ALB log and the audit bucket).
    assert (tallies["prod"].skipped, tallies["unannotated"].skipped) == (5, 4)
    assert tallies["prod"].passed > 0


@pytest.mark.parametrize("missing", ["checkov", "trivy"])
def test_a_scanner_that_cannot_run_is_exit_2(missing, tmp_path, capsys):
    # No scanner run: the executables are checked before anything is rendered.
    paths = {"checkov": str(CHECKOV), "trivy": str(TRIVY), missing: str(tmp_path / missing)}
    assert scan.main(["--checkov", paths["checkov"], "--trivy", paths["trivy"], "--spec", str(DEFAULT_SPEC)]) == 2
    assert "make install-scan" in capsys.readouterr().err


def test_a_folder_a_scanner_reports_nothing_for_is_an_error():
    """Trivy skips top-level folders named like system ones (dev, proc, sys): such a gap must
    never pass as a clean scan, which is why environments are scanned under resolved/."""
    tallies = {"_out": scan.Tally("out/", passed=3), "dev": scan.Tally("dev")}
    with pytest.raises(scan.ScanError, match="Trivy reported nothing for dev"):
        scan.unscanned_is_an_error("Trivy", tallies)


@pytest.fixture(scope="module")
def full_scan(checkov, trivy, tmp_path_factory) -> tuple[subprocess.CompletedProcess, str]:
    summary = tmp_path_factory.mktemp("scan") / "summary.md"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--checkov", checkov, "--trivy", trivy, "--spec", str(DEFAULT_SPEC),
         "--out", str(OUT), "--summary", str(summary)],
        capture_output=True, text=True, cwd=ROOT,
    )
    return done, summary.read_text() if summary.exists() else ""


ROW = re.compile(r"^\| (Checkov|Trivy) \| (.+) \| (\d+) \| (\d+) \| (\d+) \|$", re.M)


def test_out_and_every_resolved_environment_scan_clean_with_both_scanners(full_scan):
    done, summary = full_scan
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {(scanner, label): tuple(map(int, counts)) for scanner, label, *counts in ROW.findall(summary)}
    environments = scan.tapgen("workspaces", "--spec", str(DEFAULT_SPEC)).split()
    labels = [f"{OUT}/ (all workspaces)", *(f"{env} (resolved)" for env in environments)]
    assert list(rows) == [(scanner, label) for scanner in ("Checkov", "Trivy") for label in labels]
    for label, (passed, _skipped, failed) in rows.items():
        assert passed > 0 and failed == 0, label
    # Production's resolved copy carries only the annotations every environment needs.
    assert rows["Trivy", "prod (resolved)"][1] < rows["Trivy", "dev (resolved)"][1]
    assert summary in done.stdout


def test_the_readme_shows_the_scan_of_the_default_spec(full_scan):
    _, summary = full_scan
    assert summary.replace(f"{OUT}/", "out/") in (ROOT / "README.md").read_text(), "paste the table `make scan` prints into the README"


def test_every_golden_record_scans_clean_as_it_is_keyed_by_workspace(checkov, trivy, tmp_path):
    """Not only the default spec: every fixture spec's workspace-keyed output, as a user's make
    scan reads it. Checkov's evaluator is the fragile part (it cannot evaluate
    terraform.workspace, and a value it half-evaluates reads as a finding), so any spec's shape
    must hold, not only the default one's. One run of each scanner over all of them."""
    for golden in sorted(GOLDEN.iterdir()):
        shutil.copytree(golden, tmp_path / "goldens" / golden.name, ignore=shutil.ignore_patterns("*.md"))
    # The state bucket's module too (tapgen writes it to out/bootstrap/ when the spec asks).
    names = [f"goldens/{folder.relative_to(GOLDEN).as_posix()}"
             for golden in sorted(GOLDEN.iterdir()) for folder in (golden, golden / "bootstrap") if folder.is_dir()]
    results = {"Checkov": scan.scan_checkov(checkov, tmp_path, {n: scan.Tally(n) for n in names}),
               "Trivy": scan.scan_trivy(trivy, tmp_path, {n: scan.Tally(n) for n in names})}
    assert scan.failures(results) == []
