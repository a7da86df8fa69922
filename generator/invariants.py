"""Cross-field rules a typed spec must also satisfy before anything is generated.

Each rule protects production from a mistake a single field cannot show: ranges
that overlap, settings weaker in prod than in dev, a production environment
without its safety nets (unless a waiver says why).
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Mapping

from . import cron
from .errors import Problem
from .policy import (
    MIN_WAIVER_REASON,
    PRODUCTION_RULES,
    SEPARATE_ACCOUNT,
    SEPARATE_ACCOUNT_REQUIRES,
    WAIVABLE_RULES,
)
from .regions import REGIONS, closest
from .spec import DB_MASTER_USERNAME, Environment, Spec

PROMOTION_ORDER = ("dev", "staging", "prod")
# Each tier owns SUBNET_NEWBITS-sized slots; the smallest subnet AWS allows is a /28.
SUBNET_NEWBITS = 5
MAX_VPC_PREFIX = 28 - SUBNET_NEWBITS
# "<project>-<environment>" starts every name. The tightest limit is the ALB log bucket's:
# 63 characters, of which "-alb-logs-<account>-<region>" takes up to 39 (a 16-character region).
MAX_NAME_PREFIX = 24
LOG_BUCKET_SUFFIX = "-alb-logs-<account id>-<region>"
_PRIVATE_RANGES = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12",
                                                           "192.168.0.0/16"))


def check(spec: Spec, lines: Mapping[str, int]) -> list[Problem]:
    """Every invariant problem in ``spec``; ``lines`` maps dotted paths to spec lines."""
    found: list[tuple[str, str, str | None]] = []
    found += _names(spec)
    found += _regions(spec)
    found += _backend(spec)
    found += _networks(spec)
    for name, env in spec.environments.items():
        found += _env_rules(f"environments.{name}", env)
        found += _production(f"environments.{name}", env, spec.environments)
        found += _separate_account(f"environments.{name}", env, spec.environments)
    found += _retention_order(spec)
    found += _trails_and_copies(spec)
    found += _schedules(spec)
    return [Problem(path, message, _line(lines, path), hint) for path, message, hint in found]


def _line(lines: Mapping[str, int], path: str) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path.rpartition(".")[0]
    return None


def _names(spec: Spec):
    if not spec.environments:
        yield "environments", "must define at least one environment", "for example dev, staging, prod"
    if spec.app_db_user == DB_MASTER_USERNAME or spec.app_db_user.startswith("rds"):
        yield ("app_db_user", f"'{spec.app_db_user}' is the master user or an RDS-reserved name",
               "give the app a user of its own, such as app")
    for name in spec.environments:
        path = f"environments.{name}"
        if name == "default":
            yield path, "'default' is Terraform's own workspace, not an environment", "rename it"
        prefix = f"{spec.project}-{name}"
        if len(prefix) > MAX_NAME_PREFIX:
            yield (path, f"'{prefix}' is {len(prefix)} characters; '<project>-<environment>' may be at "
                   f"most {MAX_NAME_PREFIX}, so that the ALB log bucket '{prefix}{LOG_BUCKET_SUFFIX}' "
                   "fits S3's 63 characters in any region", "shorten the project or the environment name")


def _networks(spec: Spec):
    networks: list[tuple[str, ipaddress.IPv4Network]] = []
    for name, env in spec.environments.items():
        path = f"environments.{name}.vpc_cidr"
        network, problem = _canonical_network(env.vpc_cidr)
        if problem:
            yield path, *problem
            continue
        if not any(network.subnet_of(r) for r in _PRIVATE_RANGES):
            yield path, f"{network} is not a private range", "use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
        if network.prefixlen < 16:
            yield path, f"{network} is larger than AWS allows for a VPC", "use a prefix from /16 to /23"
        elif network.prefixlen > MAX_VPC_PREFIX:
            yield (path, f"{network} is too small for 3 tiers of subnets",
                   f"tapgen gives each subnet 1/{2 ** SUBNET_NEWBITS} of the VPC and AWS needs /28 or "
                   f"larger; use a prefix from /16 to /{MAX_VPC_PREFIX}")
        networks.append((name, network))
    # Sorted by start address, a range overlaps an earlier one exactly when it starts before the
    # furthest end seen so far: one pass instead of comparing every pair.
    furthest: tuple[str, ipaddress.IPv4Network] | None = None
    for name, network in sorted(networks, key=lambda item: item[1].network_address):
        if furthest and network.network_address <= furthest[1].broadcast_address:
            other, other_network = furthest
            yield (f"environments.{name}.vpc_cidr",
                   f"{network} overlaps environments.{other}.vpc_cidr ({other_network})",
                   "give every environment its own range so they can be peered")
        if furthest is None or network.broadcast_address > furthest[1].broadcast_address:
            furthest = (name, network)


def _canonical_network(text: str) -> tuple[ipaddress.IPv4Network | None, tuple[str, str] | None]:
    """The network ``text`` names, if it is written as Terraform's cidrsubnet needs it: an
    address and a prefix length, with no host bits and no leading zeros; else (None, problem)."""
    try:
        network = ipaddress.IPv4Network(text, strict=False)
    except ValueError as error:
        return None, (f"'{text}' is not an IPv4 network: {error}", "for example 10.10.0.0/16")
    address, _, length = text.partition("/")
    if not length:
        return None, (f"'{text}' has no prefix length", f"for example {text}/16")
    if not (length.isdigit() and str(int(length)) == length):
        form = "a netmask" if "." in length else "a prefix length with a leading zero"
        return None, (f"'{text}' gives {form}; tapgen needs the prefix length in plain decimal",
                      f"write {network}")
    if str(network) != text:
        return None, (f"'{text}' has host bits set: the network it is in is {network}", f"write {network}")
    return network, None


def _regions(spec: Spec):
    """The spec's, the backend's and the backup copies' regions exist, the copies' in the stack's
    partition, and the stack's region has the zones each environment asks for."""
    named = [("region", spec.region)]
    if spec.backend and spec.backend.region:
        named.append(("backend.region", spec.backend.region))
    named += [(f"environments.{name}.backup.dr_region", env.backup.dr_region)
              for name, env in spec.environments.items() if env.backup.dr_region]
    region = REGIONS.get(spec.region)
    for path, name in named:
        if name not in REGIONS and not spec.allow_unknown_region:
            close = closest(name)
            yield (path, f"'{name}' is not an AWS region tapgen knows",
                   (f"did you mean '{close}'? " if close else "")
                   + "for a region newer than this tapgen, set allow_unknown_region: true")
        elif path.endswith(".dr_region") and region and name in REGIONS and REGIONS[name].partition != region.partition:
            # "You cannot use IAM credentials from one partition to interact with resources in a
            # different partition" (AWS Fault Isolation Boundaries, "Partitions").
            yield (path, f"{name} is in the {REGIONS[name].partition} partition, the stack's region {spec.region} "
                   f"in {region.partition}: no credentials reach both, and AWS copies only within a partition",
                   f"choose a second region of the {region.partition} partition")
    if region is None:
        return
    for name, env in spec.environments.items():
        if env.availability_zones > region.availability_zones:
            yield (f"environments.{name}.availability_zones",
                   f"{spec.region} has {region.availability_zones} availability zones, not "
                   f"{env.availability_zones}", f"use at most {region.availability_zones}")


