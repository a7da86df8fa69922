"""The auditor's map: every resource a safeguard names is in the rendered stack of each environment
that has it, every accepted finding and waivable rule weakens some safeguard, and out/COMPLIANCE.md
says so per environment."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from generator import __version__
from generator.compliance import SAFEGUARDS, sections
from generator.loader import load_spec
from generator.policy import SCANNER_EXCEPTIONS, WAIVABLE_RULES
from generator.stack import Stack

from .helpers import GOLDEN, OUT, SPECS
from .test_scan import checkov, scan  # noqa: F401 (checkov is a fixture)
from .test_stack_audit import resolved

CASES = {"standard": ("dev", "staging", "prod"), "shared_account": ("dev", "qa", "prod"),
         "new_region": ("staging", "prod"), "waivers": ("dev", "prod")}
ALL = [(case, env) for case, envs in CASES.items() for env in envs]


def blocks(stack: Stack) -> dict[str, dict]:
    """Resource and data-source blocks by address (``data.`` for data sources)."""
    return {("data." if block.kind == "data" else "") + ".".join(block.labels): block.body
            for block in stack.blocks() if block.kind in ("resource", "data")}


def has_instances(body: dict) -> bool:
    """Whether a block of a resolved copy has instances: count and the for_each gates are literals there."""
    if isinstance(body.get("count"), int):
        return body["count"] > 0
    return not str(body.get("for_each", "")).startswith("${false ?")


@pytest.mark.parametrize(("case", "name"), ALL)
def test_every_resource_a_safeguard_names_is_in_that_environments_stack(case, name):
    _, spec = load_spec(SPECS / f"{case}.yaml")
    env = spec.environments[name]
    found = blocks(resolved(case, name))
    for safeguard in SAFEGUARDS:
        for control in safeguard.controls:
            for address in control.addresses:
                assert address in found, f"{safeguard.citation} names {address}, which the stack does not have"
                if control.present(env):
                    assert has_instances(found[address]), f"{address} has no instance in {case}/{name}"


def test_a_control_whose_resources_are_gone_is_caught():
    stack = resolved("standard", "prod")
    assert has_instances(blocks(stack)["aws_cloudtrail.this"])
    assert not has_instances(blocks(resolved("standard", "dev"))["aws_cloudtrail.this"])
    assert not has_instances({"for_each": "${false ? local.audit_metric_filters : {}}"})
    assert "aws_cloudtrail.gone" not in blocks(stack)


def test_every_accepted_finding_weakens_a_safeguard_and_every_rule_is_mapped():
    # The state bucket's module holds no ePHI; its findings are in the skip ledger only.
    for exception in (e for e in SCANNER_EXCEPTIONS if e.module == "stack"):
        assert any(s.weakened_by(exception) for s in SAFEGUARDS), (exception.address, exception.checkov)
    mapped = {rule for s in SAFEGUARDS for rule in s.rules}
    assert mapped == set(WAIVABLE_RULES)


def test_the_map_covers_the_technical_safeguards_and_the_contingency_plan():
    citations = [s.citation for s in SAFEGUARDS]
    for part in ("164.312(a)(1)", "164.312(b)", "164.312(c)(1)", "164.312(d)", "164.312(e)(1)",
                 "164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)", "164.308(a)(7)(ii)(D)"):
        assert f"45 CFR {part}" in citations
    # Trivy's IDs beside Checkov's: every Trivy check tapgen accepts a finding of is mapped.
    mapped = {check for s in SAFEGUARDS for control in s.controls for check in control.trivy}
    assert all(re.fullmatch(r"AWS-\d{4}", check) for check in mapped)
    assert {check for e in SCANNER_EXCEPTIONS if e.module == "stack" for check in e.trivy} <= mapped


def test_waivers_and_findings_are_listed_where_they_weaken_with_their_reason():
    _, spec = load_spec(SPECS / "waivers.yaml")
    found = {s["safeguard"].citation: s["weakened"] for s in sections(spec.environments)}
    disaster_recovery = found["45 CFR 164.308(a)(7)(ii)(B)"]
    assert ("prod: waives multi_az (database.multi_az: true): single-AZ until the 2027 budget; restores are tested "
            "weekly") in disaster_recovery
    assert any(line.startswith("dev, prod: CKV_AWS_157 (RDS Multi-AZ) accepted on aws_db_instance.this")
               for line in disaster_recovery)
    assert any("waives log_retention" in line for line in found["45 CFR 164.312(b)"])
    _, spec = load_spec(SPECS / "shared_account.yaml")
    found = {s["safeguard"].citation: s["weakened"] for s in sections(spec.environments)}
    assert any(line.startswith("prod: waives dr_region") for line in found["45 CFR 164.308(a)(7)(ii)(B)"])


def test_each_environment_has_a_column_and_shared_trails_are_named():
    compliance = (GOLDEN / "shared_account" / "COMPLIANCE.md").read_text()
    assert "| control | resources | Checkov | Trivy | dev | qa | prod |" in compliance
    row = next(line for line in compliance.splitlines() if line.startswith("| Recorded by the trail"))
    assert row.endswith("| qa's trail | - | - |")
    row = next(line for line in compliance.splitlines() if line.startswith("| Object-level reads"))
    assert row.endswith("| in qa's trail | in its own trail | in its own trail |")


def test_out_has_the_map_of_the_default_spec():
    compliance = (OUT / "COMPLIANCE.md").read_text()
    assert compliance.startswith(f"<!-- Generated by tapgen {__version__} from environments.yaml.")
    headings = re.findall(r"^## (45 CFR [^:]+):", compliance, re.M)
    assert headings == [s.citation for s in SAFEGUARDS]
    assert "| AWS-0176 |" in compliance  # the Trivy column: IAM database authentication


def test_what_the_map_says_the_stack_leaves_open_is_listed_and_still_open():
    compliance = (OUT / "COMPLIANCE.md").read_text()
    for safeguard in SAFEGUARDS:
        section = compliance.split(f"## {safeguard.citation}:")[1].split("\n## ")[0]
        for line in safeguard.not_covered:
            assert f"\n- {line}\n" in section.split("Not covered by the stack")[1]
    # Each line stays true of the stack: a change that closes a gap must drop its line.
    found = blocks(resolved("standard", "prod"))
    assert "policy" not in found["aws_vpc_endpoint.interface"]
    assert found["aws_lb_target_group.app"]["protocol"] == "HTTP"
    assert not {a for a in found if a.startswith(("aws_ssm_document.", "aws_backup_vault_notifications.",
                                                   "aws_iam_user.", "aws_cloudwatch_event_rule."))}
    assert {safeguard.citation for safeguard in SAFEGUARDS if safeguard.not_covered} >= {
        "45 CFR 164.312(a)(1)", "45 CFR 164.312(b)", "45 CFR 164.312(e)(1)"}


@pytest.mark.slow
def test_every_checkov_check_the_map_names_runs_on_one_of_its_resources(checkov, tmp_path):  # noqa: F811
    """The map's Checkov IDs are checks Checkov evaluates (passes, fails or skips) on the control's
    own resources, in the resolved copies of the default spec."""
    for name in CASES["standard"]:
        scan.tapgen("render", "--resolve", name, "--spec", str(SPECS / "standard.yaml"), "--out", str(tmp_path / name))
    done = subprocess.run([checkov, "--directory", str(tmp_path), "--framework", "terraform", "--output", "json",
                           "--skip-download", "--soft-fail"], capture_output=True, text=True, cwd=tmp_path)
    report = json.loads(done.stdout)
    results = (report if isinstance(report, dict) else report[0])["results"]
    evaluated = {(check["check_id"], re.sub(r"\[.*\]$", "", check["resource"]))
                 for kind in ("passed_checks", "failed_checks", "skipped_checks") for check in results[kind]}
    for safeguard in SAFEGUARDS:
        for control in safeguard.controls:
            # Checkov names data sources without their "data." prefix.
            addresses = {address.removeprefix("data.") for address in control.addresses}
            for check in control.checkov:
                assert any((check, address) in evaluated for address in addresses), (safeguard.citation, check)
