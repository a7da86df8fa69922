"""Cross-field rules a typed spec must also satisfy before anything is generated.

Each rule protects production from a mistake a single field cannot show: ranges
that overlap, settings weaker in prod than in dev, a production environment
without its safety nets (unless a waiver says why).
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Mapping

from .errors import Problem
from .policy import MIN_WAIVER_REASON, PRODUCTION_RULES
from .spec import Environment, Spec

PROMOTION_ORDER = ("dev", "staging", "prod")
# Each tier owns SUBNET_NEWBITS-sized slots; the smallest subnet AWS allows is a /28.
SUBNET_NEWBITS = 5
MAX_VPC_PREFIX = 28 - SUBNET_NEWBITS
# "<project>-<environment>" starts every name. The tightest limit is the ALB log bucket's:
# 63 characters, of which "-alb-logs-<account>-<region>" takes up to 39.
MAX_NAME_PREFIX = 24
_PRIVATE_RANGES = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12",
                                                           "192.168.0.0/16"))


def check(spec: Spec, lines: Mapping[str, int]) -> list[Problem]:
    """Every invariant problem in ``spec``; ``lines`` maps dotted paths to spec lines."""
    found: list[tuple[str, str, str | None]] = []
    found += _names(spec)
    found += _networks(spec)
    for name, env in spec.environments.items():
        found += _env_rules(f"environments.{name}", env)
        found += _production(f"environments.{name}", env)
    found += _retention_order(spec)
    found += _trails_and_copies(spec)
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
    for name in spec.environments:
        path = f"environments.{name}"
        if name == "default":
            yield path, "'default' is Terraform's own workspace, not an environment", "rename it"
        prefix = f"{spec.project}-{name}"
        if len(prefix) > MAX_NAME_PREFIX:
            yield (path, f"'{prefix}' is {len(prefix)} characters; project and environment names "
                   f"together may use at most {MAX_NAME_PREFIX}",
                   "AWS limits bucket names to 63 characters; shorten either name")


def _networks(spec: Spec):
    networks: list[tuple[str, ipaddress.IPv4Network]] = []
    for name, env in spec.environments.items():
        path = f"environments.{name}.vpc_cidr"
        try:
            network = ipaddress.IPv4Network(env.vpc_cidr)
        except ValueError as error:
            yield path, f"'{env.vpc_cidr}' is not an IPv4 network: {error}", "for example 10.10.0.0/16"
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


def _env_rules(path: str, env: Environment):
    scaling = env.autoscaling
    if not scaling.min <= scaling.desired <= scaling.max:
        yield (f"{path}.autoscaling", f"needs min <= desired <= max, got min {scaling.min}, "
               f"desired {scaling.desired}, max {scaling.max}", None)
    db = env.database
    if db.max_allocated_storage_gb and db.max_allocated_storage_gb <= db.allocated_storage_gb:
        yield (f"{path}.database.max_allocated_storage_gb",
               f"must be above allocated_storage_gb ({db.allocated_storage_gb}) or 0",
               "0 turns storage autoscaling off")


def _production(path: str, env: Environment):
    for name in env.waivers:
        if name not in PRODUCTION_RULES:
            close = difflib.get_close_matches(name, PRODUCTION_RULES, n=1)
            yield (f"{path}.waivers.{name}", f"'{name}' is not a rule that can be waived",
                   f"did you mean '{close[0]}'?" if close else "waivable: " + ", ".join(PRODUCTION_RULES))
    for name, rule in PRODUCTION_RULES.items():
        reason = env.waivers.get(name)
        if not rule.applies(env):
            if reason is not None:
                yield (f"{path}.waivers.{name}", "waives nothing: the rule holds only for production "
                       "environments", "remove it")
            continue
        ok = rule.met(env)
        if not ok and reason is None:
            what = "says production" if name == "production" else "is production"
            yield (path, f"{what} and needs {rule.requires}",
                   f"or add waivers: {{{name}: <reason>}} if this is deliberate")
        elif ok and reason is not None:
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
        if env.backup.dr_region == spec.region:
            yield (f"{path}.backup.dr_region", f"{spec.region} is the stack's own region, so its copies would "
                   "not survive losing it", "choose a second region")
