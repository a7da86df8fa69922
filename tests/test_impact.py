"""What a render does to the infrastructure, told (and in production refused) before it writes.

The provider facts are checked against the documents they cite; the behaviour goes through the
CLI: render the standard spec, change one thing, render again.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from generator import impact
from generator.impact import FORCE_NEW, IN_PLACE, REGION, RETENTION, Citation
from generator.stack import Stack
from generator.stateful import STATEFUL_TYPES

from .helpers import DEFAULT_SPEC, GOLDEN, MINIMAL_SPEC, OUT, ROOT, STANDARD_SPEC, run_cli, snapshot

FACTS = ROOT / "tests" / "data" / "provider_facts"
PROD_CIDR = "    vpc_cidr: 10.30.0.0/16\n"


def excerpt(cited: Citation) -> str:
    text = (FACTS / cited.excerpt).read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# source: {cited.url}", cited.excerpt
    assert cited.quote in text, (cited.excerpt, cited.quote)
    return text


def entry(text: str, key_line: str) -> str:
    """A Go schema entry: from its key to the closing brace at the key's indentation."""
    start = text.index(key_line)
    indent = text[text.rindex("\n", 0, start) + 1:start]
    end = text.index(f"\n{indent}}},", start)
    return text[start:end]


@pytest.mark.parametrize("fact", FORCE_NEW, ids=lambda f: f"{f.type}.{f.argument}")
def test_each_force_new_fact_is_stated_by_the_document_it_cites(fact):
    text = excerpt(fact.cited)
    if fact.cited.excerpt.endswith(".md.txt"):  # documentation: "`arg` - (..., Forces new resource)"
        assert fact.cited.quote == f"`{fact.argument}` - ({fact.cited.quote.split('(', 1)[1]}"
        assert re.search(rf"^\* `{fact.argument}` - \([^)]*Forces new resource\)", text, re.M)
    else:  # provider source: the schema entry of the argument says ForceNew: true
        key = fact.cited.quote.removesuffix(": {")
        named = key.strip('"') == fact.argument or (
            key.startswith("names.Attr") and key.removeprefix("names.Attr").lower() == fact.argument.replace("_", ""))
        assert named, (key, fact.argument)
        assert re.search(r"\bForceNew:\s+true,", entry(text, fact.cited.quote))


def test_the_arguments_believed_to_replace_that_do_not_and_the_region_rule_are_cited():
    for (_, argument), cited in IN_PLACE.items():
        assert f"`{argument}`" in excerpt(cited)
    assert "will force resource replacement" in excerpt(REGION)


@pytest.mark.parametrize("fact", RETENTION, ids=lambda f: f"{f.type}.{'.'.join(f.path)}")
def test_each_retention_fact_is_stated_by_the_aws_document_it_cites(fact):
    excerpt(fact.cited)


def generated_types() -> set[str]:
    types = set()
    for directory in [OUT, *sorted(p for p in GOLDEN.iterdir() if p.is_dir())]:
        text = (directory / "tap_stack.tf").read_text()
        types |= set(re.findall(r'^resource "(\w+)" "\w+"', text, re.M))
    return types


def test_every_stateful_type_tapgen_generates_has_its_force_new_facts():
    """A resource type that holds data and has no facts would be replaced without a word; add
    its ForceNew arguments (with their source) to generator/impact.py when a template adds one."""
    covered = {fact.type for fact in FORCE_NEW}
    assert generated_types() & STATEFUL_TYPES <= covered, sorted(generated_types() & STATEFUL_TYPES - covered)


# -- through the CLI --------------------------------------------------------------------------------


@pytest.fixture
def stack(tmp_path):
    """A rendered copy of the standard spec; call it with (old, new) edits to render again."""
    spec, out = tmp_path / "spec.yaml", tmp_path / "out"
    spec.write_text(STANDARD_SPEC.read_text())
    assert run_cli("render", "--spec", spec, "--out", out).exit_code == 0

    def render(*edits: tuple[str, str], args: tuple[str, ...] = ()):
        text = spec.read_text()
        for old, new in edits:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        spec.write_text(text)
        return run_cli("render", "--spec", spec, "--out", out, *args)

    render.out = out
    return render


