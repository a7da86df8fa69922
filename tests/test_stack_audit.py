"""The audit trail, read back with python-hcl2 per environment: the default spec (standard), a
shared-account spec (shared_account) and one with a trail in each account (new_region)."""

from __future__ import annotations

from functools import cache

import pytest

from generator.audit import METRIC_FILTERS
from generator.loader import load_spec
from generator.pipeline import render_spec
from generator.stack import Stack

from .helpers import GOLDEN, SPECS
from .test_stack import one, resource

# case -> {environment: whether it has a trail of its own}
TRAILS = {
    "standard": {"dev": False, "staging": False, "prod": True},
    "shared_account": {"dev": False, "qa": True, "prod": True},
    "new_region": {"staging": True, "prod": True},
}
WITH_TRAIL = [(case, env) for case, envs in TRAILS.items() for env, trail in envs.items() if trail]
ALL = [(case, env) for case, envs in TRAILS.items() for env in envs]


@cache
def workspace(case: str) -> Stack:
    return Stack({p.name: p.read_text() for p in (GOLDEN / case).glob("*.tf")})


@cache
def resolved(case: str, environment: str) -> Stack:
    source, spec = load_spec(SPECS / f"{case}.yaml")
    files = render_spec(spec, source, environment)
    return Stack({name: text for name, text in files.items() if name.endswith(".tf")})


def policy_document(stack: Stack, name: str) -> dict:
    [body] = [b.body for b in stack.blocks("data") if b.labels == ("aws_iam_policy_document", name)]
    return body


def statement(document: dict, sid: str) -> dict:
    [found] = [s for s in document["statement"] if s.get("sid") == sid]
    return found


def conditions(found: dict) -> dict[str, tuple[str, list]]:
    return {c["variable"]: (c["test"], c["values"]) for c in found.get("condition", [])}


@pytest.mark.parametrize(("case", "environment"), ALL)
def test_a_trail_exists_exactly_where_the_environment_has_its_own(case, environment):
    stack = resolved(case, environment)
    expected = int(TRAILS[case][environment])
    trail_blocks = [("aws_cloudtrail", "this"), ("aws_iam_role", "cloudtrail"), ("aws_iam_role_policy", "cloudtrail"),
                    ("aws_cloudwatch_metric_alarm", "audit_trail_silent")]
    assert [resource(stack, *labels)["count"] for labels in trail_blocks] == [expected] * len(trail_blocks)
    gate = "true" if expected else "false"
    assert resource(stack, "aws_cloudwatch_log_metric_filter", "audit")["for_each"] == (
        f"${{{gate} ? local.audit_metric_filters : {{}}}}")


@pytest.mark.parametrize(("case", "environment"), WITH_TRAIL)
def test_the_trail_records_every_region_validates_its_files_and_encrypts_them_with_its_own_key(case, environment):
    trail = resource(resolved(case, environment), "aws_cloudtrail", "this")
    assert (trail["is_multi_region_trail"], trail["include_global_service_events"],
            trail["enable_log_file_validation"]) == (True, True, True)
    assert trail["kms_key_id"] == "${aws_kms_key.audit.arn}"
    assert trail["s3_bucket_name"] == "${aws_s3_bucket.audit.id}"
    assert trail["cloud_watch_logs_group_arn"] == "${aws_cloudwatch_log_group.audit.arn}:*"
    assert trail["cloud_watch_logs_role_arn"] == "${aws_iam_role.cloudtrail[0].arn}"
    assert trail["name"] == "${local.trail_name}"
    assert resolved(case, environment).locals()["trail_arn"] == (
        "arn:${local.partition}:cloudtrail:${var.aws_region}:${local.account_id}:trail/${local.trail_name}")


@pytest.mark.parametrize(("case", "environment"), WITH_TRAIL)
def test_management_events_include_kms_and_the_buckets_object_events_are_recorded(case, environment):
    management, own_bucket = resource(resolved(case, environment), "aws_cloudtrail", "this")["event_selector"]
    assert (management["read_write_type"], management["include_management_events"]) == ("All", True)
    assert "exclude_management_event_sources" not in management  # KMS events stay in
    assert one(management, "data_resource") == {"type": "AWS::S3::Object", "values": "${local.trail_data_event_buckets}",
                                                 "__is_block__": True}
    # The trail's own bucket: reads only, or each delivery would be logged in turn.
    assert (own_bucket["read_write_type"], own_bucket["include_management_events"]) == ("ReadOnly", False)
    assert one(own_bucket, "data_resource")["values"] == ["${aws_s3_bucket.audit.arn}/"]


