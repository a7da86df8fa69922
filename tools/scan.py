#!/usr/bin/env python3
"""Scan the generated Terraform with Checkov: out/ and every environment's resolved copy.

usage: python tools/scan.py --checkov PATH [--spec environments.yaml] [--out out] [--work DIR]
                            [--summary FILE]

Checkov cannot evaluate ``terraform.workspace``, and a value it cannot resolve is reported as
neither passed nor failed, so a clean scan of out/ alone proves little. This script renders each
environment with its settings inlined (``tapgen render --resolve ENV``), scans those copies and
out/ in one Checkov run, and prints the passed / skipped / failed counts of each as a Markdown
table, followed by every failed check.

Exit codes: 0 no failed check, 1 some check failed, 2 the scan could not run (or saw nothing).
Standard library only: it runs under the project's venv, while Checkov lives in a venv of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

OUT_COPY = "_out"  # environment names start with a letter, so this cannot clash with one


class ScanError(Exception):
    """The scan could not run or its result cannot be trusted (exit 2)."""


@dataclass
class Tally:
    name: str  # out/ or an environment
    scope: str = ""  # "all workspaces" or "resolved"
    passed: int = 0
    skipped: int = 0
    failed: list[dict] = field(default_factory=list)  # Checkov's failed-check records

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
    """Fill ``work`` with a copy of out/ and each resolved environment; return {subdir: Tally}."""
    if not any(out.glob("*.tf")):
        raise ScanError(f"{out}/ holds no .tf files; run `make render` first")
    # One directory to scan (see scan()); only the .tf files, never out/.terraform/ and its modules.
    (work / OUT_COPY).mkdir(parents=True)
    for tf in out.glob("*.tf"):
        shutil.copy2(tf, work / OUT_COPY)
    tallies = {OUT_COPY: Tally(f"{out.as_posix().rstrip('/')}/", "all workspaces")}
    for env in tapgen("workspaces", "--spec", spec).split():
        tapgen("render", "--resolve", env, "--spec", spec, "--out", str(work / env))
        tallies[env] = Tally(env, "resolved")
    return tallies


def scan(checkov: str, root: Path, tallies: dict[str, Tally]) -> dict[str, Tally]:
    """Run Checkov (an absolute path: it runs in ``root``) once over ``root``; count each result
    in the Tally of its subdirectory.

    One run over the parent instead of one per directory: start-up is most of Checkov's cost, and
    repeating -d is no alternative, as Checkov 3 then scans the first directory N times
    (bridgecrewio/checkov#7327). Directories scanned together are still evaluated apart: each
    one's counts are those of a run of its own.
    """
    root = root.resolve()
    command = [checkov, "--directory", str(root), "--framework", "terraform", "--output", "json",
               "--skip-download", "--download-external-modules", "false",
               # Exit 0 whatever the findings, so a non-zero exit means Checkov itself failed.
               "--soft-fail"]  # Not --quiet: it drops the passed checks counted below.
    try:
        # Run in root so that no .checkov.yaml of the caller's can skip checks.
        done = subprocess.run(command, capture_output=True, text=True, cwd=root)
    except OSError as error:
        raise ScanError(f"cannot run Checkov ({error}); run `make install-scan`") from None
    try:
        report = json.loads(done.stdout) if done.returncode == 0 else None
    except json.JSONDecodeError:
        report = None
    if not isinstance(report, (dict, list)):
        output = (done.stderr.strip() or done.stdout.strip() or "(no output)")[-2000:]
        raise ScanError(f"Checkov failed (exit {done.returncode}):\n{output}")
    # Several frameworks give a list of reports; with nothing to scan Checkov gives no report.
    reports = [r for r in (report if isinstance(report, list) else [report]) if "results" in r]
    results = reports[0]["results"] if reports else {}
    if results.get("parsing_errors"):
        raise ScanError(f"Checkov could not parse: {', '.join(results['parsing_errors'])}")

    def owner(check: dict) -> Tally:
        return tallies[Path(check["file_abs_path"]).relative_to(root).parts[0]]

    for check in results.get("passed_checks", []):
        owner(check).passed += 1
    for check in results.get("skipped_checks", []):
        owner(check).skipped += 1
    for check in results.get("failed_checks", []):
        owner(check).failed.append(check)
    # A directory with no result at all was not scanned: that must not pass as clean.
    unscanned = [t.name for t in tallies.values() if not (t.passed or t.skipped or t.failed)]
    if unscanned:
        raise ScanError(f"Checkov reported nothing for {', '.join(unscanned)}")
    return tallies


def table(tallies: dict[str, Tally]) -> str:
    rows = ["| scanned | passed | skipped | failed |", "|---|---:|---:|---:|"]
    rows += [f"| {t.label} | {t.passed} | {t.skipped} | {len(t.failed)} |" for t in tallies.values()]
    return "\n".join(rows) + "\n"


def failures(tallies: dict[str, Tally]) -> list[str]:
    """One line per failed check: ``DIR: CHECK_ID resource (file:line): title``."""
    return [f"{t.name}: {c['check_id']} {c['resource']} "
            f"({Path(c['file_path']).name}:{c['file_line_range'][0]}): {c['check_name']}"
            for t in tallies.values() for c in t.failed]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkov", required=True, help="the checkov executable")
    parser.add_argument("--spec", default="environments.yaml", help="default: %(default)s")
    parser.add_argument("--out", type=Path, default=Path("out"), help="default: %(default)s")
    parser.add_argument("--work", type=Path, help="keep the scanned copies here; must be empty or "
                        "absent (default: a temporary directory)")
    parser.add_argument("--summary", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)

    try:
        checkov = shutil.which(args.checkov)
        if checkov is None:
            raise ScanError(f"{args.checkov}: no such executable; run `make install-scan`")
        if args.work and args.work.exists() and any(args.work.iterdir()):
            # Leftovers would be scanned too, so the directory must start empty.
            raise ScanError(f"--work {args.work} is not empty")
        keep = contextlib.nullcontext(args.work) if args.work else None
        with keep or tempfile.TemporaryDirectory(prefix="tapgen-scan-") as work:
            # Absolute, as Checkov runs in another directory.
            tallies = scan(str(Path(checkov).absolute()), Path(work), prepare(args.spec, args.out, Path(work)))
    except ScanError as error:
        print(f"scan: {error}", file=sys.stderr)
        return 2

    print(table(tallies), end="")
    failed = failures(tallies)
    if failed:
        print("\nFailed checks:\n" + "\n".join(f"- {line}" for line in failed))
    if args.summary:
        args.summary.write_text(table(tallies), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