def test_renaming_the_project_is_refused_in_production_and_nothing_is_written(stack):
    before = snapshot(stack.out)
    result = stack(("project: healthcare-app", "project: healthcare-ops"))
    assert result.exit_code == 1
    assert snapshot(stack.out) == before
    report = result.stderr
    assert '  prod (production):\n    project: "healthcare-app" -> "healthcare-ops"\n' in report
    assert "REPLACED, DATA LOST: aws_s3_bucket.alb_logs, aws_s3_bucket.audit (bucket forces a new resource)" in report
    assert ("REPLACED, DATA LOST: aws_cloudwatch_log_group.this, aws_cloudwatch_log_group.audit, "
            "aws_backup_vault.this, aws_backup_vault.dr (name forces a new resource)") in report
    assert "aws_db_subnet_group.this" in report and "renamed in place" in report  # identifier is not ForceNew
    assert (f"{stack.out}/: environments.prod: would replace or destroy stateful resources: "
            "aws_backup_vault.dr, aws_backup_vault.this, aws_cloudwatch_log_group.audit, "
            "aws_cloudwatch_log_group.this, aws_s3_bucket.alb_logs, aws_s3_bucket.audit (if that is "
            "intended, rerun with --allow-replace prod)") in report
    assert "refused: nothing was written" in report
    assert "environments.dev:" not in report.split("refused")[0].split("What Terraform")[0]


def test_allow_replace_names_the_environment_that_may_lose_data(stack):
    refused = stack(("project: healthcare-app", "project: healthcare-ops"), args=("--allow-replace", "staging"))
    assert refused.exit_code == 1
    allowed = stack(args=("--allow-replace", "prod"))
    assert allowed.exit_code == 0, allowed.stderr
    assert "REPLACED, DATA LOST: aws_s3_bucket.alb_logs" in allowed.stderr
    assert '"healthcare-ops"' in (stack.out / "tap_stack.tf").read_text()


def test_turning_production_off_in_the_same_render_does_not_unlock_a_loss(stack):
    result = stack(("project: healthcare-app", "project: healthcare-ops"),
                   ("    kms_deletion_window_days: 30\n", "    kms_deletion_window_days: 30\n    production: false\n"
                    "    waivers: {production: a load-test copy with synthetic data only}\n"))
    assert result.exit_code == 1
    assert "environments.prod: would replace or destroy stateful resources" in result.stderr


NOT_PRODUCTION = ("    kms_deletion_window_days: 30\n", "    kms_deletion_window_days: 30\n    production: false\n"
                  "    waivers: {production: a load-test copy with synthetic data only}\n    audit: {trail: true}\n")


def test_becoming_production_turns_object_lock_on_which_replaces_the_audit_bucket(stack):
    """Object Lock is set only when a bucket is created: production's trail bucket is a new bucket."""
    assert stack(NOT_PRODUCTION, args=("--allow-replace", "prod")).exit_code == 0
    result = stack(NOT_PRODUCTION[::-1])
    assert result.exit_code == 1
    assert "    audit_object_lock: false -> true\n" in result.stderr
    assert ("      REPLACED, DATA LOST: aws_s3_bucket.audit (object_lock_enabled forces a new resource)\n"
            in result.stderr)
    assert "environments.prod: would replace or destroy stateful resources: aws_s3_bucket.audit (" in result.stderr


def test_a_new_vpc_range_replaces_the_network_and_puts_the_database_at_risk(stack):
    result = stack((PROD_CIDR, "    vpc_cidr: 10.31.0.0/16\n"))
    assert result.exit_code == 1
    report = result.stderr
    assert 'vpc_cidr: "10.30.0.0/16" -> "10.31.0.0/16"' in report
    assert re.search(r"replaced: [^\n]*aws_vpc\.this[^\n]*\(cidr_block forces a new resource\)", report)
    assert ("replaced: aws_security_group.alb, aws_security_group.app, aws_security_group.db, "
            "aws_security_group.vpc_endpoints, aws_lb_target_group.app (vpc_id forces a new resource and refers "
            "to aws_vpc.this, replaced)") in report
    assert "AT RISK, STATEFUL: aws_db_instance.this (it cannot move into the new VPC with its subnets)" in report


