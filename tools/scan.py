#!/usr/bin/env python3
"""Scan the generated Terraform with Checkov and Trivy: out/ and every environment's resolved copy.

usage: python tools/scan.py --checkov PATH --trivy PATH [--spec environments.yaml] [--out out]
                            [--work DIR] [--summary FILE]

Neither scanner evaluates ``terraform.workspace`` as Terraform does: Checkov reports a value it
cannot resolve as neither passed nor failed, and Trivy takes the workspace to be "default", where
the stack falls back to its first environment. So a clean scan of out/ alone proves little. This
script renders each environment with its settings inlined (``tapgen render --resolve ENV``),
scans those copies and out/ with each scanner in one run, and prints the passed / skipped /
failed counts of each, per scanner, as a Markdown table, followed by every failed check. Every
severity fails the scan: the findings tapgen accepts are annotated inline, with their reasons.

Trivy runs offline and the same way everywhere: its embedded checks only (--skip-check-update,
with an empty cache directory, so that no check bundle downloaded earlier is used), no config or
ignore file, and none of the caller's TRIVY_* settings.

Exit codes: 0 no failed check, 1 some check failed, 2 a scan could not run (or saw nothing).
Standard library only: it runs under the project's venv, while the scanners live in venvs of their own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

OUT_COPY = "_out"
# Environments are scanned under this folder, never at the top: Trivy skips top-level folders
# named like system ones (an environment called dev, proc or sys would go unscanned).
RESOLVED = "resolved"
# Trivy logs each finding an inline ignore suppressed: Ignore finding rule="<id>" range="<file>:<lines>"
TRIVY_IGNORED = re.compile(r'Ignore finding\s+rule="[^"]*"\s+range="([^"]+?):[0-9-]+"')


class ScanError(Exception):
    """A scan could not run or its result cannot be trusted (exit 2)."""


@dataclass
class Tally:
    name: str  # out/ or an environment
    scope: str = ""  # "all workspaces" or "resolved"
    passed: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)  # one line per failed check: CHECK resource (file:line): title

    @property
    def label(self) -> str:
        return f"{self.name} ({self.scope})" if self.scope else self.name


def tapgen(*args: str) -> str:
    # The tapgen installed beside this interpreter, so `make scan` uses the project's venv.
    command = [str(Path(sys.executable).with_name("tapgen")), *args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise ScanError(f"{' '.join(command)} failed:\n{done.stderr.strip()}")
    return done.stdout


def prepare(spec: str, out: Path, work: Path) -> dict[str, Tally]:
    """Fill ``work`` with a copy of out/ and each resolved environment; return {folder: Tally},
    the folders relative to ``work``."""
    if not any(out.glob("*.tf")):
        raise ScanError(f"{out}/ holds no .tf files; run `make render` first")
    # Only the .tf files, never out/.terraform/ and its modules.
    (work / OUT_COPY).mkdir(parents=True)
    for tf in out.glob("*.tf"):
        shutil.copy2(tf, work / OUT_COPY)
    tallies = {OUT_COPY: Tally(f"{out.as_posix().rstrip('/')}/", "all workspaces")}
    for env in tapgen("workspaces", "--spec", spec).split():
        folder = f"{RESOLVED}/{env}"
        tapgen("render", "--resolve", env, "--spec", spec, "--out", str(work / folder))
        tallies[folder] = Tally(env, "resolved")
    return tallies


def fresh(tallies: dict[str, Tally]) -> dict[str, Tally]:
    """Empty tallies for the same folders, one set per scanner."""
    return {folder: Tally(t.name, t.scope) for folder, t in tallies.items()}


def owner(tallies: dict[str, Tally], root: Path, path: str) -> Tally:
    """The Tally of the scanned folder that holds ``path`` (a file, or a folder, under ``root``)."""
    relative = Path(path).resolve().relative_to(root) if Path(path).is_absolute() else Path(path)
    folder = relative.parent if relative.suffix == ".tf" else relative
    return tallies[folder.as_posix()]


def unscanned_is_an_error(scanner: str, tallies: dict[str, Tally]) -> dict[str, Tally]:
    # A directory with no result at all was not scanned: that must not pass as clean.
    unscanned = [t.name for t in tallies.values() if not (t.passed or t.skipped or t.failed)]
    if unscanned:
        raise ScanError(f"{scanner} reported nothing for {', '.join(unscanned)}")
    return tallies


def run_json(scanner: str, command: list[str], root: Path, environment: dict[str, str] | None = None):
    """Run a scanner in ``root`` (so that no config file of the caller's applies); return its
    JSON report and its log (stderr). A scanner that fails, or prints no JSON, is a ScanError."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=root, env=environment)
    except OSError as error:
        raise ScanError(f"cannot run {scanner} ({error}); run `make install-scan`") from None
    try:
        report = json.loads(done.stdout) if done.returncode == 0 else None
    except json.JSONDecodeError:
        report = None
    if not isinstance(report, (dict, list)):
        output = (done.stderr.strip() or done.stdout.strip() or "(no output)")[-2000:]
        raise ScanError(f"{scanner} failed (exit {done.returncode}):\n{output}")
    return report, done.stderr


def scan_checkov(checkov: str, root: Path, tallies: dict[str, Tally]) -> dict[str, Tally]:
    """Run Checkov (an absolute path: it runs in ``root``) over ``root``'s copy of out/ and, in a
    second run, over all the resolved copies; count each result in the Tally of its folder.

    One run for all the resolved copies instead of one per directory: start-up is most of
    Checkov's cost, and repeating -d is no alternative, as Checkov 3 then scans the first
    directory N times (bridgecrewio/checkov#7327). Directories scanned together are still
    evaluated apart, except that Checkov links a reference such as aws_x.y[0].id in one directory
    to an aws_x.y of another whose count it cannot resolve, as out/'s: so out/ runs on its own.
    """
    root = root.resolve()
    results: dict[str, list] = {}
    for folder in sorted({key.split("/")[0] for key in tallies}):
        command = [checkov, "--directory", str(root / folder), "--framework", "terraform", "--output", "json",
                   "--skip-download", "--download-external-modules", "false",
                   # Exit 0 whatever the findings, so a non-zero exit means Checkov itself failed.
                   "--soft-fail"]  # Not --quiet: it drops the passed checks counted below.
        report, _ = run_json("Checkov", command, root)  # in root: no .checkov.yaml of the caller's skips checks
        # Several frameworks give a list of reports; with nothing to scan Checkov gives no report.
        reports = [r for r in (report if isinstance(report, list) else [report]) if "results" in r]
        found = reports[0]["results"] if reports else {}
        if found.get("parsing_errors"):
            raise ScanError(f"Checkov could not parse: {', '.join(found['parsing_errors'])}")
        for outcome in ("passed_checks", "skipped_checks", "failed_checks"):
            results.setdefault(outcome, []).extend(found.get(outcome, []))

    for check in results["passed_checks"]:
        owner(tallies, root, check["file_abs_path"]).passed += 1
    for check in results["skipped_checks"]:
        owner(tallies, root, check["file_abs_path"]).skipped += 1
    for check in results["failed_checks"]:
        owner(tallies, root, check["file_abs_path"]).failed.append(
            f"{check['check_id']} {check['resource']} ({Path(check['file_path']).name}:"
            f"{check['file_line_range'][0]}): {check['check_name']}")
    return unscanned_is_an_error("Checkov", tallies)


def scan_trivy(trivy: str, root: Path, tallies: dict[str, Tally]) -> dict[str, Tally]:
    """Run Trivy once over ``root`` (each folder is a Terraform root module of its own); count
    each result in the Tally of its folder. Trivy's JSON lists failures only; the checks an inline
    ignore suppressed are counted from its log."""
    root = root.resolve()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRIVY_")}
    with tempfile.TemporaryDirectory(prefix="tapgen-trivy-cache-") as cache:
        command = [trivy, "config", "--format", "json", "--exit-code", "0",
                   "--misconfig-scanners", "terraform", "--skip-check-update", "--cache-dir", cache,
                   "--config", "", "--ignorefile", "", "--disable-telemetry", "--skip-version-check", str(root)]
        report, log = run_json("Trivy", command, root, environment)
    if not isinstance(report, dict):
        raise ScanError(f"Trivy printed no report: {str(report)[:200]}")

    for result in report.get("Results") or []:
        tally = owner(tallies, root, result["Target"])
        tally.passed += (result.get("MisconfSummary") or {}).get("Successes", 0)
        for finding in result.get("Misconfigurations") or []:
            if finding.get("Status") == "FAIL":
                cause = finding.get("CauseMetadata") or {}
                tally.failed.append(f"{finding['ID']} {cause.get('Resource', '?')} "
                                    f"({Path(result['Target']).name}:{cause.get('StartLine', '?')}): "
                                    f"{finding['Title']}")
    for file in TRIVY_IGNORED.findall(log):
        owner(tallies, root, file).skipped += 1
    return unscanned_is_an_error("Trivy", tallies)


def table(results: dict[str, dict[str, Tally]]) -> str:
    rows = ["| scanner | scanned | passed | skipped | failed |", "|---|---|---:|---:|---:|"]
    rows += [f"| {scanner} | {t.label} | {t.passed} | {t.skipped} | {len(t.failed)} |"
             for scanner, tallies in results.items() for t in tallies.values()]
    return "\n".join(rows) + "\n"


def failures(results: dict[str, dict[str, Tally]]) -> list[str]:
    """One line per failed check: ``SCANNER DIR: CHECK_ID resource (file:line): title``."""
    return [f"{scanner} {t.name}: {line}" for scanner, tallies in results.items()
            for t in tallies.values() for line in t.failed]


def executable(path: str, name: str) -> str:
    found = shutil.which(path)
    if found is None:
        raise ScanError(f"{path}: no such executable ({name}); run `make install-scan`")
    return str(Path(found).absolute())  # absolute, as the scanners run in another directory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkov", required=True, help="the checkov executable")
    parser.add_argument("--trivy", required=True, help="the trivy executable")
    parser.add_argument("--spec", default="environments.yaml", help="default: %(default)s")
    parser.add_argument("--out", type=Path, default=Path("out"), help="default: %(default)s")
    parser.add_argument("--work", type=Path, help="keep the scanned copies here; must be empty or "
                        "absent (default: a temporary directory)")
    parser.add_argument("--summary", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)

    try:
        checkov, trivy = executable(args.checkov, "Checkov"), executable(args.trivy, "Trivy")
        if args.work and args.work.exists() and any(args.work.iterdir()):
            # Leftovers would be scanned too, so the directory must start empty.
            raise ScanError(f"--work {args.work} is not empty")
        keep = contextlib.nullcontext(args.work) if args.work else None
        with keep or tempfile.TemporaryDirectory(prefix="tapgen-scan-") as work:
            tallies = prepare(args.spec, args.out, Path(work))
            results = {"Checkov": scan_checkov(checkov, Path(work), fresh(tallies)),
                       "Trivy": scan_trivy(trivy, Path(work), fresh(tallies))}
    except ScanError as error:
        print(f"scan: {error}", file=sys.stderr)
        return 2

    print(table(results), end="")
    failed = failures(results)
    if failed:
        print("\nFailed checks:\n" + "\n".join(f"- {line}" for line in failed))
    if args.summary:
        args.summary.write_text(table(results), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
