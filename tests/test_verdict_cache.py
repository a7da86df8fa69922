"""The verdict cache: a pass is remembered by the exact text, and nothing else is ever a pass."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from generator import checks, pipeline, provider_schema, speed
from generator.errors import OutputError

from .helpers import DEFAULT_SPEC, OUT, ROOT

STACK = {p.name: p.read_text() for p in sorted(OUT.glob("*.tf"))}
ENVIRONMENTS = ["dev", "staging", "prod"]


@pytest.fixture
def full_checks(monkeypatch):
    """How many times the output checks really ran."""
    runs = []
    real = checks.check_stack

    def counting(*args):
        runs.append(args)
        return real(*args)

    monkeypatch.setattr(checks, "check_stack", counting)
    return runs


def entries(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_pass_is_remembered_and_the_same_text_is_not_checked_again(empty_cache, full_checks):
    pipeline._check(STACK, "out", ENVIRONMENTS)
    pipeline._check(STACK, "out", ENVIRONMENTS)
    assert len(full_checks) == 1
    assert len(entries(empty_cache / "verdicts")) == 1


def test_a_different_environment_list_is_checked_again(empty_cache, full_checks):
    pipeline._check(STACK, "out", ENVIRONMENTS)
    with pytest.raises(OutputError, match="has workspaces"):
        pipeline._check(STACK, "out", ["dev", "prod"])
    pipeline._check(STACK, "out", None)  # what `tapgen validate` gives
    assert len(full_checks) == 3


PLANTED = {
    "a syntax error": ('  enable_dns_support   = true\n', '  enable_dns_support   = \n', "not valid HCL"),
    "a dangling reference": ("vpc_id = aws_vpc.this.id", "vpc_id = aws_vpc.thus.id", "undeclared aws_vpc.thus"),
    "an unknown argument": ("  enable_dns_support   = true\n", "  enable_dns_supprt   = true\n",
                            "unknown argument enable_dns_supprt"),
}


@pytest.mark.parametrize("old, new, message", PLANTED.values(), ids=PLANTED)
def test_an_error_planted_among_cached_neighbours_still_fails(empty_cache, old, new, message):
    pipeline._check(STACK, "out", ENVIRONMENTS)  # every piece and the whole stack's pass cached
    assert old in STACK["tap_stack.tf"]
    planted = {**STACK, "tap_stack.tf": STACK["tap_stack.tf"].replace(old, new, 1)}
    for _ in range(2):  # and a failure is never remembered as a pass
        with pytest.raises(OutputError, match=message):
            pipeline._check(planted, "out", ENVIRONMENTS)
    assert len(entries(empty_cache / "verdicts")) == 1


def failing_stack():
    return {**STACK, "outputs.tf": STACK["outputs.tf"].replace("aws_vpc.this.id", "aws_vpc.gone.id", 1)}


@pytest.mark.parametrize("damage", [
    lambda data: b"",
    lambda data: data[:-1],
    lambda data: data[:20],
    lambda data: data[:-1] + b"X",
    lambda data: bytes(32) + speed.PASSED,
    lambda data: b"\xff" * len(data),
    lambda data: hashlib.sha256(b"passes").digest() + b"passes",
], ids=["empty", "truncated", "cut in the checksum", "changed", "zero checksum", "garbage", "not a pass"])
def test_a_damaged_entry_means_a_full_check(empty_cache, full_checks, damage):
    pipeline._check(STACK, "out", ENVIRONMENTS)
    [entry] = (empty_cache / "verdicts").iterdir()
    good = entry.read_bytes()
    # The same damage under the key of a failing stack must not make it pass...
    failing = failing_stack()
    planted = empty_cache / "verdicts" / speed.verdict_key(failing, ENVIRONMENTS)
    planted.write_bytes(damage(good))
    with pytest.raises(OutputError, match="undeclared aws_vpc.gone"):
        pipeline._check(failing, "out", ENVIRONMENTS)
    # ...and under a passing stack's key the checks run again and store a good entry.
    entry.write_bytes(damage(good))
    pipeline._check(STACK, "out", ENVIRONMENTS)
    assert len(full_checks) == 3
    assert entry.read_bytes() == good


def test_an_unreadable_entry_means_a_full_check(empty_cache, full_checks):
    pipeline._check(STACK, "out", ENVIRONMENTS)
    [entry] = (empty_cache / "verdicts").iterdir()
    entry.unlink()
    entry.mkdir()  # reading it fails with IsADirectoryError
    pipeline._check(STACK, "out", ENVIRONMENTS)
    assert len(full_checks) == 2


def test_without_a_writable_cache_every_check_runs_and_is_right(unwritable_cache, full_checks):
    for _ in range(2):
        pipeline._check(STACK, "out", ENVIRONMENTS)
        with pytest.raises(OutputError):
            pipeline._check(failing_stack(), "out", ENVIRONMENTS)
    assert len(full_checks) == 4


def test_a_failing_write_is_no_failure_and_leaves_no_entry(empty_cache, full_checks, monkeypatch):
    def no_space(src, dst):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(speed.os, "replace", no_space)
        pipeline._check(STACK, "out", ENVIRONMENTS)
    assert entries(empty_cache / "verdicts") == []  # the staging file was removed as well
    pipeline._check(STACK, "out", ENVIRONMENTS)
    assert len(full_checks) == 2


def test_the_key_covers_every_input(tmp_path, monkeypatch):
    key = speed.verdict_key(STACK, ENVIRONMENTS)
    assert key == speed.verdict_key(dict(STACK), list(ENVIRONMENTS))
    others = {
        "a byte of a file": {**STACK, "outputs.tf": STACK["outputs.tf"] + " "},
        "a file's name": {("x" + n if n == "outputs.tf" else n): t for n, t in STACK.items()},
        "one file fewer": {n: t for n, t in STACK.items() if n != "outputs.tf"},
        # moving text from one file to the next changes no concatenation, but must change the key
        "text moved between files": {**STACK, "outputs.tf": STACK["outputs.tf"][:-1],
                                     "provider.tf": "}" + STACK["provider.tf"]},
    }
    for what, texts in others.items():
        assert speed.verdict_key(texts, ENVIRONMENTS) != key, what
    assert speed.verdict_key(STACK, ["dev", "staging"]) != key
    assert speed.verdict_key(STACK, None) != key
    assert speed.verdict_key(STACK, []) != speed.verdict_key(STACK, None)

    monkeypatch.setattr(speed, "__version__", "0.0.0-other")
    assert speed.verdict_key(STACK, ENVIRONMENTS) != key


def test_the_key_changes_with_the_schema(tmp_path, monkeypatch):
    key = speed.verdict_key(STACK, ENVIRONMENTS)
    schema = tmp_path / "schema.tsv"
    schema.write_bytes(speed.SCHEMA.read_bytes() + b"\n")
    monkeypatch.setattr(speed, "SCHEMA", schema)
    assert speed.verdict_key(STACK, ENVIRONMENTS) != key
    schema.unlink()
    assert speed.verdict_key(STACK, ENVIRONMENTS) is None  # no schema to key by: no caching


@pytest.mark.parametrize("module", speed.CHECKER_MODULES)
def test_the_key_changes_with_the_checkers_code(tmp_path, monkeypatch, module):
    key = speed.verdict_key(STACK, ENVIRONMENTS)
    copy = tmp_path / "generator"
    shutil.copytree(speed.HERE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(speed, "HERE", copy)
    assert speed.verdict_key(STACK, ENVIRONMENTS) == key  # the same code, elsewhere
    with open(copy / module, "a") as handle:
        handle.write("\n# edited\n")
    assert speed.verdict_key(STACK, ENVIRONMENTS) != key


def test_the_key_changes_with_the_parser_version(tmp_path, monkeypatch):
    key = speed.verdict_key(STACK, ENVIRONMENTS)
    fake = tmp_path / "hcl2"
    fake.mkdir()
    (fake / "version.py").write_text("__version__ = version = '8.9.9'\n")
    real_find_spec = speed.find_spec

    def find_spec(name):
        spec = real_find_spec(name)
        if name == "hcl2":
            spec = type(spec)(name, None, is_package=True)
            spec.submodule_search_locations = [str(fake)]
        return spec

    monkeypatch.setattr(speed, "find_spec", find_spec)
    assert speed.verdict_key(STACK, ENVIRONMENTS) != key


# Renders in a process of its own, then reports which modules were imported.
PROBE = """
import json, sys
from generator import cli
try:
    cli.main(sys.argv[1:])
