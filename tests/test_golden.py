"""The committed out/ is the golden record of environments.yaml."""

import os
import subprocess
import sys

from generator.pipeline import render_files, stale
from generator.writer import unified_diff

from .helpers import DEFAULT_SPEC, OUT, ROOT


def test_committed_out_is_current():
    pending = stale(DEFAULT_SPEC, OUT)
    assert not pending, "out/ is stale; run `make render`.\n" + unified_diff(pending, OUT)


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
