"""Golden records: out/ for environments.yaml, and tests/golden/<case>/ for each tests/specs/<case>.yaml.

Each comparison runs both ways (a missing, an extra or a changed file fails) and prints the diff
and the command that regenerates the record.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.pipeline import render_files
from generator.writer import MANIFEST, Change, unified_diff

from .helpers import DEFAULT_SPEC, GOLDEN, OUT, ROOT, SPECS

CASES = sorted(path.stem for path in SPECS.glob("*.yaml"))


def differences(files: dict[str, str], directory: Path) -> list[Change]:
    # Paths as render_files keys them: "main.tf", "bootstrap/main.tf". The writer's manifest
    # records what it wrote there; it is not rendered output.
    recorded = {p.relative_to(directory).as_posix(): p.read_text(encoding="utf-8")
                for p in directory.rglob("*") if p.is_file() and ".terraform" not in p.parts and p.name != MANIFEST}
    return [Change(name, recorded.get(name), files.get(name))
            for name in sorted(set(files) | set(recorded)) if recorded.get(name) != files.get(name)]


def test_committed_out_is_current():
    pending = differences(render_files(DEFAULT_SPEC), OUT)
    assert not pending, "out/ is stale; run `make render`.\n" + unified_diff(pending, OUT)


@pytest.mark.parametrize("case", CASES)
def test_golden_record_is_current(case):
    directory = GOLDEN / case
    assert directory.is_dir(), f"{directory} is missing; run `make goldens`"
    pending = differences(render_files(SPECS / f"{case}.yaml"), directory)
    assert not pending, f"{directory} is stale; run `make goldens`.\n" + unified_diff(pending, directory)


def test_every_golden_record_has_its_spec():
    assert sorted(p.name for p in GOLDEN.iterdir()) == CASES


@pytest.mark.parametrize("case", CASES)
def test_no_stray_blank_lines(case):
    # terraform fmt keeps a run of blank lines, so a template that emits one would ship it.
    for name, text in render_files(SPECS / f"{case}.yaml").items():
        assert "\n\n\n" not in text, f"{case}/{name} has two blank lines in a row"


def test_output_is_byte_identical_across_runs_and_hash_seeds():
    first = render_files(DEFAULT_SPEC)
    second = render_files(DEFAULT_SPEC)
    assert first == second
    script = ("import sys, json; from generator.pipeline import render_files; "
              "json.dump(render_files(sys.argv[1]), sys.stdout, sort_keys=True)")
    outputs = {
        subprocess.run([sys.executable, "-c", script, str(DEFAULT_SPEC)], capture_output=True, text=True, check=True,
                       cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("0", "1", "random")
    }
    assert len(outputs) == 1