# S3 general purpose bucket names (AWS, "General purpose bucket naming rules"): the field's pattern
# holds the characters, the length and the ends; these are the rest. A '.' is S3's but not tapgen's:
# AWS advises against periods, which break virtual-hosted-style addressing over HTTPS (and with
# it go S3's '..', IP-address and '.mrap' rules).
_RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3")


def _backend(spec: Spec):
    """The S3 backend's settings as Terraform's S3 backend checks them at `terraform init`
    (hashicorp/terraform internal/backend/remote-state/s3/backend.go, PrepareConfig), and the
    bucket name as S3 does."""
    backend = spec.backend
    if backend is None:
        return
    bucket = backend.bucket
    if "." in bucket:
        yield ("backend.bucket", f"'{bucket}' has a '.', which breaks virtual-hosted-style HTTPS addressing",
               "use '-' instead of '.'")
    for prefix in _RESERVED_BUCKET_PREFIXES:
        if bucket.startswith(prefix):
            yield "backend.bucket", f"'{bucket}' starts with '{prefix}', which S3 reserves", None
    for suffix in _RESERVED_BUCKET_SUFFIXES:
        if bucket.endswith(suffix):
            yield "backend.bucket", f"'{bucket}' ends with '{suffix}', which S3 reserves", None
    paths = [("backend.key", backend.key)]
    if backend.workspace_key_prefix is not None:
        paths.append(("backend.workspace_key_prefix", backend.workspace_key_prefix))
    for path, value in paths:
        if value.startswith("/") or value.endswith("/"):
            yield (path, f"'{value}' starts or ends with '/', which terraform init refuses",
                   "S3 drops a leading '/' and reads a trailing one as a folder")
        if path == "backend.key" and "//" in value:
            yield path, f"'{value}' contains '//', which terraform init refuses", None


