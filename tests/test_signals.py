"""Signals during a render of the installed console script: out/ is always wholly old or wholly new.

A spec with a hundred environments makes a render last about a second; the signal is sent at
delays spread over the whole run, so some land while the spec is read, some while files are
staged, and some during or just after the renames. Whatever the timing, the directory holds
either every old file or every new one, and the next run (render, or validate after a kill -9)
leaves no staging debris. The outcome is the same on every run; only the mix of old and new
varies.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from generator.writer import STAGING_PREFIX

from .helpers import TAPGEN, many_environments_spec

pytestmark = pytest.mark.skipif(not TAPGEN.exists(), reason="needs the installed console script")
RUNS = 20
KILL_RUNS = 4


def files_of(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and not p.relative_to(directory).parts[0].startswith(STAGING_PREFIX)}


def debris(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.startswith(STAGING_PREFIX)]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """Two specs that differ in every file (each header names its spec), each one's render, and
    how long a render into a current directory takes."""
    root = tmp_path_factory.mktemp("signals")
    text = many_environments_spec(100)
    (root / "old.yaml").write_text(text)
    (root / "new.yaml").write_text(text.replace("instance_type: t3.micro", "instance_type: t3.small"))
    for name in ("old", "new"):
        done = subprocess.run([TAPGEN, "render", "--spec", root / f"{name}.yaml", "--out", root / name],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    started = time.monotonic()
    subprocess.run([TAPGEN, "render", "--spec", root / "new.yaml", "--out", root / "new"], check=True,
                   capture_output=True)
    duration = time.monotonic() - started
    references = {name: files_of(root / name) for name in ("old", "new")}
    assert all(references["old"][name] != references["new"][name] for name in references["old"])
    return root, references, duration


def interrupted_render(root: Path, spec: str, out: Path, signum: int, delay: float) -> subprocess.CompletedProcess:
    process = subprocess.Popen([TAPGEN, "render", "--spec", root / f"{spec}.yaml", "--out", out],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_sigterm_and_sigint_leave_out_wholly_old_or_wholly_new(setup, tmp_path):
    """Each run renders the other spec over the previous run's result, so each interrupted
    render is also the next render after the one before it."""
    root, references, duration = setup
    out = tmp_path / "out"
    shutil.copytree(root / "old", out)
    outcomes = Counter()
    for run in range(RUNS):
        spec = ("new", "old")[run % 2]
        signum = (signal.SIGTERM, signal.SIGINT)[run // 2 % 2]
        delay = duration * (0.4 + 0.8 * run / (RUNS - 1))  # from reading the spec to past the renames
        done = interrupted_render(root, spec, out, signum, delay)
        assert "Traceback" not in done.stderr, done.stderr
        now = files_of(out)
        state = next((name for name, files in references.items() if files == now), None)
        assert state, f"run {run}: a mix of old and new files after {signum.name} at {delay:.2f} s"
        if done.returncode == 0:
            assert state == spec and debris(out) == []
        outcomes[f"{signum.name} {'completed' if state == spec else 'left as it was'}"] += 1
    final = subprocess.run([TAPGEN, "render", "--spec", root / "new.yaml", "--out", out], capture_output=True, text=True)
    assert final.returncode == 0 and files_of(out) == references["new"] and debris(out) == []
    print(f"\n{RUNS} interrupted renders: {dict(outcomes)}")


def test_after_kill_9_the_next_run_makes_the_directory_consistent_and_clean(setup, tmp_path):
    root, references, duration = setup
    out = tmp_path / "out"
    shutil.copytree(root / "old", out)
    left_debris = 0
    for run in range(KILL_RUNS):
        spec = ("new", "old")[run % 2]
        interrupted_render(root, spec, out, signal.SIGKILL, duration * (0.6 + 0.5 * run / (KILL_RUNS - 1)))
        left_debris += bool(debris(out))
        checked = subprocess.run([TAPGEN, "validate", out], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        assert files_of(out) in references.values() and debris(out) == []
    final = subprocess.run([TAPGEN, "render", "--spec", root / "new.yaml", "--out", out], capture_output=True, text=True)
    assert final.returncode == 0 and files_of(out) == references["new"] and debris(out) == []
    print(f"\n{KILL_RUNS} renders killed with SIGKILL, {left_debris} of them left staging debris")
