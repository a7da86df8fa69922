"""Production policy, in one place: what being production means for an environment.

- ``PRODUCTION_RULES``: what a production environment must have unless the spec waives the rule
  with a reason (the name rule: an environment named like production is production unless
  waived, see ``spec.named_like_production``); ``SEPARATE_ACCOUNT`` is the one waivable rule
  that compares environments (``WAIVABLE_RULES`` names them all).
- ``derived_settings``: the settings of the generated stack that follow from those rules, so
  that templates bind named values and decide nothing.
- ``SCANNER_EXCEPTIONS``: the scanner findings tapgen accepts (Checkov's and Trivy's), each with
  its reason. The inline annotations in the HCL and the skip ledger in the READMEs are both
  generated from them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .hcl import hcl_comment
from .spec import HIPAA_RETENTION_DAYS, Environment, named_like_production

MIN_PRODUCTION_LOG_DAYS = 365
# The longest deletion window KMS allows: the last chance to cancel the deletion of a key that
# protects snapshots and retained backups.
PRODUCTION_KMS_WINDOW_DAYS = 30
MIN_WAIVER_REASON = 10


@dataclass(frozen=True)
class Rule:
    requires: str
    met: Callable[[Environment], bool]
    # Which environments the rule holds for: production ones, unless it says otherwise.
    applies: Callable[[Environment], bool] = lambda env: env.production
    # For a rule that also reads the other environments: why they leave it unmet, or None.
    unmet_among: Callable[[Environment, Mapping[str, Environment]], str | None] = lambda env, environments: None


def _shares_a_trail_kept_for_less(env: Environment, environments: Mapping[str, Environment]) -> str | None:
    """Why the trail ``env`` shares does not keep production's records as production's own would."""
    owner = environments.get(env.audit.shared_trail or "")
    if owner is None or owner.production:  # its own trail, or a name invariants reports as unknown
        return None
    return (f"shares {owner.name}'s trail, which is not production: its log files are kept "
            f"{owner.audit.retention_days} days, without Object Lock, in a bucket that is emptied when "
            f"{owner.name} is destroyed")


# The rules a spec may waive (``waivers: {rule: reason}``), by name.
PRODUCTION_RULES = {
    "production": Rule("production: true, as its name says production",
                       lambda env: env.production,
                       applies=lambda env: named_like_production(env.name)),
    "deletion_protection": Rule("database.deletion_protection: true",
                                lambda env: env.database.deletion_protection),
    "multi_az": Rule("database.multi_az: true", lambda env: env.database.multi_az),
    "flow_logs": Rule("flow_logs: true", lambda env: env.flow_logs),
    "log_retention": Rule(f"log_retention_days of at least {MIN_PRODUCTION_LOG_DAYS}",
                          lambda env: env.log_retention_days >= MIN_PRODUCTION_LOG_DAYS),
    # The provider's allowed_account_ids: with dev credentials, a production plan fails at once.
    "account_id": Rule("account_id: the AWS account it deploys to, so that no other account's "
                       "credentials can apply it", lambda env: env.account_id is not None),
    "audit_trail": Rule("audit.trail: true, or audit.shared_trail naming the production environment whose "
                        "trail records its account",
                        lambda env: env.audit.trail or env.audit.shared_trail is not None,
                        unmet_among=_shares_a_trail_kept_for_less),
    "audit_retention": Rule(f"audit.retention_days of at least {HIPAA_RETENTION_DAYS} for its trail",
                            lambda env: not env.audit.trail or env.audit.retention_days >= HIPAA_RETENTION_DAYS),
    "dr_region": Rule("backup.dr_region: a second region for copies of its backups",
                      lambda env: env.backup.dr_region is not None),
    "restore_testing": Rule("backup.restore_testing: true", lambda env: env.backup.restore_testing),
    "kms_deletion_window": Rule(f"kms_deletion_window_days: {PRODUCTION_KMS_WINDOW_DAYS}",
                                lambda env: env.kms_deletion_window_days == PRODUCTION_KMS_WINDOW_DAYS),
    # Instances reach AWS through VPC endpoints; nothing in production talks to the internet.
    "internet_egress": Rule("internet_egress: false", lambda env: not env.internet_egress),
    "interface_endpoints": Rule("interface_endpoints: true", lambda env: env.interface_endpoints),
}

# A production environment must not share its AWS account with a non-production one (one
# account's credentials would reach both). It compares environments, so invariants checks it;
# it is waived like the others.
SEPARATE_ACCOUNT = "separate_account"
SEPARATE_ACCOUNT_REQUIRES = "an AWS account that no non-production environment uses"
# Every rule a spec may waive, with what it requires.
WAIVABLE_RULES = {**{name: rule.requires for name, rule in PRODUCTION_RULES.items()},
                  SEPARATE_ACCOUNT: SEPARATE_ACCOUNT_REQUIRES}


def derived_settings(env: Environment) -> dict[str, object]:
    """Settings of the generated stack that follow from production and its rules."""
    return {
        # The ALB holds no data, but deleting production's by accident is an outage.
        "alb_deletion_protection": env.production,
        # Outside production, destroying the environment also deletes its access logs.
        "alb_logs_force_destroy": not env.production,
        # A protected database is snapshotted when it is destroyed.
        "db_skip_final_snapshot": not env.database.deletion_protection,
        # Production's log groups stay when the stack is destroyed, and cannot be deleted until
        # their deletion protection is turned off.
        "log_groups_protected": env.production,
        # Production's trail bucket keeps every log file unchangeable for the audit retention.
        "audit_object_lock": env.production and env.audit.trail,
        "audit_bucket_force_destroy": not env.production,
        # Production's vaults are locked: no recovery point leaves before its retention ends.
        "backup_vault_lock": env.production,
        "backup_dr_vault_lock": env.production and env.backup.dr_region is not None,
        "backup_vault_force_destroy": not env.production,
        # A plan that would destroy production's keys, vaults, audit bucket or database fails.
        "destroy_guard": env.production,
    }


@dataclass(frozen=True)
class ScannerException:
    """A scanner finding tapgen accepts on one block of the output, and why: a Checkov check, the
    Trivy checks that ask the same, or both."""

    address: str  # the block that carries the Checkov annotation, e.g. "aws_s3_bucket.alb_logs"
    checkov: str | None  # the Checkov check ID; None for a finding only Trivy reports
    title: str  # what the check asks for
    reason: str  # why it does not apply here, or is accepted
    # What covers the gap: a text, or what it is among the environments at hand.
    compensates: str | Callable[[Mapping[str, Environment]], str]
    # The production rule that enforces the setting where it matters (or the derived setting that
    # follows from production); None when the finding is accepted in every environment.
    rule: str | None = None
    trivy: tuple[str, ...] = ()  # the Trivy check IDs (AWS-nnnn) for the same finding
    # The block Trivy reports the finding on, where it is not ``address``.
    trivy_block: str | None = None
    # Whether an environment passes the check, for a finding no rule covers.
    passes: Callable[[Environment], bool] | None = None
    # The root module whose block carries it: the stack (out/, in the skip ledger) or the state
    # bucket's (out/bootstrap/, rendered with a backend; the same in every environment).
    module: str = "stack"
    # Which environments have the block (those with a trail, for the trail's); None: all.
    present: Callable[[Environment], bool] | None = None
    # Where what compensates differs by environment: what it is in one.
    compensated_in: Callable[[Environment], str] | None = None

    def present_in(self, environments: Mapping[str, Environment]) -> list[Environment]:
        return [env for env in environments.values() if self.present is None or self.present(env)]

    def failing_in(self, environments: Mapping[str, Environment]) -> dict[str, Environment]:
        """The environments that have the block and fail its check: where the finding stands."""
        return {name: env for name, env in environments.items()
                if (self.present is None or self.present(env)) and self.fails(env)}

    def compensation(self, environments: Mapping[str, Environment]) -> str:
        """What covers the gap in these environments, each named where they differ."""
        if callable(self.compensates):
            return self.compensates(environments)
        if self.compensated_in is None:
            return self.compensates
        names: dict[str, list[str]] = {}
        for env in self.present_in(environments):
            names.setdefault(self.compensated_in(env), []).append(env.name)
        if len(names) == 1:
            return next(iter(names))
        return "; ".join(f"{', '.join(envs)}: {text}" for text, envs in names.items())

    @property
    def trivy_address(self) -> str:
        return self.trivy_block or self.address

    def fails(self, env: Environment) -> bool:
        """Whether ``env``'s settings fail the check (a finding to annotate)."""
        if self.passes is not None:
            return not self.passes(env)
        if self.rule is None:
            return True
        if self.rule in PRODUCTION_RULES:
            return not PRODUCTION_RULES[self.rule].met(env)
        return not derived_settings(env)[self.rule]

    def reason_for(self, environments: Mapping[str, Environment], keyed: bool = False) -> str | None:
        """The annotation's reason for these environments; None if none of them fails the check.

        ``keyed``: the output is keyed by workspace, so its text has the block even where no
        environment creates it (its count is 0 in each), and a scanner of the text still reads it.
        """
        present = self.present_in(environments)
        if not present:
            return f"no environment here creates it (count 0 in each): {self.reason}" if keyed else None
        if self.rule is None and self.passes is None:
            return self.reason
        failing = [env for env in present if self.fails(env)]
        if not failing:
            return None
        if self.rule is None:
            return f"{', '.join(env.name for env in failing)}: {self.reason}"
        parts = []
        others = [env.name for env in failing if not env.production]
        if others:
            parts.append(f"no {self.title} in {', '.join(others)} (not production); {self.reason}")
        parts += [f"{env.name} waives it: {env.waivers[self.rule]}" for env in failing if env.production]
        return "; ".join(parts)


