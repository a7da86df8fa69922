"""Production policy, in one place: what being production means for an environment.

- ``PRODUCTION_RULES``: what a production environment must have unless the spec waives the rule
  with a reason (the name rule: an environment named like production is production unless
  waived, see ``spec.named_like_production``).
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
from .spec import Environment, named_like_production

MIN_PRODUCTION_LOG_DAYS = 365
MIN_WAIVER_REASON = 10


@dataclass(frozen=True)
class Rule:
    requires: str
    met: Callable[[Environment], bool]
    # Which environments the rule holds for: production ones, unless it says otherwise.
    applies: Callable[[Environment], bool] = lambda env: env.production


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
    # Instances reach AWS through VPC endpoints; nothing in production talks to the internet.
    "internet_egress": Rule("internet_egress: false", lambda env: not env.internet_egress),
    "interface_endpoints": Rule("interface_endpoints: true", lambda env: env.interface_endpoints),
}


def derived_settings(env: Environment) -> dict[str, object]:
    """Settings of the generated stack that follow from production and its rules."""
    return {
        # The ALB holds no data, but deleting production's by accident is an outage.
        "alb_deletion_protection": env.production,
        # Outside production, destroying the environment also deletes its access logs.
        "alb_logs_force_destroy": not env.production,
        # A protected database is snapshotted when it is destroyed.
        "db_skip_final_snapshot": not env.database.deletion_protection,
    }


@dataclass(frozen=True)
class ScannerException:
    """A scanner finding tapgen accepts on one block of the output, and why: a Checkov check, the
    Trivy checks that ask the same, or both."""

    address: str  # the block that carries the Checkov annotation, e.g. "aws_s3_bucket.alb_logs"
    checkov: str | None  # the Checkov check ID; None for a finding only Trivy reports
    title: str  # what the check asks for
    reason: str  # why it does not apply here, or is accepted
    compensates: str  # what covers the gap
    # The production rule that enforces the setting where it matters (or the derived setting that
    # follows from production); None when the finding is accepted in every environment.
    rule: str | None = None
    trivy: tuple[str, ...] = ()  # the Trivy check IDs (AWS-nnnn) for the same finding
    # The block Trivy reports the finding on, where it is not ``address``.
    trivy_block: str | None = None
    # Whether an environment passes the check, for a finding no rule covers.
    passes: Callable[[Environment], bool] | None = None

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

    def reason_for(self, environments: Mapping[str, Environment]) -> str | None:
        """The annotation's reason for these environments; None if none of them fails the check."""
        if self.rule is None and self.passes is None:
            return self.reason
        failing = [env for env in environments.values() if self.fails(env)]
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


_KEY_POLICY = ('Key policy: Resource "*" is this key only, and the account-root statement is required '
               "to delegate key access to IAM")
_KEY_POLICY_COMPENSATES = "no '*' principal; service statements conditioned on source account and ARN"
# Trivy requires more than the default single day of automated backups (AWS-0077).
MIN_TRIVY_BACKUP_DAYS = 2

# In the order the annotations appear in a block.
SCANNER_EXCEPTIONS = (
    ScannerException("aws_vpc.this", "CKV2_AWS_11", "VPC flow logs",
                     "tapgen requires it in production", "staging and prod log all traffic to an encrypted group",
                     rule="flow_logs", trivy=("AWS-0178",)),
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
                     "writes only by the ELB delivery principal; versioning keeps every object", trivy=("AWS-0089",)),
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
)


def scanner_annotations(environments: Mapping[str, Environment]) -> dict[str, list[str]]:
    """The Checkov annotation lines of each annotated block (at the top of the block), for output
    covering ``environments``.

    Every block named by an exception has an entry (empty where no environment fails its
    checks), so a template that asks for a block no exception names fails to render.
    """
    lines: dict[str, list[str]] = {e.address: [] for e in SCANNER_EXCEPTIONS if e.checkov}
    for exception in SCANNER_EXCEPTIONS:
        reason = exception.reason_for(environments)
        if exception.checkov and reason is not None:
            lines[exception.address].append(f"#checkov:skip={exception.checkov}:{hcl_comment(reason)}")
    return lines


def trivy_annotations(environments: Mapping[str, Environment]) -> dict[str, list[str]]:
    """The Trivy annotation lines of each annotated block, for output covering ``environments``:
    ``#trivy:ignore:<ID> <reason>``, each on its own line directly above the block's first line,
    where Trivy matches an ignore to every finding in the block (pkg/iac/ignore/rule.go, matchRange;
    consecutive ignore lines stack). Entries as in ``scanner_annotations``."""
    lines: dict[str, list[str]] = {e.trivy_address: [] for e in SCANNER_EXCEPTIONS if e.trivy}
    for exception in SCANNER_EXCEPTIONS:
        reason = exception.reason_for(environments)
        if exception.trivy and reason is not None:
            lines[exception.trivy_address] += [f"#trivy:ignore:{check} {hcl_comment(reason)}"
                                               for check in exception.trivy]
    return lines


def ledger_rows(environments: Mapping[str, Environment]) -> list[list[str]]:
    """The skip ledger: one row per accepted finding (exceptions that differ only in their check
    IDs share a row): Checkov checks, Trivy checks, what they ask, environments, why, what
    compensates, where production is enforced."""
    rows: dict[tuple[str, ...], tuple[list[str], list[str]]] = {}
    for exception in SCANNER_EXCEPTIONS:
        reason = exception.reason_for(environments)
        if reason is None:
            continue
        where = ("all" if exception.rule is None and exception.passes is None
                 else ", ".join(env.name for env in environments.values() if exception.fails(env)))
        rule = PRODUCTION_RULES.get(exception.rule or "")
        enforced = (f"production needs {rule.requires} or a waiver" if rule
                    else "always on in production" if exception.rule else "-")
        row = (exception.title, where, reason, exception.compensates, enforced)
        checkov, trivy = rows.setdefault(row, ([], []))
        checkov += [exception.checkov] if exception.checkov else []
        trivy += exception.trivy
    return [[", ".join(checkov) or "-", ", ".join(trivy) or "-", *row] for row, (checkov, trivy) in rows.items()]
