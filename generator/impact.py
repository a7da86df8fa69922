"""What a render would do to the infrastructure, told before anything is written.

A one-line change in the locals map can be a destroy: a new project renames everything, a new
VPC range replaces the network, fewer zones destroy subnets. ``assess`` compares the directory
as it is (the settings in its locals map, its project and region) with what is about to be
written and says, per environment, which settings change and what Terraform will then replace
or destroy.

The provider facts behind it live here, each with the document that states it (excerpts in
tests/data/provider_facts/, checked by tests/test_impact.py):

- ``FORCE_NEW``: arguments whose change makes Terraform replace the resource;
- ``IN_PLACE``: arguments people expect to force a replacement and that do not;
- ``REGION``: every regional resource is replaced when its region changes;
- ``RETENTION``: arguments whose decrease deletes data that exists (AWS's documentation): an
  update in place the plan guard cannot tell from any other, so this report is where it is refused;
- ``SETTING_NOTES``: what a reviewer needs to know beyond replacements, per setting.

Which resources a setting reaches is read from the generated Terraform itself: an argument is
affected by a setting when its expression refers to ``local.settings.<name>`` (or to a local, or
a replaced resource, that does). ``count`` and ``for_each`` expressions that refer to a setting
lose instances when the setting decreases. A replaced resource replaces every resource whose
ForceNew argument refers to it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from . import addresses
from .checks import references, setting_references
from .errors import Problem, TapgenError
from .stack import Block, Stack
from .stateful import is_stateful
from .unseen import visible
from .writer import WORKSPACES, Change, read_manifest, render_mode

_PROVIDER = "https://github.com/hashicorp/terraform-provider-aws/blob/"
STACK_FILE = "tap_stack.tf"
VARIABLES_FILE = "variables.tf"
PROVIDER_FILE = "provider.tf"  # the aliased providers' regions (the backups' second region)
ASSESSED_FILES = (STACK_FILE, VARIABLES_FILE, PROVIDER_FILE)
PROJECT = "project"
REGION_SETTING = "region"
TEMPLATES = "tapgen's templates"


@dataclass(frozen=True)
class Citation:
    url: str
    quote: str  # the words in the document that state the fact
    excerpt: str  # its copy under tests/data/provider_facts/


@dataclass(frozen=True)
class ForceNew:
    """Changing ``argument`` of a ``type`` makes Terraform replace the resource."""

    type: str
    argument: str
    cited: Citation


def _doc(commit: str, page: str, argument: str, marker: str, excerpt: str) -> Citation:
    return Citation(f"{_PROVIDER}{commit}/website/docs/r/{page}.html.markdown",
                    f"`{argument}` - ({marker}", excerpt)


def _source(commit: str, path: str, key: str, excerpt: str) -> Citation:
    return Citation(f"{_PROVIDER}{commit}/internal/service/{path}", f"{key}: {{", excerpt)


_SG, _TG = "0148137dc6fb802b97b74036846777ab15c0f9ad", "00c7d114c4d2f5dd9710f7560d2caaa7c742c5c2"
_PG, _RDS = "044fb3171c305dd92f19e116512acb37a28a9f85", "00e4b23838859616dd0ebc9d1fd9364c0f6bff22"
_SUBNET, _S3 = "00cda125a19d31754cb0d073cf551264c57955cb", "4c72bcc7dc2f5ace40ce61f2a90e12a62cf4ec9a"

FORCE_NEW = (
    ForceNew("aws_vpc", "cidr_block", _source("00081ce41cc691433ac19bf42227cdabffd0454d", "ec2/vpc_.go",
                                              "names.AttrCIDRBlock", "vpc.go.txt")),
    ForceNew("aws_subnet", "availability_zone", _source(_SUBNET, "ec2/vpc_subnet.go",
                                                        "names.AttrAvailabilityZone", "subnet.go.txt")),
    ForceNew("aws_subnet", "cidr_block", _source(_SUBNET, "ec2/vpc_subnet.go", "names.AttrCIDRBlock",
                                                 "subnet.go.txt")),
    ForceNew("aws_subnet", "vpc_id", _source(_SUBNET, "ec2/vpc_subnet.go", "names.AttrVPCID", "subnet.go.txt")),
    *(ForceNew("aws_security_group", argument, _doc(_SG, "security_group", argument,
                                                    "Optional, Forces new resource", "security_group.md.txt"))
      for argument in ("name", "name_prefix", "description", "vpc_id")),
    ForceNew("aws_lb_target_group", "name", _doc(_TG, "lb_target_group", "name", "Optional, Forces new resource",
                                                 "lb_target_group.md.txt")),
    ForceNew("aws_lb_target_group", "vpc_id", _doc(_TG, "lb_target_group", "vpc_id",
                                                   "Optional, Forces new resource", "lb_target_group.md.txt")),
    *(ForceNew("aws_lb_target_group", argument, _doc(_TG, "lb_target_group", argument,
                                                     "May be required, Forces new resource",
                                                     "lb_target_group.md.txt"))
      for argument in ("port", "protocol")),
    ForceNew("aws_s3_bucket", "bucket", _doc(_S3, "s3_bucket", "bucket", "Optional, Forces new resource",
                                             "s3_bucket.md.txt")),
    # Object Lock can only be turned on when a bucket is created, and never off.
    ForceNew("aws_s3_bucket", "object_lock_enabled", _doc(_S3, "s3_bucket", "object_lock_enabled",
                                                          "Optional, Default:`false`, Forces new resource",
                                                          "s3_bucket.md.txt")),
    ForceNew("aws_cloudwatch_log_group", "name", _doc("05389d465b6e1e0668493790eae67abd82d1195a",
                                                      "cloudwatch_log_group", "name",
                                                      "Optional, Forces new resource", "cloudwatch_log_group.md.txt")),
    *(ForceNew("aws_backup_vault", argument, _source("fa3f2df0f54f286293c23e283c66aef5ce326658", "backup/vault.go",
                                                     f'"{argument}"', "backup_vault.go.txt"))
      for argument in ("name", "kms_key_arn")),
    ForceNew("aws_db_subnet_group", "name", _doc("03ffdb07e03f1e9902679ed76304852e8543b24f", "db_subnet_group",
                                                 "name", "Optional, Forces new resource", "db_subnet_group.md.txt")),
    *(ForceNew("aws_db_parameter_group", argument, _doc(_PG, "db_parameter_group", argument,
                                                        "Optional, Forces new resource", "db_parameter_group.md.txt"))
      for argument in ("name", "name_prefix", "description")),
    ForceNew("aws_db_parameter_group", "family", _doc(_PG, "db_parameter_group", "family",
                                                      "Required, Forces new resource", "db_parameter_group.md.txt")),
    *(ForceNew("aws_db_instance", argument, _source(_RDS, "rds/instance.go", f'"{argument}"', "db_instance.go.txt"))
      for argument in ("engine", "kms_key_id", "storage_encrypted", "username", "db_name")),
    *(ForceNew("aws_kms_key", argument, _source("00a35305dc1b297a6fcdecdfbba33f1e63c3da39", "kms/key.go",
                                                f'"{argument}"', "kms_key.go.txt"))
      for argument in ("customer_master_key_spec", "key_usage", "multi_region")),
    ForceNew("aws_iam_role", "name", _doc("02910eecbfa1411d578bf5491f9c7b448a93d237", "iam_role", "name",
                                          "Optional, Forces new resource", "iam_role.md.txt")),
)

# Changed in place, though often believed to replace the resource.
IN_PLACE = {
    ("aws_db_instance", "identifier"): Citation(
        "https://github.com/hashicorp/terraform-provider-aws/pull/32687",
        "used to ForceNew on change, however, no longer do", "db_instance_identifier.md.txt"),
}

REGION = Citation(f"{_PROVIDER}0cb788ce0d5adada2f2b98572dc8462f8ed5738d/website/docs/guides/"
                  "enhanced-region-support.html.markdown",
                  "Changing the value of `region` will force resource replacement.", "region.md.txt")
# IAM is global: its resources have no region to change (same guide).
_GLOBAL_PREFIXES = ("aws_iam_", "terraform_")

SETTING_NOTES = {
    PROJECT: "Every name starts with the project: resources whose name cannot change are replaced. "
             "The database is renamed in place (identifier is not ForceNew since provider 5), so "
             "its endpoint changes.",
    REGION_SETTING: "Every regional resource is replaced in the new region; the old region's state "
                    "no longer matches anything Terraform manages.",
    "vpc_cidr": "The database cannot follow its subnets into the new VPC: RDS moves an instance to "
                "another VPC only onto a different DB subnet group, so the apply fails part-way, after "
                "the network around the database is gone. Move a database by snapshot and restore.",
    "az_count": "Subnets, NAT gateways and routes of the dropped zones are destroyed; the Auto "
                "Scaling group relaunches their instances elsewhere. If the database or its standby "
                "runs in a dropped zone, RDS refuses to take its subnet out of the subnet group.",
    "nat_gateway_count": "The dropped NAT gateways' Elastic IPs are released: partners that allow "
                         "them by address lose access.",
    "account_id": "This workspace's state describes resources in the old account. Against the new "
                  "account Terraform finds none of them and plans to create everything again; the "
                  "old account's resources are left running and no longer managed.",
    "db_parameter_group_family": "A major version upgrade: RDS upgrades the database in place, with "
                                 "downtime. Take a snapshot first.",
}


@dataclass(frozen=True)
class Retention:
    """Lowering the argument at ``path`` of a ``type`` deletes the data older than the new period."""

    type: str
    path: tuple[str, ...]  # the argument, through the nested blocks it is in
    deleted: str  # what goes, in AWS's words
    cited: Citation
    holder: str | None = None  # the argument naming the resource that holds the data, if not this one


RETENTION = (
    Retention("aws_cloudwatch_log_group", ("retention_in_days",),
              "CloudWatch Logs deletes the log events older than the new retention",
              Citation("https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html",
                       "When log events reach their retention setting they are marked for deletion.",
                       "cloudwatch_logs_retention.md.txt")),
    Retention("aws_db_instance", ("backup_retention_period",),
              "RDS keeps automated backups (and point-in-time restore) only for the new period",
              Citation("https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html",
                       "RDS saves the automated backups of your DB instance according to the backup retention "
                       "period that you specify.", "rds_automated_backups.md.txt")),
    Retention("aws_s3_bucket_lifecycle_configuration", ("rule", "expiration", "days"),
              "S3 expires the objects already older than the new period",
              Citation("https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-to-set-lifecycle-configuration-intro.html",
                       "the configuration rules apply to both existing objects and objects that you add later",
                       "s3_lifecycle.md.txt"), holder="bucket"),
)
PRUNED = "older data deleted"  # an Effect's action: the resource stays, what it held beyond the period goes

# Settings whose change breaks a stateful resource it does not replace: (type, why).
ENDANGERS = {"vpc_cidr": ("aws_db_instance", "it cannot move into the new VPC with its subnets")}


@dataclass(frozen=True)
class Effect:
    address: str
    action: str  # "replaced", "destroyed" (instances of it), "at risk"
    why: str

    @property
    def type(self) -> str:
        return self.address.split(".")[0]

    @property
    def loses_data(self) -> bool:
        return self.action == PRUNED or is_stateful(self.type)


@dataclass(frozen=True)
class SettingChange:
    setting: str
    old: object
    new: object
    effects: tuple[Effect, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class EnvironmentImpact:
    name: str
    production: bool
    changes: tuple[SettingChange, ...]
    note: str | None = None

    @property
    def losses(self) -> list[Effect]:
        """Stateful resources this render replaces, destroys or breaks in this environment."""
        return [effect for change in self.changes for effect in change.effects if effect.loses_data]


@dataclass(frozen=True)
class Unassessed:
    """The directory's current output cannot be read, so nothing can be said of what this render
    does to it: refused in every production environment (fail closed)."""

    why: str  # "out/tap_stack.tf does not parse (...)"
    hint: str  # how to get an output that can be assessed
    production: tuple[str, ...]  # the environments the new output holds to the production rules


@dataclass(frozen=True)
class Impact:
    environments: tuple[EnvironmentImpact, ...] = ()
    unassessed: Unassessed | None = None

    def report(self) -> str:
        """The impact in words, for stderr; empty when nothing in the infrastructure changes."""
        lines = [f"note: {self.unassessed.why}; its impact cannot be assessed"] if self.unassessed else []
        touched = [env for env in self.environments if env.changes or env.note]
        if touched:
            lines.append("What Terraform will do once this is applied, per environment:")
        for env in touched:
            lines.append(f"  {env.name}{' (production)' if env.production else ''}:")
            if env.note:
                lines.append(f"    {env.note}")
            for change in env.changes:
                lines += _change_lines(change)
        if touched:
            lines.append("(From tapgen's provider facts; `make apply` checks the real plan with `tapgen guard`.)")
        return "\n".join(map(visible, lines))  # each line one line, whatever a path or address holds

    def refused(self, allowed: Collection[str]) -> list[EnvironmentImpact]:
        """Production environments that would lose data, and were not named by --allow-replace."""
        return [env for env in self.environments if env.production and env.losses and env.name not in allowed]


class ReplacementRefused(TapgenError):
    """A render would replace or destroy data in production, and the command did not allow it."""

    summary = "refused: nothing was written"


def refuse_losses(impact: Impact, allowed: Collection[str], out_dir: Path) -> None:
    """Raise ReplacementRefused if a production environment would lose data, or might (its current
    output cannot be assessed), without --allow-replace."""
    problems = [Problem(f"environments.{env.name}", _losses(env.losses),
                        hint=f"if that is intended, rerun with --allow-replace {env.name}")
                for env in impact.refused(allowed)]
    unassessed = impact.unassessed
    if unassessed:
        problems += [Problem(f"environments.{name}", f"{unassessed.why}, so what this render does to this "
                             "production environment cannot be assessed",
                             hint=f"{unassessed.hint}; to write without an assessment, rerun with "
                             f"--allow-replace {name}")
                     for name in unassessed.production if name not in allowed]
    if problems:
        raise ReplacementRefused(f"{out_dir}/", problems)


def _losses(losses: Iterable[Effect]) -> str:
    gone = sorted({effect.address for effect in losses if effect.action != PRUNED})
    pruned = sorted({effect.address for effect in losses if effect.action == PRUNED})
    return "; ".join([*(["would replace or destroy stateful resources: " + ", ".join(gone)] if gone else []),
                      *([f"would delete the data older than a shorter retention in {', '.join(pruned)}"]
                        if pruned else [])])


def assess(pending: Sequence[Change], out_dir: Path) -> Impact:
    """The impact of writing ``pending`` into ``out_dir``: what changes for each environment."""
    changed = {change.name: change for change in pending}
    if not changed.keys() & set(ASSESSED_FILES):
        return Impact()
    before, after = _texts(changed, out_dir)
    path = out_dir / STACK_FILE
    if STACK_FILE not in before:
        if STACK_FILE not in read_manifest(out_dir).get("files", {}):
            return Impact()  # a first render: nothing exists yet
        return _unassessed(after, f"{path} is missing, though {out_dir}/.tapgen-manifest.json says tapgen "
                           "wrote it", f"restore it (git checkout -- {path}) and render again")
    try:
        old, new = _outputs(before, after)
    except _Unreadable as error:
        return _unassessed(after, f"{path} {error}", f"fix or restore {path} (a merge conflict: finish the "
                           "merge, or git checkout -- the file) and render again")
    if new.settings is None:
        return Impact()  # a render resolved for one environment: a scanner's copy, never applied
    if old.settings is None:
        if render_mode(out_dir) != WORKSPACES:
            return Impact()  # it replaces a resolved copy
        return _unassessed(after, f"{path} has no environments map, though tapgen wrote it keyed by workspace",
                           f"restore it (git checkout -- {path}) and render again")
    return Impact(tuple(_environment(name, old, new) for name in dict.fromkeys([*new.settings, *old.settings])))


def _unassessed(after: Mapping[str, str], why: str, hint: str) -> Impact:
    """An impact that cannot be known: the production environments of the new output are refused."""
    settings = _Output([_parsed(after)]).settings or {}  # None: a resolved render, never applied
    production = tuple(name for name, values in settings.items() if values.get("production"))
    return Impact(unassessed=Unassessed(why, hint, production))


def _texts(changed: Mapping[str, Change], out_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The assessed files before and after: the changed ones from their Change, the others (the
    same in both) read once from ``out_dir``."""
    before, after = {}, {}
    for name in ASSESSED_FILES:
        if name in changed:
            old, new = changed[name].old, changed[name].new
        else:
            try:
                old = new = (out_dir / name).read_text(encoding="utf-8", errors="replace")
            except OSError:
                old = new = None
        if old is not None:
            before[name] = old
        if new is not None:
            after[name] = new
    return before, after