except SystemExit as done:
    code = done.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def probe(*args, cache):
    done = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "TAPGEN_CACHE_DIR": str(cache)})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    return report["code"], {name.split(".")[0] for name in report["modules"]}


def test_an_unchanged_render_never_imports_the_parser(tmp_path):
    cache, out = tmp_path / "cache", tmp_path / "out"
    render = ("render", "--spec", DEFAULT_SPEC, "--out", out)
    code, first = probe(*render, cache=cache)
    assert code in (0, None) and {"hcl2", "lark"} <= first  # the probe sees the parser when it is used
    for args in (render, ("render", "--check", "--spec", DEFAULT_SPEC, "--out", out)):
        code, modules = probe(*args, cache=cache)
        assert code in (0, None)
        assert not {"hcl2", "lark"} & modules, args
    code, modules = probe("validate", out, cache=cache)  # validate gives no environments: its own verdict
    assert {"hcl2", "lark"} <= modules
    code, modules = probe("validate", out, cache=cache)
    assert code in (0, None) and not {"hcl2", "lark"} & modules


def test_the_key_covers_the_schema_the_checks_read_and_every_module_they_import():
    """A renamed schema or a new checker module must not leave verdicts keyed by stale inputs."""
    assert speed.SCHEMA.name == provider_schema.SCHEMA_FILE and speed.SCHEMA.is_file()
    package = speed.HERE
    seen, todo = set(), ["checks"]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        text = (package / f"{module}.py").read_text(encoding="utf-8")
        todo += re.findall(r"^\s*from \.(\w+) import", text, re.M)
    # Messages only (how a problem is worded, not whether there is one).
    assert {f"{m}.py" for m in seen - {"errors", "unseen"}} <= set(speed.CHECKER_MODULES)