def _recorded_by_trail(env: Environment) -> str:
    owner = env.trail_owner
    if owner is None:
        return ("nothing records reads: no CloudTrail trail covers this environment (set audit.trail, or "
                "audit.shared_trail where it shares an account)")
    trail = "its own CloudTrail trail" if owner == env.name else f"{owner}'s CloudTrail trail"
    return f"every object read, write and delete is an S3 data event in {trail}"


def _audit_bucket_watched(env: Environment) -> str:
    if not env.audit.trail:
        return "the bucket stays empty: this environment has no trail of its own"
    return ("reads of its log files are S3 data events in the trail itself; only CloudTrail may write (bucket "
            "policy); log file validation detects a changed or deleted file" + ("; Object Lock" if env.production else ""))


def _traffic_recorded(environments: Mapping[str, Environment]) -> str:
    """What records an environment's traffic without flow logs, and which of these environments log it."""
    logging = [env.name for env in environments.values() if env.flow_logs]
    return ("the load balancer's access logs record every request it receives; security groups let only the "
            "load balancer reach the app and only the app reach the database"
            + (f"; {', '.join(logging)} " + ("records all its" if len(logging) == 1 else "record all their")
               + " traffic to a KMS-encrypted group" if logging else ""))


def has_trail(env: Environment) -> bool:
    return env.audit.trail