def test_a_shared_trail_records_the_alb_log_buckets_of_the_environments_that_share_it():
    buckets = resolved("shared_account", "qa").locals()["trail_data_event_buckets"]
    assert buckets.startswith('${concat(["${aws_s3_bucket.alb_logs.arn}/"], [for environment in ["dev"] :')
    assert resolved("shared_account", "prod").locals()["trail_data_event_buckets"].count("[for environment in [] :") == 1
    # The name it builds for dev's bucket is the one dev's own stack gives it.
    built = buckets.split('"arn:${local.partition}:s3:::')[1].split("/")[0].replace("${environment}", "dev")
    dev = resolved("shared_account", "dev")
    assert built.replace("${local.project}-dev", "${local.name_prefix}") == resource(dev, "aws_s3_bucket", "alb_logs")["bucket"]
    assert dev.locals()["name_prefix"] == "${local.project}-${local.environment}" and dev.locals()["environment"] == "dev"


@pytest.mark.parametrize("case", list(TRAILS))
def test_the_audit_key_admits_cloudtrail_for_this_trail_only(case):
    stack = workspace(case)
    key = resource(stack, "aws_kms_key", "audit")
    assert key["enable_key_rotation"] is True and key["policy"] == "${data.aws_iam_policy_document.kms_audit.json}"
    document = policy_document(stack, "kms_audit")
    assert document["source_policy_documents"] == ["${data.aws_iam_policy_document.kms_account.json}"]
    encrypt = statement(document, "AllowCloudTrailToEncryptLogFiles")
    assert one(encrypt, "principals")["identifiers"] == ["cloudtrail.amazonaws.com"]
    assert encrypt["actions"] == ["kms:GenerateDataKey*"]
    assert conditions(encrypt) == {
        "aws:SourceArn": ("StringEquals", ["${local.trail_arn}"]),
        "kms:EncryptionContext:aws:cloudtrail:arn": ("StringLike",
                                                     ["arn:${local.partition}:cloudtrail:*:${local.account_id}:trail/*"])}
    assert conditions(statement(document, "AllowCloudTrailToDescribeKey")) == {
        "aws:SourceArn": ("StringEquals", ["${local.trail_arn}"])}
    administration = one(policy_document(stack, "kms_account"), "statement")
    assert one(administration, "principals")["identifiers"] == ["arn:${local.partition}:iam::${local.account_id}:root"]


@pytest.mark.parametrize("case", list(TRAILS))
def test_the_audit_bucket_is_private_versioned_tls_only_and_written_by_this_trail_only(case):
    stack = workspace(case)
    block = resource(stack, "aws_s3_bucket_public_access_block", "audit")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                          "restrict_public_buckets"))
    assert one(resource(stack, "aws_s3_bucket_versioning", "audit"), "versioning_configuration")["status"] == "Enabled"
    assert one(resource(stack, "aws_s3_bucket_ownership_controls", "audit"), "rule")["object_ownership"] == (
        "BucketOwnerEnforced")
    document = policy_document(stack, "audit_bucket")
    assert conditions(statement(document, "DenyInsecureTransport")) == {"aws:SecureTransport": ("Bool", ["false"])}
    assert conditions(statement(document, "DenyOutdatedTLS")) == {"s3:TlsVersion": ("NumericLessThan", ["1.2"])}
    write = statement(document, "AllowCloudTrailWrite")
    assert write["resources"] == ["${aws_s3_bucket.audit.arn}/${local.trail_key_prefix}/AWSLogs/${local.account_id}/*"]
    assert conditions(write) == {"s3:x-amz-acl": ("StringEquals", ["bucket-owner-full-control"]),
                                 "aws:SourceArn": ("StringEquals", ["${local.trail_arn}"])}
    assert conditions(statement(document, "AllowCloudTrailAclCheck")) == {
        "aws:SourceArn": ("StringEquals", ["${local.trail_arn}"])}


