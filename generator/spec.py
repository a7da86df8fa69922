"""The spec: a typed model of the platform, with its defaults.

Reading a spec file into this model is ``loader.load_spec``; what production means is
``policy``. Defaults that depend on other settings (whether an environment is production, how
many NAT gateways it gets) are declared here, on the field, with ``derive``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .typed_yaml import setting

NAME = r"[a-z][a-z0-9]*(-[a-z0-9]+)*"
REGION_PATTERN = r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}"
# An EventBridge cron expression, as AWS Backup schedules take it: six fields, in UTC (each field
# checked by invariants, with ``cron``).
CRON = r"cron\(\S+( \S+){5}\)"
# Retention periods CloudWatch Logs accepts (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                      1096, 1827, 2192, 2557, 2922, 3288, 3653)
# HIPAA documentation is kept six years (45 CFR 164.316(b)(2)(i)); 2192 days is the CloudWatch
# Logs retention that covers it. An audit trail kept less than a year fails Security Hub
# CloudWatch.16 and Checkov CKV_AWS_338, so tapgen offers no shorter one.
HIPAA_RETENTION_DAYS = 2192
AUDIT_RETENTION_DAYS = tuple(days for days in LOG_RETENTION_DAYS if days >= 365)
# An environment whose name says production is production unless the spec says otherwise
# (and saying otherwise needs a waiver: see policy).
PRODUCTION_NAMES = ("prod", "production", "prd", "live")
# pgaudit.log statement classes (pgaudit README; RDS User Guide, "pgAudit parameter reference"),
# comma-separated, each optionally excluded with a leading "-".
PGAUDIT_CLASS = r"-?(ddl|function|misc_set|misc|read|role|write|all|none)"
# The RDS master user, whose password RDS manages in Secrets Manager; the app has a user of its own.
DB_MASTER_USERNAME = "dbadmin"
ACCOUNT_ID = r"[0-9]{12}"


def named_like_production(name: str) -> bool:
    """Whether an environment's name says production: one of PRODUCTION_NAMES, or starts with one."""
    return name.startswith(PRODUCTION_NAMES)


def _production_by_name(values: Mapping[str, Any]) -> bool:
    return named_like_production(values["name"])


def _internet_egress_outside_production(values: Mapping[str, Any]) -> bool:
    return not values["production"]


def _nat_per_az_in_production(values: Mapping[str, Any]) -> str:
    return "per_az" if values["production"] else "single"


# Target-tracking defaults: half the CPU, leaving room for a spike while new instances warm up;
# and a request rate a small instance serves comfortably.
DEFAULT_SCALING_TARGETS = {"cpu": 50, "requests": 1000}


def _default_scaling_target(values: Mapping[str, Any]) -> int:
    return DEFAULT_SCALING_TARGETS[values["scale_on"]]


def _own_trail_in_production(values: Mapping[str, Any]) -> bool:
    return values["production"] and values["shared_trail"] is None


def _production_backup_days(values: Mapping[str, Any]) -> int:
    return 35 if values["production"] else 7


def _same_as_primary_retention(values: Mapping[str, Any]) -> int:
    return values["retention_days"]


def _in_production(values: Mapping[str, Any]) -> bool:
    return values["production"]


# kw_only: target's default is derived from scale_on, which has a default of its own.
@dataclass(frozen=True, kw_only=True)
class Autoscaling:
    min: int = setting("Fewest app instances the Auto Scaling group keeps.", minimum=1, maximum=1000)
    max: int = setting("Most app instances the Auto Scaling group may run.", minimum=1, maximum=1000)
    desired: int = setting("App instances at creation; from then on the scaling policy sets the number.",
                           minimum=1, maximum=1000)
    scale_on: Literal["cpu", "requests"] = setting(
        "What target tracking holds at its target: average CPU of the group, or load balancer requests "
        "per instance.", "cpu")
    target: int = setting(
        "The target: percent average CPU (1 to 100), or requests per instance per minute (default: 50 "
        "for cpu, 1000 for requests).", minimum=1, maximum=1_000_000, derive=_default_scaling_target)


