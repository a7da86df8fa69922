"""`tapgen init`'s deploy-time inputs: vars/<env>.tfvars.example, from the stack's variables."""

from __future__ import annotations

from generator.deploy_inputs import tfvars_example
from generator.hcl_parser import parse
from generator.loader import load_spec
from generator.stack import Stack

from .helpers import DEFAULT_SPEC, OUT, SPECS, run_cli

VARIABLES_TF = (OUT / "variables.tf").read_text()


def test_init_writes_an_example_per_environment_beside_the_spec_and_never_overwrites(tmp_path):
    spec = tmp_path / "infra" / "environments.yaml"
    spec.parent.mkdir()
    done = run_cli("init", spec)
    assert done.exit_code == 0, done.output
    vars_dir = spec.parent / "vars"
    assert sorted(p.name for p in vars_dir.iterdir()) == ["dev.tfvars.example", "prod.tfvars.example"]
    (vars_dir / "dev.tfvars.example").write_text("mine")
    (vars_dir / "prod.tfvars.example").unlink()
    done = run_cli("init", spec)
    assert done.exit_code == 0 and f"kept {vars_dir / 'dev.tfvars.example'}" in done.stderr
    assert (vars_dir / "dev.tfvars.example").read_text() == "mine"
    assert (vars_dir / "prod.tfvars.example").is_file()


def test_init_on_an_existing_spec_writes_the_examples_of_its_environments(tmp_path):
    spec = tmp_path / "environments.yaml"
    spec.write_text(DEFAULT_SPEC.read_text())
    assert run_cli("init", spec).exit_code == 0
    assert sorted(p.name for p in (tmp_path / "vars").iterdir()) == [
        "dev.tfvars.example", "prod.tfvars.example", "staging.tfvars.example"]
    assert spec.read_text() == DEFAULT_SPEC.read_text()


def test_every_variable_is_described_and_only_required_ones_are_set(tmp_path):
    spec = tmp_path / "environments.yaml"
    run_cli("init", spec)
    text = (tmp_path / "vars" / "prod.tfvars.example").read_text()
    variables = [b.labels[0] for b in Stack({"variables.tf": VARIABLES_TF}).blocks("variable")]
    for name in variables:
        assert f"\n# {name}" in text
    # Terraform reads it as a tfvars file: the required input is set, the rest keep their defaults.
    assert {k: v for k, v in parse(text).items() if not k.startswith("__")} == {"certificate_arn": "arn:aws:acm:us-west-2:123456789012:certificate/"
                                                   "00000000-0000-0000-0000-000000000000"}
    assert "# alarm_email = null" in text and '# allowed_ingress_cidrs = ["0.0.0.0/0"]' in text
    assert "make plan WORKSPACE=prod" in text
    assert max(len(line) for line in text.splitlines()) <= 110


def test_the_certificate_is_asked_for_in_the_stacks_region(write_spec):
    _, spec = load_spec(SPECS / "new_region.yaml")
    text = tfvars_example(spec, next(iter(spec.environments)), VARIABLES_TF)
    assert f"An ACM certificate in {spec.region}, the stack's region" in text
    assert f'certificate_arn = "arn:aws:acm:{spec.region}:' in text


def test_a_new_variable_appears_with_its_description(write_spec):
    _, spec = load_spec(write_spec())
    extra = VARIABLES_TF + '\nvariable "backup_vault_arn" {\n  description = "The vault."\n  type = string\n}\n'
    text = tfvars_example(spec, "dev", extra)
    assert '# backup_vault_arn (required): The vault.\nbackup_vault_arn = ""\n' in text