def _env_rules(path: str, env: Environment):
    scaling = env.autoscaling
    if not scaling.min <= scaling.desired <= scaling.max:
        yield (f"{path}.autoscaling", f"needs min <= desired <= max, got min {scaling.min}, "
               f"desired {scaling.desired}, max {scaling.max}", None)
    if scaling.scale_on == "cpu" and scaling.target > 100:
        yield (f"{path}.autoscaling.target", f"is a CPU percentage, got {scaling.target}", "use 1 to 100")
    if env.ami_serves_health_check and env.ami_id is None:
        yield (f"{path}.ami_serves_health_check", "says the image serves the app, but the environment "
               "runs stock Amazon Linux, which serves nothing on app_port",
               "pin the image that does with ami_id, or deliver the app with user_data")
    if not (env.interface_endpoints or env.internet_egress):
        yield (f"{path}.interface_endpoints", "is false and internet_egress is false: instances would reach no "
               "AWS API (Session Manager, CloudWatch, Secrets Manager)",
               "keep interface_endpoints: true, or set internet_egress: true")
    db = env.database
    if db.max_allocated_storage_gb and db.max_allocated_storage_gb <= db.allocated_storage_gb:
        yield (f"{path}.database.max_allocated_storage_gb",
               f"must be above allocated_storage_gb ({db.allocated_storage_gb}) or 0",
               "0 turns storage autoscaling off")
    role_account = env.assume_role_arn.split(":")[4] if env.assume_role_arn else None
    if role_account and env.account_id and role_account != env.account_id:
        yield (f"{path}.assume_role_arn", f"is a role in account {role_account}, not in account_id "
               f"{env.account_id}", "the provider would assume it and then refuse its account")


def _production(path: str, env: Environment, environments: Mapping[str, Environment]):
    for name in env.waivers:
        if name not in WAIVABLE_RULES:
            close = difflib.get_close_matches(name, WAIVABLE_RULES, n=1)
            yield (f"{path}.waivers.{name}", f"'{name}' is not a rule that can be waived",
                   f"did you mean '{close[0]}'?" if close else "waivable: " + ", ".join(WAIVABLE_RULES))
    for name, rule in PRODUCTION_RULES.items():
        met = rule.met(env)
        why = rule.unmet_among(env, environments) if met else None
        if name == "production":
            failure, scope = f"says production and needs {rule.requires}", "environments named like production"
        else:
            failure, scope = f"is production and needs {rule.requires}", "production environments"
        if why:
            failure = f"is production and {why}; it needs {rule.requires}"
        yield from _waivable(path, env, name, rule.applies(env), met and why is None, failure, scope)