@dataclass(frozen=True)
class Database:
    instance_class: str = setting("RDS instance class.", pattern=r"db\.[a-z][a-z0-9-]*\.[a-z0-9]+",
                                  example="db.t3.micro")
    allocated_storage_gb: int = setting("Initial storage in GiB.", minimum=20, maximum=65536)
    backup_retention_days: int = setting("Days RDS keeps automated backups.", minimum=1, maximum=35)
    multi_az: bool = setting("Run a synchronous standby in a second availability zone.")
    deletion_protection: bool = setting("Refuse to delete the database (and snapshot it on destroy).")
    max_allocated_storage_gb: int = setting(
        "Upper bound for storage autoscaling in GiB; 0 turns storage autoscaling off.",
        0, minimum=0, maximum=65536)
    pgaudit_log: str = setting(
        "Statement classes pgaudit audits in every session (pgaudit.log): ddl, role, read, write, "
        "function, misc, misc_set, all or none, comma-separated; read and write log the statement "
        "text of every query, so audit PHI tables by object instead (README).", "ddl,role",
        pattern=rf"{PGAUDIT_CLASS}(,{PGAUDIT_CLASS})*", example="ddl,role")
    engine_version: str = setting("PostgreSQL version: a major version (minor upgrades are automatic) "
                                  "or major.minor (minor upgrades only through this key).", "16", pattern=r"1[3-9](\.[0-9]+)?", example="16")

    @property
    def major_version(self) -> str:
        return self.engine_version.split(".")[0]

    @property
    def minor_pinned(self) -> bool:
        return "." in self.engine_version


# kw_only: derived fields may follow fields with defaults.
@dataclass(frozen=True, kw_only=True)
class Audit:
    shared_trail: str | None = setting(
        "The environment whose CloudTrail trail records this one, because they share an AWS account "
        "(an account needs one trail; its trail then also records this environment's S3 data events); for a "
        "production environment, a production one (or waivers.audit_trail). None: this environment's own "
        "trail, where `trail` is true.", None, pattern=NAME, example="prod")
    trail: bool = setting(
        "A CloudTrail trail of this environment's account: every region, global service events, log "
        "file validation, KMS-encrypted, to its own bucket and log group, with CIS alarms (default: "
        "true in production unless shared_trail names another environment).",
        derive=_own_trail_in_production)
    retention_days: int = setting(
        "Days the trail's log files and log group are kept; in production Object Lock keeps the log "
        "files unchangeable as long (default: six years, 45 CFR 164.316(b)(2)(i)).",
        HIPAA_RETENTION_DAYS, choices=AUDIT_RETENTION_DAYS)
    object_lock: Literal["governance", "compliance"] = setting(
        "Object Lock mode of the production trail bucket: governance can be lifted by principals "
        "allowed s3:BypassGovernanceRetention, compliance by no one until the retention ends.",
        "governance")


@dataclass(frozen=True, kw_only=True)
class Backup:
    schedule: str = setting(
        "When AWS Backup snapshots the database: a cron expression in UTC (default: daily at 06:00, "
        "after the RDS backup window and clear of the maintenance window).",
        "cron(0 6 * * ? *)", pattern=CRON, example="cron(0 6 * * ? *)")
    retention_days: int = setting(
        "Days each AWS Backup snapshot is kept (default: 35 in production, 7 elsewhere).",
        minimum=1, maximum=3650, derive=_production_backup_days)
    dr_region: str | None = setting(
        "Second region that receives a copy of every snapshot, encrypted under a key of that region "
        "(required in production unless waived): a region of the stack's partition, not the stack's own. "
        "None: no copy.", None, pattern=REGION_PATTERN,
        example="us-east-2")
    dr_retention_days: int = setting(
        "Days each copy in dr_region is kept (default: retention_days).", minimum=1, maximum=3650,
        derive=_same_as_primary_retention)
    vault_lock: Literal["governance", "compliance"] = setting(
        "Vault Lock mode of the production vaults: governance can be removed by principals allowed "
        "to, compliance by no one once its three-day grace period ends.", "governance")
    restore_testing: bool = setting(
        "Restore the latest snapshot on restore_testing_schedule, check it becomes available and "
        "delete it (default: true in production).", derive=_in_production)
    restore_testing_schedule: str = setting(
        "When restore tests start: a cron expression in UTC (default: Sundays 09:00).",
        "cron(0 9 ? * SUN *)", pattern=CRON, example="cron(0 9 ? * SUN *)")