class _Unreadable(Exception):
    pass


def _outputs(before: Mapping[str, str], after: Mapping[str, str]) -> tuple[_Output, _Output]:
    """Both versions of the directory; the top-level blocks they share are parsed once."""
    from .hcl_parser import top_level_pieces  # python-hcl2 only when parsing, as in Stack

    shared, old_only, new_only = {}, {}, {}
    for name in dict.fromkeys([*before, *after]):
        old_text = addresses.with_current_local_names(before.get(name, ""))
        old_pieces = Counter(piece for piece in top_level_pieces(old_text) if piece)
        new_pieces = Counter(piece for piece in top_level_pieces(after.get(name, "")) if piece)
        for target, pieces in ((shared, old_pieces & new_pieces), (old_only, old_pieces - new_pieces),
                               (new_only, new_pieces - old_pieces)):
            if pieces:
                target[name] = "".join(pieces.elements())
    common = _parsed(shared)
    return _Output([common, _parsed(old_only)]), _Output([common, _parsed(new_only)])


def _parsed(texts: Mapping[str, str]) -> Stack:
    stack = Stack(texts)
    if stack.problems:
        raise _Unreadable(f"does not parse ({stack.problems[0].message})")
    return stack


class _Output:
    """One version of the output directory, as far as its impact goes."""

    def __init__(self, stacks: Sequence[Stack]):
        self.locals = {name: value for stack in stacks for name, value in stack.locals().items()}
        environments = self.locals.get("environments")
        self.settings: dict[str, dict] | None = environments if isinstance(environments, dict) else None
        self.project = self.locals.get(PROJECT)
        blocks = [block for stack in stacks for block in stack.blocks()]
        self.region = next((b.body.get("default") for b in blocks if b.kind == "variable"
                            and b.labels == ("aws_region",)), None)
        self.resources = {block.address: block for block in blocks if block.kind == "resource"}
        # Each aliased provider ("aws.dr") with what its region depends on.
        self.provider_regions = {f"{block.labels[0]}.{block.body['alias']}":
                                 self.expand(_tokens(block.body.get("region")))
                                 for block in blocks if block.kind == "provider" and "alias" in block.body}
        self.history = {str(block.body.get("from", "")).strip("${}") for block in blocks
                        if block.kind in ("moved", "removed")}
        self._local_refs = {name: set(_tokens(value)) for name, value in self.locals.items()}

    def expand(self, tokens: Iterable[str]) -> set[str]:
        """``tokens`` and everything the locals among them refer to, transitively."""
        seen, todo = set(), list(tokens)
        while todo:
            token = todo.pop()
            if token not in seen:
                seen.add(token)
                todo.extend(self._local_refs.get(token.removeprefix("local."), ()) if token.startswith("local.")
                            else ())
        return seen

    def iteration(self, block: Block) -> set[str]:
        return self.expand(_tokens([block.body.get("count"), block.body.get("for_each")]))

    @cached_property
    def sizing(self) -> set[str]:
        """The settings that only size ``count``/``for_each`` collections."""
        return {token for block in self.resources.values() for token in self.iteration(block)
                if token.startswith("setting.")}

    @cached_property
    def forced(self) -> dict[str, dict[str, set[str]]]:
        """Per resource, each ForceNew argument written in it with everything its value depends on.
        ``each.key``/``each.value`` depend on the ``for_each`` expression, except on the settings
        that only size it: a dropped zone does not renumber the others."""
        found: dict[str, dict[str, set[str]]] = {}
        for address, block in self.resources.items():
            for fact in _FORCE_NEW_BY_TYPE.get(block.labels[0], ()):
                if fact.argument in block.body:
                    tokens = self.expand(_tokens(block.body[fact.argument]))
                    if "each" in tokens:
                        tokens |= self.iteration(block) - self.sizing
                    found.setdefault(address, {})[fact.argument] = tokens
        return found