@pytest.mark.parametrize(("case", "environment"), ALL)
def test_production_locks_its_trail_files_for_the_audit_retention(case, environment):
    _, spec = load_spec(SPECS / f"{case}.yaml")
    env = spec.environments[environment]
    stack = resolved(case, environment)
    locked = env.production and env.audit.trail
    bucket = resource(stack, "aws_s3_bucket", "audit")
    assert (bucket["object_lock_enabled"], bucket["force_destroy"]) == (locked, not env.production)
    lock = resource(stack, "aws_s3_bucket_object_lock_configuration", "audit")
    assert lock["count"] == int(locked)
    assert one(one(lock, "rule"), "default_retention") == {"mode": env.audit.object_lock.upper(),
                                                           "days": env.audit.retention_days, "__is_block__": True}
    lifecycle = one(resource(stack, "aws_s3_bucket_lifecycle_configuration", "audit"), "rule")
    assert one(lifecycle, "expiration")["days"] == env.audit.retention_days
    group = resource(stack, "aws_cloudwatch_log_group", "audit")
    assert group["retention_in_days"] == env.audit.retention_days
    assert group["kms_key_id"] == "${aws_kms_key.logs.arn}"
    assert group["skip_destroy"] is env.production and group["deletion_protection_enabled"] is env.production


def test_compliance_mode_and_seven_years_where_the_spec_says_so():
    lock = resource(resolved("new_region", "prod"), "aws_s3_bucket_object_lock_configuration", "audit")
    assert one(one(lock, "rule"), "default_retention")["mode"] == "COMPLIANCE"
    assert resource(resolved("new_region", "prod"), "aws_cloudwatch_log_group", "audit")["retention_in_days"] == 2557


@pytest.mark.parametrize("case", list(TRAILS))
def test_each_metric_filter_is_the_exact_pattern_and_alarms_to_the_alarm_topic(case):
    stack = workspace(case)
    filters = stack.locals()["audit_metric_filters"]
    assert {name: value["pattern"] for name, value in filters.items()} == {
        name: metric_filter.pattern for name, metric_filter in METRIC_FILTERS.items()}
    metric_filter = resource(stack, "aws_cloudwatch_log_metric_filter", "audit")
    assert metric_filter["log_group_name"] == "${aws_cloudwatch_log_group.audit.name}"
    assert metric_filter["pattern"] == "${each.value.pattern}"
    alarm = resource(stack, "aws_cloudwatch_metric_alarm", "audit")
    assert alarm["for_each"] == "${aws_cloudwatch_log_metric_filter.audit}"
    assert (alarm["comparison_operator"], alarm["threshold"], alarm["statistic"]) == (
        "GreaterThanOrEqualToThreshold", 1, "Sum")
    assert alarm["alarm_actions"] == ["${aws_sns_topic.alarms.arn}"]
    # The topic and the logs key admit alarms named <name_prefix>-*.
    assert alarm["alarm_name"].startswith("${local.name_prefix}-")


def test_the_filters_cover_what_a_security_reviewer_watches():
    watched = {"root-usage": "Root", "iam-policy-changes": "PutRolePolicy", "kms-key-policy-changes": "PutKeyPolicy",
               "kms-key-disabled-or-deleted": "ScheduleKeyDeletion", "security-group-changes": "AuthorizeSecurityGroupIngress",
               "network-acl-changes": "CreateNetworkAclEntry", "console-sign-in-failures": "Failed authentication",
               "cloudtrail-changes": "StopLogging", "backup-deletions": "DeleteRecoveryPoint"}
    assert all(needle in METRIC_FILTERS[name].pattern for name, needle in watched.items())


@pytest.mark.parametrize(("case", "environment"), WITH_TRAIL)
def test_a_silent_trail_raises_an_alarm(case, environment):
    alarm = resource(resolved(case, environment), "aws_cloudwatch_metric_alarm", "audit_trail_silent")
    assert (alarm["namespace"], alarm["metric_name"]) == ("AWS/Logs", "IncomingLogEvents")
    assert alarm["dimensions"] == {"LogGroupName": "${aws_cloudwatch_log_group.audit.name}"}
    assert (alarm["comparison_operator"], alarm["treat_missing_data"]) == ("LessThanThreshold", "breaching")
    assert alarm["alarm_actions"] == ["${aws_sns_topic.alarms.arn}"]


def test_the_delivery_role_may_only_write_to_the_trail_log_group():
    stack = resolved("standard", "prod")
    [document] = [b.body for b in stack.blocks("data") if b.labels == ("aws_iam_policy_document", "cloudtrail_logs")]
    found = one(document, "statement")
    assert set(found["actions"]) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert found["resources"] == ["${aws_cloudwatch_log_group.audit.arn}:log-stream:*"]
    assume = one(policy_document(stack, "cloudtrail_assume"), "statement")
    assert one(assume, "principals")["identifiers"] == ["cloudtrail.amazonaws.com"]
