"""Every spec in tests/bad_specs/ through the CLI: exit 2, exactly the expected message, nothing written.

Each ``<case>.yaml`` sits beside ``<case>.expected``: the whole of stderr, with the spec's path
written as ``SPEC`` and this folder's as ``BAD_SPECS`` (files a spec names, such as user_data/). ``TAPGEN_UPDATE_BAD_SPECS=1`` rewrites the expected files from what tapgen
prints now (review the diff before committing it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .helpers import DEFAULT_SPEC, run_cli, snapshot

BAD_SPECS = Path(__file__).parent / "bad_specs"
CASES = sorted(path.stem for path in BAD_SPECS.glob("*.yaml"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """An out/ rendered from the default spec, copied for each case to compare against."""
    out = tmp_path_factory.mktemp("rendered") / "out"
    assert run_cli("render", "--spec", DEFAULT_SPEC, "--out", out).exit_code == 0
    return out


def test_there_are_cases_and_each_has_its_expected_message():
    assert CASES
    assert sorted(path.stem for path in BAD_SPECS.glob("*.expected")) == CASES


@pytest.mark.parametrize("case", CASES)
def test_bad_spec(case, rendered, tmp_path):
    spec = BAD_SPECS / f"{case}.yaml"
    out = tmp_path / "out"
    shutil.copytree(rendered, out)
    before = snapshot(out)
    result = run_cli("render", "--spec", spec, "--out", out)
    stderr = result.stderr.replace(str(spec), "SPEC").replace(str(BAD_SPECS), "BAD_SPECS")
    expected_file = BAD_SPECS / f"{case}.expected"
    if os.environ.get("TAPGEN_UPDATE_BAD_SPECS"):
        expected_file.write_text(stderr, encoding="utf-8")
    assert result.exit_code == 2, result.output
    assert stderr == expected_file.read_text(encoding="utf-8")
    assert "Traceback" not in result.output
    assert snapshot(out) == before