def test_outside_production_a_replacement_is_written_with_the_warning(stack):
    result = stack(("    vpc_cidr: 10.10.0.0/16\n", "    vpc_cidr: 10.11.0.0/16\n"))
    assert result.exit_code == 0, result.stderr
    assert "  dev:\n    vpc_cidr:" in result.stderr and "aws_vpc.this" in result.stderr
    assert "10.11.0.0/16" in (stack.out / "tap_stack.tf").read_text()


def test_fewer_zones_destroy_the_subnets_of_the_dropped_zones_without_renumbering_the_others(stack):
    result = stack(("    availability_zones: 3\n", "    availability_zones: 2\n"))
    assert result.exit_code == 0, result.stderr  # subnets hold no data: told, not refused
    [line] = [line for line in result.stderr.splitlines() if "az_count" in line]
    assert line.strip() == "az_count: 3 -> 2"
    destroyed = next(line for line in result.stderr.splitlines() if line.strip().startswith("destroyed:"))
    assert "aws_subnet.app" in destroyed and "aws_nat_gateway.this" in destroyed
    assert "replaced: aws_subnet" not in result.stderr  # the kept zones' subnets keep their ranges
    assert "RDS refuses to take its subnet out of the subnet group" in result.stderr


def test_turning_flow_logs_off_destroys_their_log_group(stack):
    result = stack(("    log_retention_days: 90\n    flow_logs: true\n", "    log_retention_days: 90\n    flow_logs: false\n"))
    assert result.exit_code == 0, result.stderr  # staging is not production
    assert "flow_logs_enabled: true -> false" in result.stderr
    assert "DESTROYED, DATA LOST: aws_cloudwatch_log_group.this" in result.stderr


def test_a_major_version_replaces_the_parameter_group_only(stack):
    result = stack(("      deletion_protection: true\n    log_retention_days: 365",
                    '      deletion_protection: true\n      engine_version: "17"\n    log_retention_days: 365'))
    assert result.exit_code == 0, result.stderr
    assert 'db_engine_version: "16" -> "17": updated in place' in result.stderr
    assert "replaced: aws_db_parameter_group.this (family forces a new resource)" in result.stderr
    assert "A major version upgrade" in result.stderr


LOGS = "    log_retention_days: 365\n"


def test_a_shorter_log_retention_in_production_is_refused_as_data_loss(stack):
    """An update in place the plan guard cannot see: CloudWatch Logs and S3 delete what is older."""
    assert stack((LOGS, "    log_retention_days: 3653\n")).exit_code == 0  # longer: nothing is lost
    before = snapshot(stack.out)
    result = stack(("    log_retention_days: 3653\n", LOGS))
    assert result.exit_code == 1
    assert snapshot(stack.out) == before
    assert "    log_retention_days: 3653 -> 365\n" in result.stderr
    assert ("      OLDER DATA DELETED: aws_cloudwatch_log_group.this (a shorter retention_in_days: CloudWatch Logs "
            "deletes the log events older than the new retention (https://docs.aws.amazon.com/AmazonCloudWatchLogs/"
            "latest/APIReference/API_PutRetentionPolicy.html))\n") in result.stderr
    assert ("      OLDER DATA DELETED: aws_s3_bucket.alb_logs (a shorter rule.expiration.days: S3 expires the objects already older "
            "than the new period (") in result.stderr
    assert ("environments.prod: would delete the data older than a shorter retention in aws_cloudwatch_log_group.this, "
            "aws_s3_bucket.alb_logs (if that is intended, rerun with --allow-replace prod)") in result.stderr
    assert stack(args=("--allow-replace", "prod")).exit_code == 0


def test_a_shorter_audit_retention_deletes_the_trail_s_log_group_events_and_files(stack):
    prod = "    account_id: \"222222222222\""
    assert stack((prod, prod + "\n    audit: {retention_days: 3653}")).exit_code == 0
    result = stack(("audit: {retention_days: 3653}", "audit: {retention_days: 2192}"))
    assert result.exit_code == 1
    assert "    audit_retention_days: 3653 -> 2192\n" in result.stderr
    assert ("would delete the data older than a shorter retention in aws_cloudwatch_log_group.audit, "
            "aws_s3_bucket.audit (") in result.stderr