_KEY_POLICY = ('Key policy: Resource "*" is this key only, and the account-root statement is required '
               "to delegate key access to IAM")
_KEY_POLICY_COMPENSATES = "no '*' principal; service statements conditioned on source account and ARN"
# Trivy requires more than the default single day of automated backups (AWS-0077).
MIN_TRIVY_BACKUP_DAYS = 2

# In the order the annotations appear in a block.
SCANNER_EXCEPTIONS = (
    ScannerException("aws_vpc.this", "CKV2_AWS_11", "VPC flow logs",
                     "tapgen requires it in production", _traffic_recorded, rule="flow_logs", trivy=("AWS-0178",)),
    ScannerException("aws_vpc_security_group_ingress_rule.alb_http", "CKV_AWS_260", "port 80 closed to 0.0.0.0/0",
                     "Port 80 only reaches the listener that answers HTTP 301 to HTTPS; no content is served "
                     "over HTTP", "HSTS on HTTPS; allowed_ingress_cidrs narrows both"),
    ScannerException("aws_vpc_security_group_egress_rule.app_https", None, "egress limited to the VPC endpoints",
                     "tapgen requires it in production", "HTTPS only, through NAT; AWS APIs through VPC endpoints",
                     rule="internet_egress", trivy=("AWS-0104",)),
    ScannerException("aws_lb.this", None, "load balancer not public",
                     "The load balancer is the platform's entry point for its clients; it serves HTTPS only",
                     "allowed_ingress_cidrs narrows who reaches it; TLS 1.3/1.2 policy; invalid headers dropped",
                     trivy=("AWS-0053",)),
    ScannerException("aws_lb.this", "CKV_AWS_150", "ALB deletion protection",
                     "it is on in production", "the ALB holds no data; it is recreated from code",
                     rule="alb_deletion_protection"),
    ScannerException("aws_lb.this", "CKV2_AWS_28", "ALB behind WAF",
                     "WAF is the edge layer owned by the platform team; attach its web ACL with "
                     "aws_wafv2_web_acl_association", "attach your web ACL (README)"),
    ScannerException("aws_s3_bucket.alb_logs", "CKV_AWS_145", "S3 encrypted with KMS",
                     "ALB access logs can only be delivered to SSE-S3 (AES256) buckets, not SSE-KMS",
                     "SSE-S3, TLS-only and TLS 1.2+ policy, public access blocked, ACLs off",
                     trivy=("AWS-0132",), trivy_block="aws_s3_bucket_server_side_encryption_configuration.alb_logs"),
    ScannerException("aws_s3_bucket.alb_logs", "CKV_AWS_18", "S3 access logging",
                     "Terminal log bucket; logging it to another bucket would only move the gap",
                     "S3 data events in the environment's CloudTrail trail",
                     compensated_in=_recorded_by_trail, trivy=("AWS-0089",)),
    ScannerException("aws_s3_bucket.alb_logs", "CKV_AWS_144", "S3 cross-region replication",
                     "Operational access logs with a fixed expiry; cross-region replication is not required "
                     "for them", "versioning, lifecycle expiry"),
    ScannerException("aws_db_instance.this", "CKV_AWS_157", "RDS Multi-AZ",
                     "tapgen requires it in production", "daily backups, point-in-time restore",
                     rule="multi_az"),
    ScannerException("aws_db_instance.this", "CKV_AWS_293", "RDS deletion protection",
                     "tapgen requires it in production",
                     "final snapshot where protected; backups kept after delete", rule="deletion_protection",
                     trivy=("AWS-0177",)),
    ScannerException("aws_db_instance.this", "CKV_AWS_226", "automatic minor upgrades",
                     "the spec pins a minor version, which an automatic upgrade would leave behind the "
                     "database (a downgrade Terraform would plan and RDS refuses)",
                     "minor upgrades through the spec's engine_version, reviewed like any change",
                     passes=lambda env: not env.database.minor_pinned),
    ScannerException("aws_db_instance.this", None, f"{MIN_TRIVY_BACKUP_DAYS}+ days of RDS backups",
                     "the spec keeps a single day of automated backups",
                     "point-in-time restore within the day; production keeps backups at least as long as any "
                     "other environment", trivy=("AWS-0077",),
                     passes=lambda env: env.database.backup_retention_days >= MIN_TRIVY_BACKUP_DAYS),
    ScannerException("aws_cloudwatch_log_group.this", "CKV_AWS_338", f"{MIN_PRODUCTION_LOG_DAYS}+ days of log "
                     "retention", "tapgen requires it in production", "every group is KMS-encrypted",
                     rule="log_retention"),
    ScannerException("data.aws_iam_policy_document.s3_endpoint", "CKV_AWS_283", "no policy for any AWS principal",
                     "A VPC endpoint policy grants nothing: it limits what any caller may do through the endpoint, "
                     "and Amazon Linux and SSM Agent read AWS's buckets anonymously",
                     "reading only through the endpoint, any other action only on this account's buckets"),
    *(ScannerException("data.aws_iam_policy_document.kms_account", check, "key policy without '*'", _KEY_POLICY,
                       _KEY_POLICY_COMPENSATES) for check in ("CKV_AWS_109", "CKV_AWS_111", "CKV_AWS_356")),
    *(ScannerException("data.aws_iam_policy_document.kms_administration", check, "key policy without '*'",
                       'Key policy: Resource "*" is this key only; the account-root statement keeps administration '
                       "with the account (no use of the key), so that it can never lock itself out",
                       "use only through RDS, EC2 and Secrets Manager (kms:ViaService), or CloudWatch Logs for "
                       "the database log groups") for check in ("CKV_AWS_109", "CKV_AWS_111", "CKV_AWS_356")),
    *(ScannerException("data.aws_iam_policy_document.kms_data", check, "key policy without '*'",
                       'Key policy: Resource "*" is this key only; the Auto Scaling service-linked role '
                       "statements are the key policy AWS documents for launching instances with CMK-encrypted "
                       "EBS volumes", "the principal is this stack's own service-linked role (custom suffix); "
                       "it may create grants for AWS resources only") for check in ("CKV_AWS_111", "CKV_AWS_356")),
    # The state bucket (templates/bootstrap/)
    ScannerException("aws_s3_bucket.state", "CKV_AWS_18", "S3 access logging",
                     "Access logs of the state bucket would need a log bucket of their own, which would fail "
                     "this check in turn", "object events go to EventBridge; versioning keeps every state "
                     "written; TLS-only policy", module="bootstrap", trivy=("AWS-0089",)),
    ScannerException("aws_s3_bucket.state", "CKV_AWS_144", "S3 cross-region replication",
                     "One region holds the state; replicating it is the platform team's disaster-recovery "
                     "decision", "versioning and prevent_destroy; the stack's resources can be imported again",
                     module="bootstrap"),
    *(ScannerException("data.aws_iam_policy_document.state_key", check, "key policy without '*'", _KEY_POLICY,
                       "no '*' principal; only the account root", module="bootstrap")
      for check in ("CKV_AWS_109", "CKV_AWS_111", "CKV_AWS_356")),
    ScannerException("aws_s3_bucket.audit", "CKV_AWS_18", "S3 access logging",
                     "The trail's own bucket: its server access logs would need another bucket, whose access "
                     "would go unlogged in turn",
                     "reads of the log files recorded by the trail itself", compensated_in=_audit_bucket_watched,
                     trivy=("AWS-0089",)),
    ScannerException("aws_s3_bucket.audit", "CKV_AWS_145", "S3 encrypted with KMS",
                     "CloudTrail encrypts each log file with the audit key itself (the trail's kms_key_id) and "
                     "writes digest files with SSE-S3 by design (CloudTrail User Guide); the SSE-S3 default "
                     "covers only objects sent without encryption",
                     "log files KMS-encrypted; TLS-only policy; public access blocked; ACLs off",
                     trivy=("AWS-0132",), trivy_block="aws_s3_bucket_server_side_encryption_configuration.audit"),
    ScannerException("aws_s3_bucket.audit", "CKV_AWS_144", "S3 cross-region replication",
                     "S3 keeps the log files in three or more availability zones of the region; a copy outside "
                     "it belongs in the organisation's log-archive account, not in this stack",
                     "versioning; Object Lock in production; the trail records every region"),
    ScannerException("aws_cloudtrail.this", "CKV_AWS_252", "CloudTrail SNS topic",
                     "A notification for every delivered log file would flood the alarm topic",
                     "an alarm when the trail delivers nothing for an hour; metric filters alarm on what a "
                     "reviewer watches", present=has_trail),
)


