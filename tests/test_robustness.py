"""Every bad spec gets a clear answer through the CLI: exit 2, a located message, nothing written."""

from __future__ import annotations

import builtins

import pytest

from .helpers import DEFAULT_SPEC, run_cli, snapshot

# The rest of the bad specs are files in tests/bad_specs/ (test_bad_specs.py); these are binary or huge.
BAD_SPECS = {
    "binary": (b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary file"),
    "not UTF-8": (b"project: caf\xe9\n", "not valid UTF-8"),
    "many megabytes": (b"# " + b"x" * (3 * 1024 * 1024) + b"\n", "larger than 2 MiB"),
}


@pytest.mark.parametrize("case", list(BAD_SPECS))
def test_bad_input_exits_2_with_a_located_message_and_writes_nothing(case, tmp_path):
    content, message = BAD_SPECS[case]
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = tmp_path / "out"
    run_cli("render", "--spec", DEFAULT_SPEC, "--out", out)
    before = snapshot(out)
    result = run_cli("render", "--spec", spec, "--out", out)
    assert result.exit_code == 2
    assert message in result.stderr and str(spec) in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(out) == before


def test_a_directory_or_an_unreadable_spec(tmp_path, monkeypatch):
    result = run_cli("render", "--spec", tmp_path, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "is a directory" in result.stderr
    locked = tmp_path / "locked.yaml"
    locked.write_text("project: x\n")
    real_open = builtins.open

    def refuse(file, *args, **kwargs):
        if str(file) == str(locked):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refuse)
    result = run_cli("render", "--spec", locked, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "cannot be read: Permission denied" in result.stderr


def test_standard_input_gets_the_same_answers():
    result = run_cli("render", "--spec", "-", "--out", "unused", input="- a list\n")
    assert result.exit_code == 2 and "<stdin>:1: the spec must be a mapping" in result.stderr


def test_a_misspelled_key_gets_a_suggestion_on_one_line():
    text = DEFAULT_SPEC.read_text().replace("    flow_logs: false\n", "    flow_log: false\n", 1)
    result = run_cli("render", "--spec", "-", "--out", "unused", input=text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "flow_log:" in row)
    assert f"<stdin>:{line}: environments.dev.flow_log: unknown key 'flow_log' (did you mean 'flow_logs'?)" \
        in result.stderr.splitlines()