@dataclass(frozen=True)
class Environment:
    name: str = setting("The environment's name: its key under environments.", from_key=True)
    vpc_cidr: str = setting("The environment's VPC range; private, and disjoint from every other "
                            "environment's.", example="10.10.0.0/16")
    instance_type: str = setting("EC2 instance type of the app tier.",
                                 pattern=r"[a-z][a-z0-9-]*\.[a-z0-9]+", example="t3.micro")
    autoscaling: Autoscaling = setting("Size of the app tier's Auto Scaling group.")
    database: Database = setting("The environment's PostgreSQL instance.")
    log_retention_days: int = setting("Days CloudWatch Logs keeps every log group.",
                                      choices=LOG_RETENTION_DAYS)
    flow_logs: bool = setting("Record VPC flow logs to CloudWatch Logs.")
    availability_zones: int = setting("How many availability zones the VPC spans.",
                                      minimum=2, maximum=6)
    production: bool = setting(
        "Hold the environment to the production rules (default: true when the name says production: "
        + ", ".join(PRODUCTION_NAMES) + ", or a name starting with one; saying false for such a name "
        "needs waivers.production).", derive=_production_by_name)
    internet_egress: bool = setting(
        "Let app instances reach the internet (HTTPS, through NAT gateways), beyond the AWS APIs they "
        "reach through VPC endpoints (default: false in production, where it needs "
        "waivers.internet_egress; true elsewhere).", derive=_internet_egress_outside_production)
    nat_gateways: Literal["single", "per_az"] = setting(
        "With internet_egress: one shared NAT gateway, or one per availability zone (default: per_az in "
        "production). Without it there are none.", derive=_nat_per_az_in_production)
    interface_endpoints: bool = setting(
        "Interface VPC endpoints (ssm, ssmmessages, ec2messages, logs, monitoring, kms, secretsmanager, "
        "sts) in every zone, so instances reach those AWS APIs privately; each costs by the hour. "
        "Turning them off needs internet_egress, and in production waivers.interface_endpoints.", True)
    ami_id: str | None = setting(
        "AMI the environment's instances run, pinned: a new image reaches the group only when this "
        "changes (default: Amazon Linux 2023 for the instance type's architecture, resolved by EC2 "
        "at each launch from its public SSM parameter).", None,
        pattern=r"ami-([0-9a-f]{8}|[0-9a-f]{17})", example="ami-0123456789abcdef0")
    ami_serves_health_check: bool = setting(
        "The pinned image (ami_id) starts the app itself, answering health_check_path on app_port: "
        "the Auto Scaling group then uses the load balancer's health checks.", False)
    user_data: str | None = setting(
        "User-data file that delivers the app (run by cloud-init at first boot), relative to the "
        "spec's folder; UTF-8 text of at most 16 KB. With an app delivered, the Auto Scaling group "
        "uses the load balancer's health checks.", None, pattern=r"[^\x00]+", example="app/user-data.sh")
    # The text of user_data, read by the loader.
    user_data_text: str = setting("The user-data file's text.", "", loaded=True)
    kms_deletion_window_days: int = setting(
        "Days a deleted KMS key waits before it is destroyed.", 30, minimum=7, maximum=30)
    account_id: str | None = setting(
        "The 12-digit AWS account this environment deploys to, quoted; the provider refuses "
        "credentials of any other account (production needs one).", None, pattern=ACCOUNT_ID,
        example="123456789012")
    assume_role_arn: str | None = setting(
        "IAM role the provider assumes to deploy this environment (default: the caller's own "
        "credentials).", None, pattern=rf"arn:aws[a-z-]*:iam::{ACCOUNT_ID}:role/[A-Za-z0-9+=,.@_/-]{{1,512}}",
        example="arn:aws:iam::123456789012:role/deploy")
    audit: Audit = setting("The audit trail: CloudTrail, its archive and its alarms.", {})
    backup: Backup = setting("AWS Backup of the database: schedule, retention, copies, restore tests.", {})
    # Which rules may be waived is policy's to say; loader checks the names.
    waivers: dict[str, str] = setting(
        "Production rules this environment is excused from, each with the reason.", {})

    @property
    def trail_owner(self) -> str | None:
        """The environment whose CloudTrail trail records this one's account, if any."""
        return self.name if self.audit.trail else self.audit.shared_trail


