"""The README's promises: its two set-up commands are real, and every Checkov skip is explained."""

import re

from generator.loader import load_spec
from generator.pipeline import render_spec

from .helpers import DEFAULT_SPEC, OUT, ROOT

README = (ROOT / "README.md").read_text()


def skipped_checks(texts) -> set[str]:
    return {m.group(1) for text in texts for m in re.finditer(r"#checkov:skip=(\w+):", text)}


def test_every_skip_in_any_rendering_is_in_the_readme_table():
    source, spec = load_spec(DEFAULT_SPEC)
    texts = [p.read_text() for p in OUT.glob("*.tf")]
    for environment in spec.environments:
        texts += render_spec(spec, source, environment).values()
    table = README[README.index("| check | environments |"):]
    documented = set(re.findall(r"\b(CKV2?_AWS_\d+)\b", table.split("\n\n")[0]))
    assert skipped_checks(texts) == documented


def test_the_set_up_commands_are_make_targets_and_ci_runs_the_test_one():
    setup = README[README.index("## Set up a fresh clone"):README.index("## A minimal spec")]
    commands = re.findall(r"^(make \w+)", setup, re.M)
    assert commands == ["make render", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert all(re.search(rf"^{c.split()[1]}:", makefile, re.M) for c in commands)
    assert "\nmake test\n" in (ROOT / ".ci" / "run").read_text()