_FORCE_NEW_BY_TYPE: dict[str, list[ForceNew]] = {}
for _fact in FORCE_NEW:
    _FORCE_NEW_BY_TYPE.setdefault(_fact.type, []).append(_fact)
_EACH = re.compile(r"(?<![\w.])each\.(key|value)\b")


def _tokens(value: object) -> Iterable[str]:
    """What a parsed value depends on: ``setting.NAME``, ``local.NAME``, resource addresses, ``var.NAME``."""
    for kind, name in references(value):
        if kind == "local" and name == "settings":
            continue  # read per setting below
        yield name if kind == "resource" else f"{kind}.{name}"
    yield from (f"setting.{name}" for name in setting_references(value))
    if any(_EACH.search(text) for text in _strings(value)):
        yield "each"


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _environment(name: str, old: _Output, new: _Output) -> EnvironmentImpact:
    before, after = old.settings.get(name), new.settings.get(name)
    if after is None:
        return EnvironmentImpact(name, bool(before.get("production")), (), note=(
            "no longer in the spec: its workspace stops planning (the workspace guard fails), and "
            "its resources stay in AWS until they are destroyed; run `make destroy` first if that is "
            "the intent"))
    if before is None:
        return EnvironmentImpact(name, bool(after.get("production")), ())
    changes = []
    for setting, old_value, new_value in _changed_settings(before, after, old, new):
        if setting == REGION_SETTING:
            # Resources on an aliased provider (the backups' second region) keep their region.
            effects = tuple(Effect(address, "replaced", f"its region changes ({REGION.url})")
                            for address, block in new.resources.items()
                            if not address.startswith(_GLOBAL_PREFIXES) and "provider" not in block.body)
        else:
            token = f"local.{PROJECT}" if setting == PROJECT else f"setting.{setting}"
            moved = _moved_region(new, setting) if None not in (old_value, new_value) else {}
            effects = tuple(Effect(address, "replaced", why) for address, why in moved.items()
                            if address in old.resources)
            effects += tuple(effect for effect in _effects(new, {token, *moved}, _decreased(old_value, new_value),
                                                           old.resources) if effect.address not in moved)
            effects += _endangered(new, setting, effects)
            effects += _pruned(new, token, old_value, new_value, effects, old.resources)
        # The notes speak of an existing value changing, not of a first one being set.
        note = SETTING_NOTES.get(setting) if old_value is not None and new_value is not None else None
        changes.append(SettingChange(setting, old_value, new_value, effects, note))
    template = _template_effects(old, new)
    if template:
        changes.append(SettingChange(TEMPLATES, None, None, template))
    # Production if it was or becomes production: turning production off does not unlock a loss.
    production = bool(before.get("production") or after.get("production"))
    return EnvironmentImpact(name, production, tuple(changes))