@dataclass(frozen=True)
class Backend:
    bucket: str = setting("S3 bucket that holds the state (S3's naming rules: 3 to 63 lowercase "
                          "letters, digits and '-'; no '.', which breaks HTTPS virtual-hosted addressing).",
                          pattern=r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", example="acme-tfstate")
    key: str = setting("Object key of the state file, under the workspace prefix (no '/' at either "
                       "end, no '//').", "terraform.tfstate", pattern=r"[A-Za-z0-9!_.*'()/-]{1,512}")
    region: str | None = setting("Region of the bucket (default: the spec's region).", None,
                                 pattern=REGION_PATTERN)
    workspace_key_prefix: str | None = setting(
        "Key prefix of non-default workspaces' state (default: the project name; no '/' at either "
        "end).", None, pattern=r"[A-Za-z0-9!_.*'()/-]{1,256}")
    use_lockfile: bool = setting("Lock the state with an S3 lock file.", True)
    kms_key_id: str | None = setting(
        "ARN of a KMS key of your own that encrypts the state (default: the key the bootstrap module makes, "
        "named by its alias alias/<bucket>-state).", None,
        pattern=r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/(?:[a-f0-9]{8}(?:-[a-f0-9]{4}){3}-[a-f0-9]{12}"
                r"|mrk-[a-f0-9]{32})")


@dataclass(frozen=True)
class Spec:
    project: str = setting("Name prefix of every resource.", pattern=NAME, example="healthcare-app")
    region: str = setting("AWS region to deploy to.", pattern=REGION_PATTERN, example="us-west-2")
    owner: str = setting("Team that owns the platform (the Owner tag).",
                         pattern=r"[\w .:/=+@-]{1,128}", example="platform-team")
    environments: dict[str, Environment] = setting(
        "The environments, one Terraform workspace each.", key_pattern=NAME,
        key_hint="lowercase letters, digits and single hyphens, starting with a letter")
    app_port: int = setting("Port the app listens on behind the load balancer.", 8080,
                            minimum=1024, maximum=65535)
    health_check_path: str = setting("Path the load balancer polls on each app instance.",
                                     "/health", pattern=r"/[A-Za-z0-9._~/-]*")
    app_db_user: str = setting(
        "PostgreSQL user the app connects as with IAM database authentication (it needs "
        "GRANT rds_iam); the app role may connect as this user only.", "app",
        pattern=r"[a-z_][a-z0-9_]{0,62}", example="app")
    backend: Backend | None = setting("Where Terraform keeps its state (none: local state).", None)
    allow_unknown_region: bool = setting(
        "Accept a region (region, backend.region, backup.dr_region) that is not in tapgen's table of AWS "
        "regions, such as "
        "one newer than this tapgen; availability_zones is then not checked against the region.", False)