def test_a_shorter_database_backup_retention_is_refused_and_outside_production_told(stack):
    prod, cut = "      backup_retention_days: 7\n      multi_az: true", "      backup_retention_days: 3\n      multi_az: true"
    result = stack((prod, cut))
    assert result.exit_code == 1
    assert ("      OLDER DATA DELETED: aws_db_instance.this (a shorter backup_retention_period: RDS keeps automated "
            "backups (and point-in-time restore) only for the new period (https://docs.aws.amazon.com/AmazonRDS/latest/"
            "UserGuide/USER_WorkingWithAutomatedBackups.html))\n") in result.stderr
    staging = stack((cut, prod),  # prod's cut undone
                    ("    log_retention_days: 90\n", "    log_retention_days: 30\n"))
    assert staging.exit_code == 0, staging.stderr  # not production: written, with the warning
    assert "  staging:\n    log_retention_days: 90 -> 30\n      OLDER DATA DELETED: " in staging.stderr
    assert "OLDER DATA DELETED: aws_cloudwatch_log_group.this (" in staging.stderr


def test_settings_that_change_in_place_say_so(stack):
    result = stack(("    instance_type: m6i.large\n", "    instance_type: m6i.xlarge\n"))
    assert result.exit_code == 0
    assert '    instance_type: "m6i.large" -> "m6i.xlarge": updated in place' in result.stderr


def test_a_new_region_replaces_every_regional_resource(stack):
    result = stack(("region: us-west-2", "region: eu-west-1"))
    assert result.exit_code == 1
    losses = result.stderr.split("would replace or destroy stateful resources: ")[1].split(" (")[0]
    # The second region's vault and key stay where they are (their provider's region is dr_region).
    assert losses.split(", ") == ["aws_backup_vault.this", "aws_cloudwatch_log_group.audit",
                                  "aws_cloudwatch_log_group.this", "aws_db_instance.this", "aws_kms_key.audit",
                                  "aws_kms_key.backup", "aws_kms_key.data", "aws_kms_key.database_logs",
                                  "aws_kms_key.logs", "aws_s3_bucket.alb_logs", "aws_s3_bucket.audit"]
    assert "aws_iam_role.app" not in result.stderr  # IAM is global


def test_a_new_dr_region_replaces_what_the_second_region_holds(stack):
    """The aws.dr provider's region is backup.dr_region: moving it replaces the DR vault and key."""
    result = stack(("backup: {dr_region: us-east-2}", "backup: {dr_region: us-east-1}"))
    assert result.exit_code == 1
    assert '    backup_dr_region: "us-east-2" -> "us-east-1"\n' in result.stderr
    assert (f"      REPLACED, DATA LOST: aws_kms_key.backup_dr, aws_backup_vault.dr (its provider aws.dr moves to "
            f"another region ({REGION.url}))\n") in result.stderr
    assert "replaced: aws_kms_alias.backup_dr, aws_backup_vault_lock_configuration.dr (its provider aws.dr" in result.stderr
    assert ("environments.prod: would replace or destroy stateful resources: aws_backup_vault.dr, "
            "aws_kms_key.backup_dr (") in result.stderr
    assert "aws_backup_vault.this" not in result.stderr  # the primary region stays


def test_a_first_dr_region_creates_the_copy_and_replaces_nothing(stack):
    result = stack(("    backup: {retention_days: 14}\n", "    backup: {retention_days: 14, dr_region: us-east-1}\n"))
    assert result.exit_code == 0, result.stderr
    assert '    backup_dr_region: (none) -> "us-east-1": updated in place\n' in result.stderr
    assert "REPLACED" not in result.stderr and "replaced:" not in result.stderr


def test_a_first_account_binding_is_only_a_provider_setting_but_a_new_account_is_explained(stack):
    result = stack(('    account_id: "111111111111"     # PLACEHOLDER: your dev AWS account\'s ID\n', ""))
    assert result.exit_code == 0
    assert 'account_id: "111111111111" -> (none): updated in place' in result.stderr
    result = stack(("    kms_deletion_window_days: 7\n", '    kms_deletion_window_days: 7\n    account_id: "121212121212"\n'))
    assert 'account_id: (none) -> "121212121212": updated in place' in result.stderr
    assert "old account" not in result.stderr
    result = stack(('    account_id: "121212121212"\n', '    account_id: "131313131313"\n'))
    assert "Terraform finds none of them and plans to create everything again" in result.stderr