def _changed_settings(before: Mapping, after: Mapping, old: _Output, new: _Output):
    if old.project != new.project:
        yield PROJECT, old.project, new.project
    if old.region != new.region:
        yield REGION_SETTING, old.region, new.region
    for setting in dict.fromkeys([*after, *before]):
        if before.get(setting) != after.get(setting):
            yield setting, before.get(setting), after.get(setting)


def _moved_region(new: _Output, setting: str) -> dict[str, str]:
    """The resources on an aliased provider whose region is ``setting``: a new region replaces them
    all (the region fact). From or to none, the provider's resources are created or destroyed by
    their count instead (without a second region they have none)."""
    moving = [alias for alias, tokens in new.provider_regions.items() if f"setting.{setting}" in tokens]
    return {address: f"its provider {alias} moves to another region ({REGION.url})" for alias in moving
            for address, block in new.resources.items()
            if str(block.body.get("provider", "")).strip("${}") == alias}


def _decreased(old: object, new: object) -> bool:
    """Whether a count or a switch went down (fewer zones, NAT gateways; flow logs off)."""
    return isinstance(old, int) and isinstance(new, int) and new < old


def _effects(new: _Output, changed: set[str], decreased: bool, existing: Collection[str]) -> tuple[Effect, ...]:
    """What changing the ``changed`` tokens does to the resources of ``new`` that exist already
    (``existing``: a resource the old output did not have is created, whatever it refers to)."""
    replaced: dict[str, str] = {}
    progress = True
    while progress:
        progress = False
        for address in new.resources:
            if address in replaced:
                continue
            for argument, tokens in new.forced.get(address, {}).items():
                hit = tokens & changed or tokens & replaced.keys()
                if hit:
                    cause = sorted(hit & replaced.keys())
                    replaced[address] = (f"{argument} forces a new resource" + (
                        f" and refers to {cause[0]}, replaced" if cause else ""))
                    progress = True
                    break
    effects = [Effect(address, "replaced", why) for address, why in replaced.items()]
    if decreased:
        shrunk: list[str] = []
        for address, block in new.resources.items():
            iteration = new.iteration(block)
            if address not in replaced and (iteration & changed or iteration & set(shrunk)):
                shrunk.append(address)
        effects += [Effect(address, "destroyed", "fewer instances: those no longer counted are destroyed")
                    for address in shrunk]
    return tuple(effect for effect in effects if effect.address in existing)