def annotations(environments: Mapping[str, Environment],
                keyed: bool = False) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The Checkov and the Trivy annotation lines of each annotated block, for output covering
    ``environments``. Checkov's ``#checkov:skip=`` lines go at the top of the block; Trivy's
    ``#trivy:ignore:<ID> <reason>``, each on its own line, directly above the block's first line,
    where Trivy matches an ignore to every finding in the block (pkg/iac/ignore/rule.go,
    matchRange; consecutive ignore lines stack).

    Every block named by an exception has an entry (empty where no environment fails its
    checks), so a template that asks for a block no exception names fails to render.
    """
    checkov: dict[str, list[str]] = {e.address: [] for e in SCANNER_EXCEPTIONS if e.checkov}
    trivy: dict[str, list[str]] = {e.trivy_address: [] for e in SCANNER_EXCEPTIONS if e.trivy}
    for exception in SCANNER_EXCEPTIONS:
        reason = exception.reason_for(environments, keyed)
        if reason is None:
            continue
        if exception.checkov:
            checkov[exception.address].append(f"#checkov:skip={exception.checkov}:{hcl_comment(reason)}")
        if exception.trivy:
            trivy[exception.trivy_address] += [f"#trivy:ignore:{check} {hcl_comment(reason)}"
                                               for check in exception.trivy]
    return checkov, trivy


def scanner_annotations(environments: Mapping[str, Environment], keyed: bool = False) -> dict[str, list[str]]:
    return annotations(environments, keyed)[0]


def trivy_annotations(environments: Mapping[str, Environment], keyed: bool = False) -> dict[str, list[str]]:
    return annotations(environments, keyed)[1]


def ledger_rows(environments: Mapping[str, Environment]) -> list[list[str]]:
    """The stack's skip ledger: one row per accepted finding (exceptions that differ only in their
    check IDs share a row): Checkov checks, Trivy checks, what they ask, environments, why, what
    compensates, where production is enforced."""
    rows: dict[tuple[str, ...], tuple[list[str], list[str]]] = {}
    for exception in SCANNER_EXCEPTIONS:
        reason = exception.reason_for(environments, keyed=True) if exception.module == "stack" else None
        if reason is None:
            continue
        present = exception.present_in(environments)
        where = ("none (count 0 in each)" if not present
                 else "all" if exception.rule is None and exception.passes is None and len(present) == len(environments)
                 else ", ".join(exception.failing_in(environments)))
        rule = PRODUCTION_RULES.get(exception.rule or "")
        enforced = (f"production needs {rule.requires} or a waiver" if rule
                    else "always on in production" if exception.rule else "-")
        row = (exception.title, where, reason, exception.compensation(environments), enforced)
        checkov, trivy = rows.setdefault(row, ([], []))
        if exception.checkov and exception.checkov not in checkov:  # one finding on several blocks: one row
            checkov.append(exception.checkov)
        trivy += [check for check in exception.trivy if check not in trivy]
    return [[", ".join(checkov) or "-", ", ".join(trivy) or "-", *row] for row, (checkov, trivy) in rows.items()]