def test_an_environment_dropped_from_the_spec_is_explained(stack):
    text = STANDARD_SPEC.read_text()
    staging = text[text.index("  staging:"):text.index("  prod:")]
    result = stack((staging, ""))
    assert result.exit_code == 0
    assert "  staging:\n    no longer in the spec: its workspace stops planning" in result.stderr


def test_render_check_reports_the_impact_beside_its_diff(stack):
    before = snapshot(stack.out)
    result = stack(("project: healthcare-app", "project: healthcare-ops"), args=("--check",))
    assert result.exit_code == 1
    assert '+  project = "healthcare-ops"' in result.stdout
    assert "REPLACED, DATA LOST: aws_s3_bucket.alb_logs" in result.stderr
    assert "is stale" in result.stderr
    assert snapshot(stack.out) == before


def test_a_first_render_and_an_unchanged_one_say_nothing(tmp_path, stack):
    assert "What Terraform will do" not in run_cli("render", "--spec", STANDARD_SPEC, "--out", tmp_path / "new").stderr
    assert "What Terraform will do" not in stack().stderr


def conflicted(path: Path) -> None:
    """Leave git's conflict markers around a line of ``path``, as an unfinished merge does."""
    text = path.read_text()
    line = "  instance_type          = local.settings.instance_type\n"
    assert text.count(line) == 1
    path.write_text(text.replace(line, f"<<<<<<< HEAD\n{line}=======\n{line.replace('settings', 's')}>>>>>>> theirs\n"))


def test_a_previous_output_that_does_not_parse_is_refused_in_production_and_nothing_is_written(stack):
    stack_file = stack.out / "tap_stack.tf"
    conflicted(stack_file)
    before = snapshot(stack.out)
    result = stack(("    instance_type: m6i.large\n", "    instance_type: m6i.xlarge\n"))
    assert result.exit_code == 1
    assert snapshot(stack.out) == before
    assert f"note: {stack_file} does not parse (" in result.stderr
    assert (f"environments.prod: {stack_file} does not parse (") in result.stderr
    assert ("so what this render does to this production environment cannot be assessed (fix or restore "
            f"{stack_file} (a merge conflict: finish the merge, or git checkout -- the file) and render again; "
            "to write without an assessment, rerun with --allow-replace prod)") in result.stderr
    assert "environments.dev:" not in result.stderr  # only production is refused
    allowed = stack(args=("--allow-replace", "prod"))
    assert allowed.exit_code == 0, allowed.stderr
    assert "m6i.xlarge" in stack_file.read_text()


def test_a_previous_output_tapgen_wrote_and_that_is_gone_is_not_a_first_render(stack):
    stack_file = stack.out / "tap_stack.tf"
    stack_file.unlink()
    result = stack(("    instance_type: m6i.large\n", "    instance_type: m6i.xlarge\n"))
    assert result.exit_code == 1
    assert not stack_file.exists()
    assert (f"environments.prod: {stack_file} is missing, though {stack.out}/.tapgen-manifest.json says tapgen "
            "wrote it, so what this render does to this production environment cannot be assessed (restore it "
            f"(git checkout -- {stack_file}) and render again;") in result.stderr
    assert stack(args=("--allow-replace", "prod")).exit_code == 0


def test_a_previous_output_cut_to_its_header_is_not_taken_for_a_resolved_copy(stack):
    stack_file = stack.out / "tap_stack.tf"
    stack_file.write_text(stack_file.read_text().splitlines(keepends=True)[0])  # parses: no blocks at all
    result = stack(("    vpc_cidr: 10.30.0.0/16\n", "    vpc_cidr: 10.31.0.0/16\n"))
    assert result.exit_code == 1
    assert (f"environments.prod: {stack_file} has no environments map, though tapgen wrote it keyed by "
            "workspace, so what this render does to this production environment cannot be assessed") in result.stderr
    assert stack(args=("--allow-replace", "prod")).exit_code == 0


