#!/usr/bin/env python3
"""Benchmark tapgen as users run it: whole processes, wall time and peak memory.

usage: python bench/bench.py [--runs 5] [--readme README.md] [--no-install]

Every command runs once to warm up, then --runs rounds run each command in turn; the table
shows the median wall time and the largest peak resident memory. Measured in the same run: the import floor (Python
importing jinja2, click, yaml and hcl2, which any render must pay), tapgen render and
render --check on the default spec and on generated specs of 3 to 300 environments, and the
first render after a fresh install from the wheel (empty cache folder, and no writable one).

The Markdown table replaces the text between the bench markers in --readme. Exit 1 when a
target is missed: default render within 2.5x the floor; time growing no faster than linearly
with environments; 300 environments under 5 s; peak memory under 150 MB.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (3, 30, 100, 300)
MARKERS = ("<!-- bench:start -->", "<!-- bench:end -->")


@dataclass
class Measurement:
    label: str
    seconds: float
    peak_mb: float


def run_once(command: list[str], env: dict | None) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one run of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # wait4 gives this child's own peak memory (ru_maxrss, KiB on Linux).
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = process.stderr.read().decode()
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"{' '.join(command)} failed:\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024


def measure(commands: dict[str, list[str]], runs: int) -> list[Measurement]:
    """Run every command once to warm up, then ``runs`` rounds taking each in turn, so that a
    slow moment of the machine falls on all of them alike."""
    for command in commands.values():
        run_once(command, None)
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, command in commands.items():
            samples[label].append(run_once(command, None))
    return [Measurement(label, statistics.median(t for t, _ in got), max(m for _, m in got))
            for label, got in samples.items()]


def spec_with(count: int) -> str:
    """A valid spec of ``count`` environments, each on its own /20 of 10.0.0.0/8."""
    lines = ["project: bench", "region: us-west-2", "owner: platform-team", "defaults:",
             "  availability_zones: 2", "  instance_type: t3.micro",
             "  autoscaling: {min: 1, max: 2, desired: 1}", "  log_retention_days: 30",
             "  flow_logs: false", "  database:", "    instance_class: db.t3.micro",
             "    allocated_storage_gb: 20", "    backup_retention_days: 1", "    multi_az: false",
             "    deletion_protection: false", "environments:"]
    for i in range(count):
        lines += [f"  env{i:03d}:", f"    vpc_cidr: 10.{i // 16}.{(i % 16) * 16}.0/20"]
    return "\n".join(lines) + "\n"


def install_wheel(work: Path) -> Path:
    """Build the wheel and install it into a fresh venv; return its tapgen."""
    dist, target = work / "dist", work / "venv"
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "build", "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source], check=True)
    venv.create(target, with_pip=True)
    wheel = next(dist.glob("tapgen-*.whl"))
    subprocess.run([target / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    wheel], check=True)
    return target / "bin" / "tapgen"


def run_benchmark(runs: int, install: bool) -> tuple[list[Measurement], list[tuple[str, bool, str]]]:
    tapgen = str(Path(sys.executable).with_name("tapgen"))
    # Byte-compile the package as an install would (pip does), so no run pays for compiling it
    # even where PYTHONDONTWRITEBYTECODE is set.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "generator")], check=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        spec = str(ROOT / "environments.yaml")
        commands = {
            "import floor: python -c 'import jinja2, click, yaml, hcl2'":
                [sys.executable, "-c", "import jinja2, click, yaml, hcl2"],
            "tapgen render (default spec)": [tapgen, "render", "--spec", spec, "--out", str(work / "out")],
            "tapgen render --check (default spec)":
                [tapgen, "render", "--check", "--spec", spec, "--out", str(work / "out")],
        }
        for count in SIZES:
            path = work / f"spec-{count}.yaml"
            path.write_text(spec_with(count))
            out = str(work / f"out-{count}")
            commands[f"tapgen render ({count} environments)"] = [tapgen, "render", "--spec", str(path), "--out", out]
            commands[f"tapgen render --check ({count} environments)"] = [
                tapgen, "render", "--check", "--spec", str(path), "--out", out]
        results = measure(commands, runs)
        if install:
            installed = str(install_wheel(work))
            for label, cache in (("empty cache folder", work / "fresh-cache"), ("no writable cache", Path("/dev/null"))):
                env = {**os.environ, "TAPGEN_CACHE_DIR": str(cache)}
                seconds, peak = run_once([installed, "render", "--spec", spec, "--out", str(work / label)], env)
                results.append(Measurement(f"first render after a wheel install ({label})", seconds, peak))
    floor = results[0]
    sized = {count: next(m for m in results if m.label == f"tapgen render ({count} environments)")
             for count in SIZES}
    default = results[1]
    # Cost of each added environment between consecutive sizes: flat for linear growth, while
    # quadratic growth would make the last step's cost about three times the one before.
    marginal = [(sized[b].seconds - sized[a].seconds) / (b - a) for a, b in zip(SIZES, SIZES[1:], strict=False)]
    targets = [
        ("default render within 2.5x the import floor", default.seconds <= 2.5 * floor.seconds,
         f"{default.seconds / floor.seconds:.2f}x"),
        ("time grows no faster than linearly (cost of each added environment, 3 -> 30 -> 100 -> 300)",
         marginal[-1] <= 1.5 * marginal[-2], " / ".join(f"{m * 1000:.1f} ms" for m in marginal)),
        ("300 environments render and validate in under 5 s", sized[300].seconds < 5, f"{sized[300].seconds:.2f} s"),
        ("peak memory under 150 MB", max(m.peak_mb for m in results) < 150,
         f"{max(m.peak_mb for m in results):.0f} MB"),
    ]
    return results, targets


def report(results: list[Measurement], targets: list[tuple[str, bool, str]], runs: int) -> str:
    floor = results[0].seconds
    lines = [f"Median of {runs} interleaved runs after a warm-up (first-install rows: one run each), "
             f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}; `make bench` regenerates this.", "",
             "| command | wall time | vs import floor | peak memory |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {m.label} | {m.seconds * 1000:.0f} ms | {m.seconds / floor:.2f}x | {m.peak_mb:.0f} MB |"
              for m in results]
    lines += ["", "| target | met | measured |", "| --- | --- | --- |"]
    lines += [f"| {name} | {'yes' if ok else '**no**'} | {figure} |" for name, ok, figure in targets]
    return "\n".join(lines) + "\n"


def write_readme(readme: Path, table: str) -> None:
    text = readme.read_text()
    start, end = MARKERS
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        sys.exit(f"{readme} has no {start} ... {end} section")
    readme.write_text(pattern.sub(lambda _: f"{start}\n{table}{end}", text))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--no-install", dest="install", action="store_false",
                        help="skip the fresh-install rows (they build a wheel and a venv)")
    args = parser.parse_args()
    results, targets = run_benchmark(args.runs, args.install)
    table = report(results, targets, args.runs)
    print(table)
    write_readme(args.readme, table)
    return 0 if all(ok for _, ok, _ in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