_RETENTION_BY_TYPE = {fact.type: fact for fact in RETENTION}


def _pruned(new: _Output, token: str, old: object, now: object, effects: tuple[Effect, ...],
            existing: Collection[str]) -> tuple[Effect, ...]:
    """The resources whose retention ``token`` shortens: they keep only the newer data."""
    if isinstance(old, bool) or not _decreased(old, now):
        return ()
    found: dict[str, str] = {}
    listed = {effect.address for effect in effects}
    for address, block in new.resources.items():
        fact = _RETENTION_BY_TYPE.get(block.labels[0])
        if fact is None or address not in existing or token not in new.expand(_tokens(_at(block.body, fact.path))):
            continue
        holder = next((name for kind, name in references(block.body.get(fact.holder)) if kind == "resource"),
                      address) if fact.holder else address
        if holder not in listed:
            found.setdefault(holder, f"a shorter {'.'.join(fact.path)}: {fact.deleted} ({fact.cited.url})")
    return tuple(Effect(address, PRUNED, why) for address, why in found.items())


def _at(body: object, path: Sequence[str]) -> list[object]:
    """The values at ``path`` in a parsed block, through nested blocks (lists of bodies)."""
    values = [body]
    for step in path:
        found = [value[step] for value in values if isinstance(value, dict) and step in value]
        values = [item for value in found for item in (value if isinstance(value, list) else [value])]
    return values


