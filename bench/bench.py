#!/usr/bin/env python3
"""Benchmark tapgen as users run it: whole processes, wall time and peak memory.

usage: python bench/bench.py [--runs 5] [--readme README.md]

Every case runs once to warm up, then --runs rounds run every case in turn, so that a slow moment
of the shared machine falls on all of them alike; the table shows the median wall time and the
largest peak resident memory (from wait4). The import floor (Python importing jinja2, click, yaml
and hcl2) is measured in the same rounds. Each case names the state of tapgen's cache folder, a
folder of the benchmark's own that starts empty:

- unchanged: this exact text was rendered and checked before (the pre-commit hook, `make plan`);
- new spec, cache warm: a spec never rendered before (one CIDR changed, a new one each run), in a
  cache that other renders filled; only the top-level blocks that changed are parsed;
- cold check: Lark's parse tables cached, no block of the text ever parsed;
- empty cache: nothing at all, as on the first render after an install;
- no writable cache.

The 3x stack is out/ plus renamed copies of tap_stack.tf's resources and data sources (the copies
share its locals and variables), checked with `tapgen validate`: the stack is expected to double or
triple with upcoming features, and its blocks are what a parse costs.

The Markdown table replaces the text between the bench markers in --readme. Exit 1 when a target
is missed: an unchanged render at or below 1.0x the floor; text never seen before (new spec, cache
warm) at or below 3.0x, for the default stack and the 3x one; a new 300-environment spec in under
1.5 s; peak memory under 150 MB.
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKERS = ("<!-- bench:start -->", "<!-- bench:end -->")
FLOOR = "import floor: python -c 'import jinja2, click, yaml, hcl2'"
_DECLARED = re.compile(r'^(resource|data) "([\w-]+)" "([\w-]+)"', re.M)
_REFERENCE = re.compile(r"(?<![\w.-])(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)")


@dataclass
class Case:
    label: str
    cache: str
    # run number -> (argv, TAPGEN_CACHE_DIR); called before the timing starts
    prepare: Callable[[int], tuple[list[str], Path]]
    lines: int | None = None


@dataclass
class Measurement:
    case: Case
    seconds: float
    peak_mb: float


def run_once(command: list[str], cache: Path) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one run of ``command``, which must exit 0."""
    env = {**os.environ, "TAPGEN_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # wait4 gives this child's own peak memory (ru_maxrss, KiB on Linux).
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = process.stderr.read().decode()
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed:\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024


def measure(cases: list[Case], runs: int) -> list[Measurement]:
    """Run every case once to warm up, then ``runs`` rounds taking each in turn."""
    samples: list[list[tuple[float, float]]] = [[] for _ in cases]
    for run in range(runs + 1):
        for case, got in zip(cases, samples, strict=True):
            result = run_once(*case.prepare(run))
            if run:
                got.append(result)
    return [Measurement(case, statistics.median(t for t, _ in got), max(m for _, m in got))
            for case, got in zip(cases, samples, strict=True)]


def spec_with(count: int) -> str:
    """A valid spec of ``count`` environments, each on its own /20 of 10.0.0.0/12."""
    lines = ["project: bench", "region: us-west-2", "owner: platform-team", "defaults:",
             "  availability_zones: 2", "  instance_type: t3.micro",
             "  autoscaling: {min: 1, max: 2, desired: 1}", "  log_retention_days: 30",
             "  flow_logs: false", "  database:", "    instance_class: db.t3.micro",
             "    allocated_storage_gb: 20", "    backup_retention_days: 1", "    multi_az: false",
             "    deletion_protection: false", "environments:"]
    for i in range(count):
        lines += [f"  env{i:03d}:", f"    vpc_cidr: 10.{i // 16}.{(i % 16) * 16}.0/20"]
    return "\n".join(lines) + "\n"


def new_cidr(run: int, case: int) -> str:
    """A /20 that no spec here uses, different for every run and every case (so that no case
    finds the blocks another one changed already parsed)."""
    return f"10.{100 + 16 * case + run // 16}.{(run % 16) * 16}.0/20"


def edited_spec(text: str, case: int) -> Callable[[int], str]:
    """``text`` with its first environment on a CIDR it never had: a spec never rendered."""
    first = re.search(r"vpc_cidr: (\S+)", text)
    assert first, "the spec has no vpc_cidr"
    return lambda run: text[: first.start(1)] + new_cidr(run, case) + text[first.end(1) :]


def lines(files: dict[str, str]) -> int:
    return sum(text.count("\n") for text in files.values())


def enlarged(files: dict[str, str], times: int) -> dict[str, str]:
    """The .tf files of a stack at least ``times`` as long: renamed copies of tap_stack.tf's
    resources and data sources (every label and reference gets a suffix) after its locals."""
    stack = files["tap_stack.tf"]
    declared = {(kind == "data", kind_type, name) for kind, kind_type, name in _DECLARED.findall(stack)}
    # Every locals block stays shared (one copy of a local would be declared twice).
    body = re.sub(r"^locals \{\n.*?^\}\n", "", stack[stack.index("\n}\n", stack.index("locals {")) + 3 :],
                  flags=re.M | re.S)

    def copy(suffix: str) -> str:
        def rename(match: re.Match[str]) -> str:
            data, kind_type, name = match.groups()
            known = (bool(data), kind_type, name) in declared
            return f"{data or ''}{kind_type}.{name}{suffix}" if known else match.group(0)

        text = _REFERENCE.sub(rename, body)
        return _DECLARED.sub(lambda m: f'{m[1]} "{m[2]}" "{m[3]}{suffix}"', text)

    result = {name: text for name, text in files.items() if name.endswith(".tf")}
    target = times * lines(result)
    number = 1
    while lines(result) < target:
        number += 1
        result[f"tap_stack_{number}.tf"] = copy(f"_{number}")
    return result


def write_stack(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)


def cases_in(work: Path) -> list[Case]:
    tapgen = str(Path(sys.executable).with_name("tapgen"))
    warm = work / "cache"
    default_spec = (ROOT / "environments.yaml").read_text()
    big_spec = spec_with(300)

    def folder(name: str, text: str | None = None) -> Path:
        path = work / name
        path.mkdir(exist_ok=True)
        if text is not None:
            (path / "environments.yaml").write_text(text)
        return path

    def empty(name: str) -> Callable[[int], Path]:
        return lambda run: work / f"{name}-{run}"

    def tables_only(name: str) -> Callable[[int], Path]:
        def make(run: int) -> Path:
            path = work / f"{name}-{run}"
            shutil.copytree(warm / "lark", path / "lark")
            return path
        return make

    def render(name: str, spec_text: Callable[[int], str], cache: Callable[[int], Path], *extra: str):
        def prepare(run: int) -> tuple[list[str], Path]:
            where = folder(name, spec_text(run))
            return [tapgen, "render", *extra, "--spec", str(where / "environments.yaml"),
                    "--out", str(where / "out")], cache(run)
        return prepare

    def validate(name: str, stack: Callable[[int], dict[str, str]], cache: Callable[[int], Path]):
        def prepare(run: int) -> tuple[list[str], Path]:
            write_stack(work / name, stack(run))
            return [tapgen, "validate", str(work / name)], cache(run)
        return prepare

    def rendered(name: str, spec_text: str) -> dict[str, str]:
        where = folder(name, spec_text)
        subprocess.run([tapgen, "render", "--spec", str(where / "environments.yaml"), "--out", str(where / "out")],
                       check=True, capture_output=True, env={**os.environ, "TAPGEN_CACHE_DIR": str(warm)})
        return {p.name: p.read_text() for p in sorted((where / "out").glob("*.tf"))}

    # The stacks to validate: out/ as the default spec renders it, and three times as long.
    stack = rendered("default", default_spec)
    large = enlarged(stack, 3)
    big = rendered("unchanged-300", big_spec)
    old_cidr = re.search(r"vpc_cidr: (\S+)", default_spec)[1]

    def edited(files: dict[str, str], case: int) -> Callable[[int], dict[str, str]]:
        return lambda run: {**files, "tap_stack.tf": files["tap_stack.tf"].replace(
            f'"{old_cidr}"', f'"{new_cidr(run, case)}"', 1)}

    always = {"warm": lambda run: warm, "none": lambda run: Path("/dev/null")}
    return [
        Case(FLOOR, "-", lambda run: ([sys.executable, "-c", "import jinja2, click, yaml, hcl2"], warm)),
        Case("tapgen render (default spec)", "unchanged",
             render("default", lambda run: default_spec, always["warm"]), lines(stack)),
        Case("tapgen render --check (default spec)", "unchanged",
             render("default", lambda run: default_spec, always["warm"], "--check"), lines(stack)),
        Case("tapgen validate out/ (default spec)", "unchanged",
             validate("validate-1x", lambda run: stack, always["warm"]), lines(stack)),
        Case("tapgen render (default spec, one CIDR changed)", "new spec, cache warm",
             render("new-1x", edited_spec(default_spec, 0), always["warm"]), lines(stack)),
        Case("tapgen validate (3x stack, one CIDR changed)", "new text, cache warm",
             validate("new-3x", edited(large, 1), always["warm"]), lines(large)),
        Case("tapgen validate out/ (default spec)", "cold check",
             validate("cold-1x", lambda run: stack, tables_only("cold-1x")), lines(stack)),
        Case("tapgen validate (3x stack)", "cold check",
             validate("cold-3x", lambda run: large, tables_only("cold-3x")), lines(large)),
        Case("tapgen render (default spec)", "empty cache",
             render("empty-1x", lambda run: default_spec, empty("empty-1x")), lines(stack)),
        Case("tapgen render (default spec)", "no writable cache",
             render("none-1x", lambda run: default_spec, always["none"]), lines(stack)),
        Case("tapgen render (300 environments)", "unchanged",
             render("unchanged-300", lambda run: big_spec, always["warm"]), lines(big)),
        Case("tapgen render (300 environments, one CIDR changed)", "new spec, cache warm",
             render("new-300", edited_spec(big_spec, 2), always["warm"]), lines(big)),
        Case("tapgen render (300 environments)", "empty cache",
             render("empty-300", lambda run: big_spec, empty("empty-300")), lines(big)),
    ]


def targets(results: list[Measurement]) -> list[tuple[str, bool | None, str]]:
    floor = results[0].seconds

    def find(label: str, cache: str) -> Measurement:
        return next(m for m in results if m.case.label == label and m.case.cache == cache)

    unchanged = find("tapgen render (default spec)", "unchanged")
    new_1x = find("tapgen render (default spec, one CIDR changed)", "new spec, cache warm")
    new_3x = find("tapgen validate (3x stack, one CIDR changed)", "new text, cache warm")
    new_300 = find("tapgen render (300 environments, one CIDR changed)", "new spec, cache warm")
    cold_1x = find("tapgen validate out/ (default spec)", "cold check")
    cold_3x = find("tapgen validate (3x stack)", "cold check")
    per_kline = (cold_3x.seconds - cold_1x.seconds) / ((cold_3x.case.lines - cold_1x.case.lines) / 1000)
    peak = max(m.peak_mb for m in results)
    return [
        ("unchanged render at or below 1.0x the import floor", unchanged.seconds <= floor,
         f"{unchanged.seconds / floor:.2f}x"),
        ("text never seen before (new spec, cache warm) at or below 3.0x the floor",
         new_1x.seconds <= 3 * floor, f"{new_1x.seconds / floor:.2f}x"),
        ("the same for a stack 3x as long", new_3x.seconds <= 3 * floor, f"{new_3x.seconds / floor:.2f}x"),
        ("a new 300-environment spec renders in under 1.5 s", new_300.seconds < 1.5, f"{new_300.seconds:.2f} s"),
        ("peak memory under 150 MB", peak < 150, f"{peak:.0f} MB"),
        ("a cold check, per thousand lines more (1x -> 3x stack): reported, no target", None,
         f"{per_kline * 1000:.0f} ms"),
    ]


def report(results: list[Measurement], checks: list[tuple[str, bool | None, str]], runs: int) -> str:
    floor = results[0].seconds
    lines = [f"Median of {runs} interleaved runs after a warm-up, {os.cpu_count()} CPUs, "
             f"Python {sys.version.split()[0]}; `make bench` regenerates this.", "",
             "| command | cache | lines | wall time | vs import floor | peak memory |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {m.case.label} | {m.case.cache} | {m.case.lines or ''} | {m.seconds * 1000:.0f} ms | "
              f"{m.seconds / floor:.2f}x | {m.peak_mb:.0f} MB |" for m in results]
    lines += ["", "| target | met | measured |", "| --- | --- | --- |"]
    met = {True: "yes", False: "**no**", None: "-"}
    lines += [f"| {name} | {met[ok]} | {figure} |" for name, ok, figure in checks]
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
    args = parser.parse_args()
    # Byte-compile the package as an install would (pip does), so no run pays for compiling it
    # even where PYTHONDONTWRITEBYTECODE is set.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "generator")], check=True)
    with tempfile.TemporaryDirectory() as scratch:
        results = measure(cases_in(Path(scratch)), args.runs)
    checks = targets(results)
    table = report(results, checks, args.runs)
    print(table)
    write_readme(args.readme, table)
    return 1 if any(ok is False for _, ok, _ in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
