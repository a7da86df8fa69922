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


def ledger(environments, module: str = "stack", keyed: bool = True) -> set[tuple[str, str]]:
    accepted = [e for e in SCANNER_EXCEPTIONS if e.module == module and e.reason_for(environments, keyed) is not None]
    return ({(e.address, e.checkov) for e in accepted if e.checkov}
            | {(e.trivy_address, check) for e in accepted for check in e.trivy})


def in_module(files: dict[str, str], module: str) -> dict[str, str]:
    return {name: text for name, text in files.items() if name.startswith("bootstrap/") == (module == "bootstrap")}


@pytest.mark.parametrize("spec_path", [DEFAULT_SPEC, *sorted(SPECS.glob("*.yaml"))], ids=lambda p: p.stem)
def test_the_ledger_lists_exactly_the_annotations_rendered(spec_path):
    source, spec = load_spec(spec_path)
    files = render_spec(spec, source)
    assert annotations(in_module(files, "stack")) == ledger(spec.environments)
    # The state bucket's annotations are the same in every environment, on the blocks the module
    # has (no key when the spec names one; nothing without a backend).
    bootstrap = in_module(files, "bootstrap")
    blocks = {f"{'data.' if kind == 'data' else ''}{type_}.{label}" for text in bootstrap.values()
              for kind, type_, label in re.findall(r'^(resource|data) "(\w+)" "(\w+)"', text, re.M)}
    assert annotations(bootstrap) == {(a, c) for a, c in ledger(spec.environments, "bootstrap") if a in blocks}
    for name, env in spec.environments.items():
        assert annotations(render_spec(spec, source, name)) == ledger({name: env}, keyed=False)


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


def test_the_first_deploy_steps_come_in_order_and_name_real_targets():
    section = README[README.index("## First deploy"):README.index("## Changing what tapgen generates")]
    steps = ["Terraform 1.10", "pipx install .", "aws sts get-caller-identity", "in the\n   stack's region",
             "make bootstrap", "init -migrate-state", "tapgen init", "make plan WORKSPACE=dev",
             "make apply WORKSPACE=dev", "| **total** |"]
    positions = [section.index(step) for step in steps]
    assert positions == sorted(positions)
    makefile = (ROOT / "Makefile").read_text()
    for target in sorted(set(re.findall(r"`make (\w+)", section))):
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert README.count("| **total** |") == 1  # the cost table is in one place