def _endangered(new: _Output, setting: str, effects: tuple[Effect, ...]) -> tuple[Effect, ...]:
    if setting not in ENDANGERS or not effects:
        return ()
    resource_type, why = ENDANGERS[setting]
    return tuple(Effect(address, "at risk", why) for address in new.resources
                 if address.split(".")[0] == resource_type)


def _template_effects(old: _Output, new: _Output) -> tuple[Effect, ...]:
    """What tapgen's own changes (a new version) do in every environment: resources it no longer
    generates, ForceNew arguments it writes differently, locals it defines differently."""
    on_purpose = {entry.address: entry for entry in addresses.DESTROYED}
    effects = [Effect(address, "destroyed", f"tapgen {on_purpose[address].version} stops generating it on "
                      f"purpose: {on_purpose[address].why}" if address in on_purpose else
                      "tapgen no longer generates it, and no moved or removed block says where it went")
               for address in old.resources if address not in new.resources and address not in new.history]
    for address, block in new.resources.items():
        before = old.resources.get(address)
        if before is None:
            continue
        for fact in _FORCE_NEW_BY_TYPE.get(block.labels[0], ()):
            if before.body.get(fact.argument) != block.body.get(fact.argument):
                effects.append(Effect(address, "replaced", f"tapgen now writes its {fact.argument} "
                                      "differently, and that forces a new resource"))
                break
    redefined = {f"local.{name}" for name, value in new.locals.items()
                 if name not in ("environments", PROJECT) and old.locals.get(name) != value
                 and not _only_gains_entries(old.locals.get(name), value)}
    listed = {effect.address for effect in effects}
    effects += [effect for effect in _effects(new, redefined, False, old.resources) if effect.address not in listed]
    return tuple(effects)


