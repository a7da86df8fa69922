"""Shared test data and helpers."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner, Result

from generator.cli import main

ROOT = Path(__file__).resolve().parents[1]
# The console script installed beside this interpreter (by `make install`).
TAPGEN = Path(sys.executable).with_name("tapgen")
DEFAULT_SPEC = ROOT / "environments.yaml"
OUT = ROOT / "out"
# Fixture specs, each with its golden output in GOLDEN/<case>/ (`make goldens`).
SPECS = ROOT / "tests" / "specs"
GOLDEN = ROOT / "tests" / "golden"
# The dev / staging / prod fixture most unit tests read.
STANDARD_SPEC = SPECS / "standard.yaml"

# The smallest valid spec: one environment, every required key once.
MINIMAL_SPEC = textwrap.dedent("""\
    project: demo
    region: us-west-2
    owner: platform-team
    environments:
      dev:
        vpc_cidr: 10.10.0.0/16
        availability_zones: 2
        instance_type: t3.micro
        autoscaling: {min: 1, max: 2, desired: 1}
        database:
          instance_class: db.t3.micro
          allocated_storage_gb: 20
          backup_retention_days: 1
          multi_az: false
          deletion_protection: false
        log_retention_days: 30
        flow_logs: false
""")


def run_cli(*args: str, input: str | bytes | None = None) -> Result:
    """Run tapgen in-process; exceptions escape so a crash is never mistaken for an exit code."""
    return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` with its bytes, to prove a failure changed nothing."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def many_environments_spec(count: int) -> str:
    """A valid spec with ``count`` environments (e1, e2, ...), each in its own /20 of 10.0.0.0/8."""
    head, dev = MINIMAL_SPEC.split("  dev:\n")
    environments = "".join(
        f"  e{i}:\n" + dev.replace("10.10.0.0/16", f"10.{i // 16}.{(i % 16) * 16}.0/20")
        for i in range(1, count + 1))
    return head + environments
