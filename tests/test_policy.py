"""Production policy: derived settings, and scanner annotations only where an environment fails."""

from dataclasses import replace

import pytest

from generator.loader import load_spec
from generator.policy import (
    PRODUCTION_RULES,
    SCANNER_EXCEPTIONS,
    derived_settings,
    ledger_rows,
    scanner_annotations,
    trivy_annotations,
)

from .helpers import SPECS, STANDARD_SPEC

_, SPEC = load_spec(STANDARD_SPEC)
ENVS = SPEC.environments


def test_derived_settings_follow_production_and_protection():
    production = {"alb_deletion_protection": True, "alb_logs_force_destroy": False, "db_skip_final_snapshot": False,
                  "log_groups_protected": True, "audit_object_lock": True, "audit_bucket_force_destroy": False,
                  "backup_vault_lock": True, "backup_dr_vault_lock": True, "backup_vault_force_destroy": False,
                  "destroy_guard": True}
    assert derived_settings(ENVS["prod"]) == production
    assert derived_settings(ENVS["dev"]) == {name: not value for name, value in production.items()}


def test_non_production_environments_that_fail_are_named():
    lines = scanner_annotations(ENVS)
    assert lines["aws_db_instance.this"][0] == (
        "#checkov:skip=CKV_AWS_157:no RDS Multi-AZ in dev, staging (not production); tapgen requires it in production")
    assert lines["aws_vpc.this"] == [
        "#checkov:skip=CKV2_AWS_11:no VPC flow logs in dev (not production); tapgen requires it in production"]


def test_production_alone_needs_only_the_exceptions_of_every_environment():
    lines = scanner_annotations({"prod": ENVS["prod"]})
    annotated = {line.split(":")[1].split("=")[1] for block in lines.values() for line in block}
    always = [e for e in SCANNER_EXCEPTIONS if e.rule is None and e.passes is None]
    assert annotated == {e.checkov for e in always if e.checkov}
    ignored = {line.split()[0].split(":")[2] for block in trivy_annotations({"prod": ENVS["prod"]}).values()
               for line in block}
    assert ignored == {check for e in always for check in e.trivy} == {"AWS-0053", "AWS-0089", "AWS-0132"}


def test_trivy_ignores_are_generated_only_where_an_environment_fails():
    lines = trivy_annotations(ENVS)
    assert lines["aws_vpc_security_group_egress_rule.app_https"] == [
        "#trivy:ignore:AWS-0104 no egress limited to the VPC endpoints in dev, staging (not production); "
        "tapgen requires it in production"]
    # Trivy's 2-day backup minimum: only dev keeps a single day.
    assert lines["aws_db_instance.this"][1] == (
        "#trivy:ignore:AWS-0077 dev: the spec keeps a single day of automated backups")
    assert trivy_annotations({"staging": ENVS["staging"]})["aws_db_instance.this"] == [
        "#trivy:ignore:AWS-0177 no RDS deletion protection in staging (not production); tapgen requires it in "
        "production"]
    # The bucket's CMK finding is reported on its encryption configuration, not on the bucket.
    assert lines["aws_s3_bucket_server_side_encryption_configuration.alb_logs"][0].startswith(
        "#trivy:ignore:AWS-0132 ")


@pytest.mark.parametrize("text", ["skip it trivy:ignore:* now", "see #checkov:skip=CKV_AWS_16:x",
                                  "TFSEC:ignore:AWS-0080", "bridgecrew:skip=CKV_AWS_16"])
def test_a_waiver_reason_cannot_skip_a_check(text):
    """Trivy reads every space-separated word of a comment line, Checkov the skip pattern anywhere
    in it: spec text must never form either."""
    prod = ENVS["prod"]
    waived = replace(prod, database=replace(prod.database, deletion_protection=False),
                     waivers={"deletion_protection": text})
    checkov = scanner_annotations({"prod": waived})["aws_db_instance.this"]
    trivy = trivy_annotations({"prod": waived})["aws_db_instance.this"]
    assert [line.split()[0] for line in trivy] == ["#trivy:ignore:AWS-0177"]
    for line in [*checkov, *trivy]:
        words = [word.lstrip("#/*") for word in line.split()[1:]]
        assert not any(word.lower().startswith(("trivy:", "tfsec:")) for word in words), line
        assert line.count("checkov:skip=") == (line in checkov) and "bridgecrew:skip=" not in line.lower(), line


def test_a_waived_production_rule_carries_its_reason():
    prod = ENVS["prod"]
    waived = replace(prod, database=replace(prod.database, multi_az=False),
                     waivers={"multi_az": "single-AZ until the Q3 budget"})
    assert scanner_annotations({"prod": waived})["aws_db_instance.this"] == [
        "#checkov:skip=CKV_AWS_157:prod waives it: single-AZ until the Q3 budget"]


def test_every_environment_dependent_exception_names_a_rule_or_derived_setting():
    for exception in SCANNER_EXCEPTIONS:
        if exception.rule is not None:
            assert exception.rule in PRODUCTION_RULES or exception.rule in derived_settings(ENVS["dev"])


@pytest.mark.parametrize("text", ["line\nbreak", "bidi \u202e override"])
def test_reasons_from_the_spec_stay_one_comment_line(text):
    prod = ENVS["prod"]
    waived = replace(prod, database=replace(prod.database, multi_az=False), waivers={"multi_az": text})
    [line] = scanner_annotations({"prod": waived})["aws_db_instance.this"]
    assert "\n" not in line and "\u202e" not in line


def flow_logs_compensation(spec_path) -> str:
    _, spec = load_spec(spec_path)
    [row] = [row for row in ledger_rows(spec.environments) if row[0] == "CKV2_AWS_11"]
    return row[5]


GENERIC = ("the load balancer's access logs record every request it receives; security groups let only the load "
           "balancer reach the app and only the app reach the database")


@pytest.mark.parametrize(("case", "logging"), [
    ("standard", "; staging, prod record all their traffic to a KMS-encrypted group"),
    ("minimal", ""),  # dev alone: no staging or prod to point to
    ("many_environments", "; prod records all its traffic to a KMS-encrypted group"),
])
def test_what_compensates_for_missing_flow_logs_is_true_of_the_environments_at_hand(case, logging):
    assert flow_logs_compensation(SPECS / f"{case}.yaml") == GENERIC + logging


def test_a_production_environment_that_waives_flow_logs_is_not_said_to_record_them(write_spec):
    text = STANDARD_SPEC.read_text()
    prod = text.index("  prod:")
    text = text[:prod] + text[prod:].replace("    flow_logs: true\n", "    flow_logs: false\n    waivers: {flow_logs: "
                                             "traffic is mirrored to the SOC's own collector}\n", 1)
    assert flow_logs_compensation(write_spec(text)) == GENERIC + "; staging records all its traffic to a KMS-encrypted group"