# One `key = "text"` entry of an object literal, as python-hcl2 writes expressions back.
_ENTRY = re.compile(r'(?<=[{,] )("?[A-Za-z_][\w-]*"?) = ("(?:[^"\\]|\\.)*")(?=[,}])')


def _only_gains_entries(old: object, new: object) -> bool:
    """Whether a local's new expression is its old one with object entries added and none changed:
    a for_each over it creates the new instances and leaves the others as they are."""
    if not (isinstance(old, str) and isinstance(new, str)):
        return False
    before, after = dict(_ENTRY.findall(old)), dict(_ENTRY.findall(new))
    kept = all(after.get(key) == value for key, value in before.items())
    return bool(before) and kept and _ENTRY.sub("", old).replace(", ", "") == _ENTRY.sub("", new).replace(", ", "")


_LOSS_LABELS = {"at risk": "AT RISK, STATEFUL", PRUNED: "OLDER DATA DELETED"}


def _change_lines(change: SettingChange) -> list[str]:
    if change.setting == TEMPLATES:
        head = f"    {TEMPLATES} (a new tapgen version):"
    else:
        head = f"    {change.setting}: {_shown(change.old)} -> {_shown(change.new)}"
    lines = [head + ": updated in place" if not change.effects and change.setting != TEMPLATES else head]
    grouped: dict[tuple[str, str, bool], list[str]] = {}
    for effect in change.effects:
        grouped.setdefault((effect.action, effect.why, effect.loses_data), []).append(effect.address)
    for (action, why, loses), names in sorted(grouped.items(), key=lambda item: not item[0][2]):
        label = _LOSS_LABELS.get(action, f"{action.upper()}, DATA LOST") if loses else action
        lines.append(f"      {label}: {', '.join(names)} ({why})")
    if change.note:
        lines.append(f"      note: {change.note}")
    return lines


def _shown(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)