# The second: a line break in the path stays on the note's line (nothing forges "out: ...").
@pytest.mark.parametrize("folder", ["out", "f\nout: forged"])
def test_an_output_that_cannot_be_assessed_is_only_noted_where_nothing_is_production(tmp_path, folder):
    spec, out = tmp_path / "spec.yaml", tmp_path / folder
    spec.write_text(MINIMAL_SPEC)
    assert run_cli("render", "--spec", spec, "--out", out).exit_code == 0
    conflicted(out / "tap_stack.tf")
    result = run_cli("render", "--spec", spec, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert "does not parse" in result.stderr and "its impact cannot be assessed" in result.stderr
    assert not any(line.startswith("out: forged") for line in result.stderr.splitlines()), result.stderr
    (out / "tap_stack.tf").unlink()
    assert run_cli("render", "--spec", spec, "--out", out).exit_code == 0


def previous(out: Path, old: str, new: str) -> None:
    """Make the directory look as an earlier tapgen version rendered it."""
    path = out / "tap_stack.tf"
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize(("old", "earlier"), [
    ('  engine         = "postgres"\n', '  engine         = "mysql"\n'),
    ("  storage_encrypted     = true\n", "  storage_encrypted     = false\n"),
    ("  storage_encrypted     = true\n  kms_key_id            = aws_kms_key.data.arn\n",
     "  storage_encrypted     = true\n  kms_key_id            = aws_kms_key.logs.arn\n"),
])
def test_a_tapgen_upgrade_that_changes_how_the_database_is_written_is_refused(stack, old, earlier):
    previous(stack.out, old, earlier)
    result = stack(("    instance_type: m6i.large\n", "    instance_type: m6i.xlarge\n"))
    assert result.exit_code == 1
    argument = old.splitlines()[-1].split("=")[0].strip()
    assert (f"REPLACED, DATA LOST: aws_db_instance.this (tapgen now writes its {argument} differently, and that "
            "forces a new resource)") in result.stderr
    assert "tapgen's templates (a new tapgen version):" in result.stderr


def test_a_tapgen_upgrade_that_drops_an_address_is_refused_in_production(stack):
    previous(stack.out, 'resource "aws_s3_bucket" "alb_logs" {', 'resource "aws_s3_bucket" "access_logs" {\n'
             '  bucket = "old"\n}\n\nresource "aws_s3_bucket" "alb_logs" {')
    result = stack()
    assert result.exit_code == 1
    assert ("DESTROYED, DATA LOST: aws_s3_bucket.access_logs (tapgen no longer generates it, and no moved or "
            "removed block says where it went)") in result.stderr


def test_the_impact_reads_the_settings_through_locals_and_for_each():
    """project reaches names through local.name_prefix; each.value carries it into the log groups."""
    out = Stack({p.name: p.read_text() for p in OUT.glob("*.tf")})
    groups = next(b for b in out.blocks("resource") if b.address == "aws_cloudwatch_log_group.this")
    assert groups.body["name"] == "${each.value}" and "name_prefix" in out.locals()["log_groups"]


def test_upgrading_the_first_release_s_output_loses_no_data(tmp_path):
    """The default spec's out/ as tapgen 0.1.0 wrote it (tests/data/out-0.1.0/), rendered by this
    version: stateless resources may be replaced, nothing that holds data, so production renders
    without --allow-replace. A rename of a local (env -> settings) or a map that only gains
    entries (the log groups) must not read as a change."""
    out = tmp_path / "out"
    shutil.copytree(ROOT / "tests" / "data" / "out-0.1.0", out)
    result = run_cli("render", "--spec", DEFAULT_SPEC, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert "DATA LOST" not in result.stderr and "AT RISK" not in result.stderr
    assert "aws_kms_grant.autoscaling (tapgen 0.2.0 stops generating it on purpose:" in result.stderr


@pytest.mark.parametrize(("old", "new", "gains"), [
    ('${merge({a = "x", b = "y"}, c ? {d = "z"} : {})}', '${merge({a = "x", b = "y", e = "w"}, c ? {d = "z"} : {})}', True),
    ('${merge({a = "x", b = "y"}, c ? {d = "z"} : {})}', '${merge({a = "x", b = "Y"}, c ? {d = "z"} : {})}', False),
    ('${merge({a = "x", b = "y"}, c ? {d = "z"} : {})}', '${merge({a = "x"}, c ? {d = "z"} : {})}', False),
    ('${merge({a = "x"}, c ? {d = "z"} : {})}', '${merge({a = "x"}, k ? {d = "z"} : {})}', False),
    ('${slice(x, 0, 2)}', '${slice(x, 0, 3)}', False),
])
def test_a_map_that_only_gains_entries_keeps_its_instances(old, new, gains):
    assert impact._only_gains_entries(old, new) is gains