def _separate_account(path: str, env: Environment, environments: Mapping[str, Environment]):
    sharing = [other.name for other in environments.values()
               if not other.production and env.account_id and other.account_id == env.account_id]
    yield from _waivable(path, env, SEPARATE_ACCOUNT, env.production and env.account_id is not None,
                         not sharing, f"is production and shares account {env.account_id} with "
                         f"{', '.join(sharing)}; it needs {SEPARATE_ACCOUNT_REQUIRES}",
                         "production environments with an account_id")


def _waivable(path: str, env: Environment, name: str, applies: bool, met: bool, failure: str,
              scope: str):
    """The problems of one waivable rule: unmet and not waived, or a waiver that waives nothing."""
    reason = env.waivers.get(name)
    if not applies:
        if reason is not None:
            yield f"{path}.waivers.{name}", f"waives nothing: the rule holds only for {scope}", "remove it"
    elif not met and reason is None:
        yield path, failure, f"or add waivers: {{{name}: <reason>}} if this is deliberate"
    elif met and reason is not None:
        yield f"{path}.waivers.{name}", "waives nothing: the setting already meets the rule", "remove it"
    elif reason is not None and len(reason.strip()) < MIN_WAIVER_REASON:
        yield f"{path}.waivers.{name}", "needs a specific reason", "say why this is acceptable"


def _retention_order(spec: Spec):
    envs = spec.environments
    days = {name: env.database.backup_retention_days for name, env in envs.items()}
    present = [name for name in PROMOTION_ORDER if name in envs]
    for lower, higher in zip(present, present[1:], strict=False):
        if days[higher] < days[lower]:
            yield (f"environments.{higher}.database.backup_retention_days",
                   f"{days[higher]} is less than {lower}'s {days[lower]}",
                   f"retention must not decrease from {' to '.join(present)}")
    for name, env in envs.items():
        if not env.production:
            continue
        weaker = [other for other in envs if days[other] > days[name]]
        if weaker:
            yield (f"environments.{name}.database.backup_retention_days",
                   f"production keeps backups {days[name]} days, less than {', '.join(weaker)}",
                   "production must be at least as strict as every other environment")


def _trails_and_copies(spec: Spec):
    envs = spec.environments
    for name, env in envs.items():
        path = f"environments.{name}"
        shared = env.audit.shared_trail
        if shared == name:
            yield f"{path}.audit.shared_trail", "names this environment itself", "set audit.trail: true instead"
        elif shared is not None and shared not in envs:
            yield (f"{path}.audit.shared_trail", f"'{shared}' is not an environment of this spec",
                   "one of: " + ", ".join(other for other in envs if other != name))
        elif shared is not None and not envs[shared].audit.trail:
            yield (f"{path}.audit.shared_trail", f"{shared} has no trail of its own to share",
                   f"set audit.trail: true in {shared}, or name the environment that has the trail")
        elif shared is not None and env.audit.trail:
            yield (f"{path}.audit", f"has a trail of its own and shares {shared}'s",
                   "an account needs one trail: drop trail or shared_trail")
        elif shared is not None and None not in (env.account_id, envs[shared].account_id) \
                and env.account_id != envs[shared].account_id:
            # A trail records the account it is in: another account's trail records nothing here.
            yield (f"{path}.audit.shared_trail", f"{shared}'s trail is in account {envs[shared].account_id}, "
                   f"this environment deploys to {env.account_id}", "share a trail only within one account")
        if env.backup.dr_region == spec.region:
            yield (f"{path}.backup.dr_region", f"{spec.region} is the stack's own region, so its copies would "
                   "not survive losing it", "choose a second region")


def _schedules(spec: Spec):
    """AWS Backup's cron expressions, field by field (``cron``: EventBridge's rules)."""
    for name, env in spec.environments.items():
        for key in ("schedule", "restore_testing_schedule"):
            problem = cron.problem(getattr(env.backup, key))
            if problem:
                yield (f"environments.{name}.backup.{key}", problem,
                       f"six fields in UTC: minutes hours day-of-month month day-of-week year ({cron.DOCS})")
