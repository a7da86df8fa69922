"""The auditor's map: for each HIPAA Security Rule safeguard the stack implements, the resources
that implement it in each environment, the scanner checks that verify it, and every waiver and
accepted scanner finding that weakens it. out/COMPLIANCE.md is rendered from this data, the
spec and policy's scanner exceptions; tests check every address against the rendered stack.

Safeguards: the technical ones of 45 CFR 164.312 and the contingency plan of 164.308(a)(7)
(with the activity review of 164.308(a)(1)(ii)(D), which the alarms serve). Specifications that
are procedures only (emergency access, automatic logoff, emergency mode operation, criticality
analysis) are the organisation's, and not listed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .policy import SCANNER_EXCEPTIONS, WAIVABLE_RULES, ScannerException, derived_settings, has_trail
from .recovery import schedule_text
from .spec import Environment
from .views import markdown_table


def _always(env: Environment) -> bool:
    return True


def _yes(env: Environment) -> str:
    return "yes"


@dataclass(frozen=True)
class Control:
    what: str  # what it does, for the auditor
    addresses: tuple[str, ...]  # the resources (and data sources) in the stack that implement it
    checkov: tuple[str, ...] = ()  # Checkov checks that verify it on those resources
    trivy: tuple[str, ...] = ()  # Trivy checks (IDs as Trivy 0.76 reports them) that verify it
    present: Callable[[Environment], bool] = _always  # the environments that have it
    detail: Callable[[Environment], str] = _yes  # what it is in an environment that has it


@dataclass(frozen=True)
class Safeguard:
    citation: str
    title: str
    standard: str  # what the rule asks, in its words (shortened)
    controls: tuple[Control, ...]
    rules: tuple[str, ...]  # production rules whose waiver weakens it
    not_covered: tuple[str, ...] = ()  # what the stack leaves to the organisation, in every environment

    def weakened_by(self, exception: ScannerException) -> bool:
        """Whether an accepted finding is one of the checks of a control, on one of its resources."""
        return any((exception.address in c.addresses and exception.checkov in c.checkov)
                   or (exception.trivy_address in c.addresses and set(exception.trivy) & set(c.trivy))
                   for c in self.controls)


def _derived(name: str) -> Callable[[Environment], bool]:
    """Whether an environment has what policy derives for it (a lock, the destroy guard...)."""
    return lambda env: bool(derived_settings(env)[name])


def _recorded_in(env: Environment) -> str:
    return "in its own trail" if env.trail_owner == env.name else f"in {env.trail_owner}'s trail"


def _dr(env: Environment) -> bool:
    return env.backup.dr_region is not None


_KEY_POLICIES = ("data.aws_iam_policy_document.kms_data", "data.aws_iam_policy_document.kms_logs",
                 "data.aws_iam_policy_document.kms_administration", "data.aws_iam_policy_document.kms_database_logs",
                 "data.aws_iam_policy_document.kms_audit", "data.aws_iam_policy_document.kms_account")
_KEYS = ("aws_kms_key.data", "aws_kms_key.logs", "aws_kms_key.database_logs", "aws_kms_key.audit", "aws_kms_key.backup")

SAFEGUARDS = (
    Safeguard(
        "45 CFR 164.312(a)(1)", "Access control",
        "Allow access only to those persons or software programs that have been granted access rights; "
        "(a)(2)(i) unique user identification, (a)(2)(iv) encryption and decryption.",
        (
            Control("Database sign-in with IAM database authentication (one identity per person or role); "
                    "the master password managed by RDS in Secrets Manager, never in code",
                    ("aws_db_instance.this",), ("CKV_AWS_161", "CKV_AWS_17"), trivy=('AWS-0176',)),
            Control("Three network tiers: the database reachable only from the app tier's security group, "
                    "with no route out; the app tier only from the load balancer; no public IPs; the "
                    "default security group admits nothing",
                    ("aws_vpc.this", "aws_default_security_group.this", "aws_security_group.db",
                     "aws_vpc_security_group_ingress_rule.db_from_app",
                     "aws_vpc_security_group_ingress_rule.app_from_alb", "aws_route_table.database",
                     "aws_subnet.app", "aws_subnet.database", "aws_launch_template.app"),
                    ("CKV_AWS_23", "CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_130", "CKV_AWS_88", "CKV2_AWS_12"), trivy=('AWS-0104', 'AWS-0107', 'AWS-0164', 'AWS-0180', 'AWS-0099', 'AWS-0124')),
            Control("Encryption at rest with customer-managed keys that rotate: the database, its Performance "
                    "Insights and master secret, EBS volumes, log groups, the alarm topic, the trail's log "
                    "files, the backup vaults",
                    ("aws_kms_key.data", "aws_kms_key.logs", "aws_kms_key.audit", "aws_kms_key.backup",
                     "aws_db_instance.this", "aws_launch_template.app", "aws_cloudwatch_log_group.this",
                     "aws_cloudwatch_log_group.audit", "aws_sns_topic.alarms", "aws_backup_vault.this"),
                    ("CKV_AWS_7", "CKV_AWS_16", "CKV_AWS_354", "CKV_AWS_158", "CKV_AWS_26", "CKV_AWS_166"), trivy=('AWS-0080', 'AWS-0078', 'AWS-0131', 'AWS-0017', 'AWS-0136')),
            Control("S3 log buckets encrypted at rest (SSE-S3 where the delivering service requires it)",
                    ("aws_s3_bucket.alb_logs", "aws_s3_bucket.audit"), ("CKV_AWS_19", "CKV_AWS_145"), trivy=('AWS-0132',)),
            Control("Key policies: administration stays with the account, use is granted through IAM; service "
                    "principals only with source conditions",
                    (*_KEY_POLICIES, *_KEYS), ("CKV_AWS_33", "CKV_AWS_109", "CKV_AWS_111", "CKV_AWS_356"), trivy=('AWS-0065',)),
            Control("Least-privilege service roles (instances: SSM and the CloudWatch agent only)",
                    ("aws_iam_role.app", "aws_iam_role.backup", "aws_iam_role.rds_monitoring"),
                    ("CKV_AWS_60", "CKV_AWS_61", "CKV_AWS_274")),
            Control("Each workspace bound to its AWS account: the provider refuses any other account's "
                    "credentials; production in an account of its own", (),
                    present=lambda env: env.account_id is not None,
                    detail=lambda env: f"account {env.account_id}"),
        ),
        ("production", "account_id", "separate_account"),
        not_covered=("Who may sign in: the stack creates no roles for people. Who can start a Session Manager "
                     "shell on the instances, or read the master user's secret, is decided by your IAM "
                     "policies",
                     "The interface endpoints keep AWS's default endpoint policy (full access): a caller "
                     "inside the VPC could use them with another account's credentials, which an endpoint "
                     "policy conditioned on aws:PrincipalAccount would refuse",),
    ),
    Safeguard(
        "45 CFR 164.312(b)", "Audit controls",
        "Implement hardware, software, and/or procedural mechanisms that record and examine activity in "
        "information systems that contain or use electronic protected health information.",
        (
            Control("Every API call of the account (KMS included), in every region, by a CloudTrail trail with "
                    "log file validation, encrypted with its own key",
                    ("aws_cloudtrail.this", "aws_kms_key.audit", "aws_iam_role.cloudtrail"),
                    ("CKV_AWS_67", "CKV_AWS_36", "CKV_AWS_35", "CKV_AWS_251", "CKV2_AWS_10", "CKV_AWS_252"), trivy=('AWS-0014', 'AWS-0015', 'AWS-0016', 'AWS-0162'),
                    present=has_trail, detail=lambda env: "its own trail"),
            Control("Recorded by the trail of the environment that shares its AWS account", (),
                    present=lambda env: env.audit.shared_trail is not None,
                    detail=lambda env: f"{env.audit.shared_trail}'s trail"),
            Control("The trail's archive: private, versioned, TLS-only bucket kept audit.retention_days; "
                    "Object Lock in production; its log group for queries and alarms",
                    ("aws_s3_bucket.audit", "aws_s3_bucket_policy.audit", "aws_s3_bucket_versioning.audit",
                     "aws_s3_bucket_lifecycle_configuration.audit", "aws_cloudwatch_log_group.audit"),
                    ("CKV_AWS_18", "CKV_AWS_144", "CKV_AWS_145", "CKV_AWS_21", "CKV2_AWS_6", "CKV2_AWS_61",
                     "CKV_AWS_338"), trivy=('AWS-0161', 'AWS-0163', 'AWS-0089', 'AWS-0090', 'AWS-0132', 'AWS-0017'),
                    present=has_trail, detail=lambda env: (f"{env.audit.retention_days} days"
                                                        + (f", Object Lock {env.audit.object_lock}"
                                                           if derived_settings(env)["audit_object_lock"] else ""))),
            Control("Object-level reads, writes and deletes of the ALB log bucket as S3 data events",
                    ("aws_s3_bucket.alb_logs",), ("CKV_AWS_18",),
                    present=lambda env: env.trail_owner is not None, detail=_recorded_in),
            Control("Alarms on root use, unauthorized calls, IAM and key policy changes, keys disabled or "
                    "scheduled for deletion, trail, security group, NACL, gateway, route and VPC changes, "
                    "console sign-in failures and sign-in without MFA, backup and log group deletions, and "
                    "a silent trail (CIS / Security Hub CloudWatch.1-14 patterns)",
                    ("aws_cloudwatch_log_metric_filter.audit", "aws_cloudwatch_metric_alarm.audit",
                     "aws_cloudwatch_metric_alarm.audit_trail_silent"), ("CKV_AWS_319",), present=has_trail),
            Control("Database connections, disconnections and DDL logged, exported to encrypted log groups "
                    "kept log_retention_days",
                    ("aws_db_parameter_group.this", "aws_db_instance.this", "aws_cloudwatch_log_group.this"),
                    ("CKV_AWS_129", "CKV2_AWS_30", "CKV_AWS_158", "CKV_AWS_66", "CKV_AWS_338"), trivy=('AWS-0017',),
                    detail=lambda env: f"{env.log_retention_days} days"),
            Control("Network traffic recorded by VPC flow logs", ("aws_flow_log.this", "aws_vpc.this"),
                    ("CKV2_AWS_11",), trivy=('AWS-0178',), present=lambda env: env.flow_logs),
            Control("Load balancer access logs, in a private, versioned, TLS-only bucket",
                    ("aws_lb.this", "aws_s3_bucket.alb_logs", "aws_s3_bucket_policy.alb_logs"),
                    ("CKV_AWS_91", "CKV_AWS_21", "CKV2_AWS_6", "CKV_AWS_144", "CKV_AWS_145"), trivy=('AWS-0089', 'AWS-0090', 'AWS-0132')),
        ),
        ("production", "audit_trail", "audit_retention", "flow_logs", "log_retention"),
        not_covered=("What is typed in a Session Manager session: session logging is an account-wide "
                     "preference (the SSM-SessionManagerRunShell document) that the stack does not own; the "
                     "trail records each StartSession",
                     "Reads and writes of PHI tables: pgaudit audits the statement classes of "
                     "database.pgaudit_log (ddl and role by default) in every session; audit PHI tables by "
                     "object (out/README.md)",),
    ),
    Safeguard(
        "45 CFR 164.312(c)(1)", "Integrity",
        "Protect electronic protected health information from improper alteration or destruction; "
        "(c)(2) mechanism to authenticate electronic protected health information.",
        (
            Control("Trail log file validation: a changed or deleted log file is detectable",
                    ("aws_cloudtrail.this",), ("CKV_AWS_36",), trivy=('AWS-0016',), present=has_trail),
            Control("Object Lock on the trail's log files for audit.retention_days",
                    ("aws_s3_bucket_object_lock_configuration.audit",), present=_derived("audit_object_lock"),
                    detail=lambda env: f"{env.audit.object_lock}, {env.audit.retention_days} days"),
            Control("Versioned log buckets keep every object",
                    ("aws_s3_bucket.alb_logs", "aws_s3_bucket_versioning.alb_logs", "aws_s3_bucket.audit",
                     "aws_s3_bucket_versioning.audit"), ("CKV_AWS_21",), trivy=('AWS-0090',)),
            Control("Database deletion protection, and a final snapshot on delete",
                    ("aws_db_instance.this",), ("CKV_AWS_293",), trivy=('AWS-0177',),
                    present=lambda env: env.database.deletion_protection),
            Control("Database engine minor upgrades (security fixes) applied in the maintenance window",
                    ("aws_db_instance.this",), ("CKV_AWS_226",),
                    present=lambda env: not env.database.minor_pinned),
            Control("Vault Lock: no recovery point deleted or shortened before its retention ends",
                    ("aws_backup_vault_lock_configuration.this",), present=_derived("destroy_guard"),
                    detail=lambda env: env.backup.vault_lock),
            Control("Destroy guard: a plan that destroys a key, a vault, the audit bucket or the database fails",
                    ("terraform_data.destroy_guard",), present=_derived("destroy_guard")),
            Control("Keys wait kms_deletion_window_days before deletion, and an alarm fires when one is "
                    "scheduled", ("aws_kms_key.data", "aws_kms_key.backup"), ("CKV_AWS_227",),
                    detail=lambda env: f"{env.kms_deletion_window_days} days"),
        ),
        ("production", "deletion_protection", "kms_deletion_window"),
        not_covered=("Governance mode (the default of audit.object_lock and backup.vault_lock) lets a "
                     "principal with s3:BypassGovernanceRetention, or one that may delete the vault's lock, "
                     "still remove protected data; compliance mode prevents that for everyone, and cannot be "
                     "undone",),
    ),
    Safeguard(
        "45 CFR 164.312(d)", "Person or entity authentication",
        "Implement procedures to verify that a person or entity seeking access to electronic protected "
        "health information is the one claimed.",
        (
            Control("Database: IAM authentication, TLS-verified with a modern certificate authority",
                    ("aws_db_instance.this",), ("CKV_AWS_161", "CKV_AWS_211"), trivy=('AWS-0176',)),
            Control("Instances authenticate as their IAM role through IMDSv2 only; no SSH keys",
                    ("aws_launch_template.app", "aws_iam_instance_profile.app"), ("CKV_AWS_79", "CKV_AWS_341")),
            Control("Alarms on console sign-in failures and sign-in without MFA",
                    ("aws_cloudwatch_metric_alarm.audit",), present=has_trail),
        ),
        ("production", "audit_trail"),
    ),
    Safeguard(
        "45 CFR 164.312(e)(1)", "Transmission security",
        "Guard against unauthorized access to electronic protected health information that is being "
        "transmitted over an electronic communications network; (e)(2)(i) integrity controls, "
        "(e)(2)(ii) encryption.",
        (
            Control("HTTPS only at the load balancer with a TLS 1.3 policy; HTTP answered with a redirect",
                    ("aws_lb_listener.https", "aws_lb_listener.http", "aws_lb.this",
                     "aws_vpc_security_group_ingress_rule.alb_http"),
                    ("CKV_AWS_2", "CKV_AWS_103", "CKV2_AWS_74", "CKV2_AWS_20", "CKV_AWS_260"), trivy=('AWS-0047', 'AWS-0054', 'AWS-0053')),
            Control("Malformed headers dropped at the load balancer; a web ACL attached by the platform team",
                    ("aws_lb.this",), ("CKV_AWS_131", "CKV_AWS_328", "CKV2_AWS_28"), trivy=('AWS-0052',)),
            Control("The database accepts TLS connections only (rds.force_ssl)", ("aws_db_parameter_group.this",)),
            Control("Buckets refuse requests without TLS, or below TLS 1.2",
                    ("aws_s3_bucket_policy.alb_logs", "aws_s3_bucket_policy.audit")),
            Control("AWS APIs reached privately: an S3 gateway endpoint (reads through it, any other action only "
                    "on this account's buckets) and interface endpoints with private DNS admitting HTTPS from "
                    "the app tier only",
                    ("aws_vpc_endpoint.s3", "data.aws_iam_policy_document.s3_endpoint"), ("CKV_AWS_283",),
                    detail=lambda env: "gateway and interface" if env.interface_endpoints else "S3 gateway only"),
            Control("Internet egress, where the spec allows it: HTTPS only, through NAT gateways",
                    ("aws_vpc_security_group_egress_rule.app_https", "aws_nat_gateway.this"), trivy=("AWS-0104",),
                    present=lambda env: env.internet_egress),
        ),
        ("production", "internet_egress", "interface_endpoints"),
        not_covered=("TLS ends at the load balancer: it forwards to the instances over HTTP on app_port inside "
                     "the VPC, which only its security group reaches. Encrypting that hop ((e)(2)(ii) is "
                     "addressable) needs a certificate on the instances and an HTTPS target group",
                     "Reads through the S3 gateway endpoint reach any bucket (Amazon Linux's repositories and "
                     "SSM Agent's files are in AWS's buckets); only writes are limited to this account's "
                     "buckets",),
    ),
    Safeguard(
        "45 CFR 164.308(a)(1)(ii)(D)", "Information system activity review",
        "Implement procedures to regularly review records of information system activity, such as audit "
        "logs, access reports, and security incident tracking reports.",
        (
            Control("Alarms to an encrypted SNS topic (subscribe the reviewers: alarm_email)",
                    ("aws_sns_topic.alarms", "aws_cloudwatch_metric_alarm.this", "aws_sns_topic_subscription.alarm_email"),
                    ("CKV_AWS_26", "CKV_AWS_319"), trivy=('AWS-0095', 'AWS-0136')),
            Control("The audit alarms above, on the trail's events", ("aws_cloudwatch_metric_alarm.audit",),
                    ("CKV_AWS_319",), present=has_trail),
        ),
        ("production", "audit_trail"),
        not_covered=("Notifications of failed backup, copy and restore-test jobs: AWS Backup reports them in "
                     "its console and to EventBridge, where the stack subscribes nothing",),
    ),
    Safeguard(
        "45 CFR 164.308(a)(7)(ii)(A)", "Contingency plan: data backup plan",
        "Establish and implement procedures to create and maintain retrievable exact copies of electronic "
        "protected health information.",
        (
            Control("RDS automated backups with point-in-time restore", ("aws_db_instance.this",),
                    ("CKV_AWS_133",), trivy=('AWS-0077',), detail=lambda env: f"{env.database.backup_retention_days} days"),
            Control("AWS Backup snapshots of the database into a vault under its own key",
                    ("aws_backup_plan.this", "aws_backup_selection.database", "aws_backup_vault.this",
                     "aws_kms_key.backup", "aws_iam_role.backup"), ("CKV_AWS_166",),
                    detail=lambda env: f"{schedule_text(env.backup.schedule)}, kept {env.backup.retention_days} days"),
        ),
        ("production",),
    ),
    Safeguard(
        "45 CFR 164.308(a)(7)(ii)(B)", "Contingency plan: disaster recovery plan",
        "Establish (and implement as needed) procedures to restore any loss of data.",
        (
            Control("Every snapshot copied to a vault in a second region, under a key of that region",
                    ("aws_backup_vault.dr", "aws_kms_key.backup_dr"), ("CKV_AWS_166",), present=_dr,
                    detail=lambda env: f"{env.backup.dr_region}, kept {env.backup.dr_retention_days} days"),
            Control("A synchronous standby in a second availability zone", ("aws_db_instance.this",),
                    ("CKV_AWS_157",), present=lambda env: env.database.multi_az),
            Control("Vault Lock on the copies in the second region", ("aws_backup_vault_lock_configuration.dr",),
                    present=_derived("backup_dr_vault_lock"), detail=lambda env: env.backup.vault_lock),
            Control("Log groups and the load balancer survive a destroy; the destroy guard",
                    ("aws_cloudwatch_log_group.this", "aws_lb.this", "terraform_data.destroy_guard"),
                    ("CKV_AWS_150",), present=_derived("destroy_guard")),
            Control("How to restore, and the recovery objectives: out/README.md", ()),
        ),
        ("production", "dr_region", "multi_az", "deletion_protection", "kms_deletion_window"),
    ),
    Safeguard(
        "45 CFR 164.308(a)(7)(ii)(D)", "Contingency plan: testing and revision procedures",
        "Implement procedures for periodic testing and revision of contingency plans.",
        (
            Control("Scheduled restore tests of the latest snapshot, into the database's own network; the job "
                    "durations are the measured RTO",
                    ("aws_backup_restore_testing_plan.this", "aws_backup_restore_testing_selection.database"),
                    present=lambda env: env.backup.restore_testing,
                    detail=lambda env: schedule_text(env.backup.restore_testing_schedule)),
        ),
        ("production", "restore_testing"),
    ),
)


TABLE_HEADER = ["control", "resources", "Checkov", "Trivy"]


def sections(environments: Mapping[str, Environment]) -> list[dict[str, object]]:
    """Each safeguard with its table (control, resources, checks, one column per environment) and
    what weakens it in ``environments``: accepted scanner findings and waived production rules."""
    result = []
    for safeguard in SAFEGUARDS:
        rows = [[control.what, ", ".join(control.addresses) or "-",
                 ", ".join(control.checkov) or "-", ", ".join(control.trivy) or "-",
                 *(control.detail(env) if control.present(env) else "-" for env in environments.values())]
                for control in safeguard.controls]
        # Findings that differ only in their check or block share a line.
        findings: dict[tuple[str, ...], tuple[list[str], list[str]]] = {}
        for exception in (e for e in SCANNER_EXCEPTIONS if safeguard.weakened_by(e)):
            where = exception.failing_in(environments)
            if where:
                key = (", ".join(where), exception.title, exception.reason_for(where), exception.compensation(where))
                checks, addresses = findings.setdefault(key, ([], []))
                checks.extend(c for c in [exception.checkov, *exception.trivy] if c and c not in checks)
                addresses.extend(a for a in [exception.address, exception.trivy_address] if a not in addresses)
        weakened = [f"{names}: {', '.join(checks)} ({title}) accepted on {', '.join(addresses)}: {reason}; "
                    f"compensated by: {compensation}"
                    for (names, title, reason, compensation), (checks, addresses) in findings.items()]
        weakened += [f"{name}: waives {rule} ({WAIVABLE_RULES[rule]}): {reason}"
                     for name, env in environments.items() for rule, reason in env.waivers.items()
                     if rule in safeguard.rules]
        result.append({"safeguard": safeguard, "table": markdown_table([*TABLE_HEADER, *environments], rows),
                       "weakened": weakened})
    return result
