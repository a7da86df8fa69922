"""The README's promises: its two set-up commands are real, and every scanner annotation is in the ledger."""

import re
import sys

import pytest

from generator.loader import load_spec
from generator.pipeline import render_spec
from generator.policy import SCANNER_EXCEPTIONS

from .helpers import DEFAULT_SPEC, ROOT, SPECS

sys.path.insert(0, str(ROOT / "tools"))
import update_readme  # noqa: E402

README = (ROOT / "README.md").read_text()


def annotations(files: dict[str, str]) -> set[tuple[str, str]]:
    """(block address, check) for every scanner annotation in rendered files: Checkov skips inside
    a block, Trivy ignores on the lines directly above it (a line between would detach them)."""
    found = set()
    for text in files.values():
        address, pending = None, []
        for line in text.splitlines():
            header = re.match(r'(resource|data) "(\w+)" "(\w+)" \{', line)
            if header:
                kind, type_, label = header.groups()
                address = f"{'data.' if kind == 'data' else ''}{type_}.{label}"
                found.update((address, check) for check in pending)
            ignore = re.match(r"#trivy:ignore:(AWS-\d{4}) \S", line)
            pending = [*pending, ignore.group(1)] if ignore else []
            skip = re.match(r"\s*#checkov:skip=(\w+):", line)
            if skip:
                found.add((address, skip.group(1)))
    return found


def ledger(environments) -> set[tuple[str, str]]:
    accepted = [e for e in SCANNER_EXCEPTIONS if e.reason_for(environments) is not None]
    return ({(e.address, e.checkov) for e in accepted if e.checkov}
            | {(e.trivy_address, check) for e in accepted for check in e.trivy})


@pytest.mark.parametrize("spec_path", [DEFAULT_SPEC, *sorted(SPECS.glob("*.yaml"))], ids=lambda p: p.stem)
def test_the_ledger_lists_exactly_the_annotations_rendered(spec_path):
    source, spec = load_spec(spec_path)
    assert annotations(render_spec(spec, source)) == ledger(spec.environments)
    for name, env in spec.environments.items():
        assert annotations(render_spec(spec, source, name)) == ledger({name: env})


def test_the_readme_ledger_is_current():
    assert update_readme.main(["--check"]) == 0, "run `make readme`"
    ledger_text = README[README.index("<!-- ledger:start -->"):README.index("<!-- ledger:end -->")]
    assert "| CKV_AWS_293 | AWS-0177 | RDS deletion protection |" in ledger_text
    assert "| - | AWS-0053 | load balancer not public |" in ledger_text


def test_the_set_up_commands_are_make_targets_and_ci_runs_the_test_one():
    setup = README[README.index("## Set up a fresh clone"):README.index("## A minimal spec")]
    commands = re.findall(r"^(make \w+)", setup, re.M)
    assert commands == ["make render", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert all(re.search(rf"^{c.split()[1]}:", makefile, re.M) for c in commands)
    assert "\nmake test\n" in (ROOT / ".ci" / "run").read_text()
