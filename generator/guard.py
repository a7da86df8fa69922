"""The plan guard: read a real Terraform plan and refuse one that loses data.

``tapgen guard PLAN_JSON`` reads the plan Terraform will apply, in Terraform's machine-readable
format (``terraform show -json PLANFILE``; https://developer.hashicorp.com/terraform/internals/json-format),
and refuses it when it deletes or replaces a resource that holds data (``stateful``), naming
each with the reason Terraform gives: ``change.actions`` (``["delete"]``, or a replacement as
``["delete", "create"]`` or, with create_before_destroy, ``["create", "delete"]``),
``action_reason`` and ``change.replace_paths``. ``--allow ADDRESS`` accepts one on purpose: an
instance's address, or its resource's, which covers every instance and deposed object of it.
Resources that hold no data may be replaced; they are listed.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from .errors import Exit, Problem, TapgenError
from .stateful import is_stateful
from .unseen import visible

# The plan format's major version this reads; minor versions only add fields (json-format docs).
FORMAT_MAJOR = "1"
_PLAN_KEYS = ("planned_values", "resource_changes", "configuration", "prior_state")
_ACTIONS = {
    ("delete",): "destroyed",
    ("delete", "create"): "replaced (destroyed, then created)",
    ("create", "delete"): "replaced (created, then the old one destroyed)",
}
# Every value change.actions may take (hashicorp/terraform internal/command/jsonplan/plan.go,
# Change.Actions); anything else is not a plan this guard can vouch for.
KNOWN_ACTIONS = frozenset({("no-op",), ("create",), ("read",), ("update",), ("delete", "create"),
                           ("create", "delete"), ("delete",), ("forget",), ("create", "forget")})
# A resource change's optional strings: omitted (or null) where they do not apply.
_OPTIONAL_STRINGS = ("module_address", "previous_address", "deposed", "action_reason")


class PlanError(TapgenError):
    """The input is not a Terraform plan in JSON."""

    summary = "not a plan"
    exit_code = Exit.ERROR

    def report(self) -> str:
        return "; ".join(problem.format(self.source) for problem in self.problems)


class PlanRefused(TapgenError):
    """The plan destroys or replaces resources that hold data, and they were not allowed."""

    summary = "refused: nothing was applied"

    def __init__(self, source: str, problems: Iterable[Problem], resources: Iterable[str]):
        self.resources = list(dict.fromkeys(resources))  # what to allow, each resource once
        super().__init__(source, problems)

    def report(self) -> str:
        # Quoted for the shell it is pasted into: an instance key's quotes would be stripped there.
        allow = shlex.quote(" ".join(self.resources))
        return (super().report() + "\n" + visible(
            "To do this on purpose, allow each resource (its address covers its instances and deposed "
            f"objects): make apply WORKSPACE=<workspace> ALLOW_REPLACE={allow} (tapgen guard --allow ADDRESS)."))


@dataclass(frozen=True)
class Deletion:
    """One resource instance the plan deletes, alone or as part of a replacement."""

    address: str  # the instance's, as --allow takes it
    resource: str  # its resource's address, without the instance key
    type: str
    actions: tuple[str, ...]
    reason: str | None
    replace_paths: tuple[str, ...]
    deposed: str | None = None  # the key of a deposed object of the instance, if it is one

    @property
    def label(self) -> str:
        return self.address + (f" (deposed object {self.deposed})" if self.deposed else "")

    @property
    def holds_data(self) -> bool:
        return is_stateful(self.type)

    def describe(self) -> str:
        """What happens to it and why, in Terraform's words: "replaced (...) (Terraform's reason:
        replace_because_cannot_update; forced by kms_key_id)"."""
        what = _ACTIONS.get(self.actions, "/".join(self.actions))
        why = [f"Terraform's reason: {self.reason}"] if self.reason else []
        if self.replace_paths:
            why.append("forced by " + ", ".join(self.replace_paths))
        return what + (f" ({'; '.join(why)})" if why else "")

    def allowed_by(self, allowed: Collection[str]) -> bool:
        """The instance's address (its current and deposed objects), or its resource's."""
        return any(a in (self.address, self.resource) for a in allowed)


def load_plan(path: str) -> tuple[dict, str]:
    """The plan in file ``path`` (``-``: standard input) and the name to report it by."""
    source = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                data = handle.read()
    except OSError as error:
        raise PlanError(source, [Problem("", f"cannot be read: {error.strerror or error}")]) from None
    return read_plan(data, source), source


def read_plan(data: bytes, source: str) -> dict:
    """The plan document in ``data``, or PlanError saying why it is not one."""
    def fail(message: str, hint: str) -> PlanError:
        return PlanError(source, [Problem("", message, hint=hint)])

    make = "make it with `terraform show -json PLANFILE`"
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise fail("is not text (not UTF-8)", make) from None
    except json.JSONDecodeError as error:
        raise fail(f"is not JSON ({error.msg} at line {error.lineno})" if data.strip() else "is empty",
                   make) from None
    except RecursionError:
        raise fail("is JSON nested too deeply to be a Terraform plan", make) from None
    except ValueError as error:  # a number too long to read, for one
        raise fail(f"is not JSON tapgen can read ({error})", make) from None
    if not isinstance(document, dict) or "format_version" not in document:
        raise fail("is JSON but not a Terraform plan (it has no format_version)", make)
    if not isinstance(document["format_version"], str):
        raise fail("has a format_version that is not a string", make)
    if not any(key in document for key in _PLAN_KEYS):
        kind = "a Terraform state" if "values" in document else "not a Terraform plan"
        raise fail(f"is {kind}, not a plan (it has no planned_values or resource_changes)", make)
    major = document["format_version"].split(".")[0]
    if major != FORMAT_MAJOR:
        raise fail(f"uses plan format {document['format_version']}; this tapgen reads {FORMAT_MAJOR}.x",
                   "use a Terraform whose plan format is 1.x (Terraform 1.x)")
    if not isinstance(document.get("resource_changes", []), list):
        raise fail("has a resource_changes that is not a list", make)
    for index, change in enumerate(document.get("resource_changes", [])):
        problem = _malformed(change)
        if problem:
            name = change.get("address") if isinstance(change, dict) else None
            where = f"resource_changes[{index}]" + (f" ({name})" if isinstance(name, str) else "")
            raise fail(f"is not Terraform's plan format: {where} {problem}", make)
    return document


def _malformed(change: object) -> str | None:
    """What in one resource change is not Terraform's plan format (the json-format documentation's
    resource change and change representations); None if nothing."""
    if not isinstance(change, dict):
        return "is not an object"
    missing = [key for key in ("address", "type", "name") if not isinstance(change.get(key), str)]
    if missing:
        return f"has no {missing[0]} string"
    if change.get("mode") not in ("managed", "data"):
        return 'has a mode that is neither "managed" nor "data"'
    wrong = [key for key in _OPTIONAL_STRINGS if change.get(key) is not None and not isinstance(change[key], str)]
    if wrong:
        return f"has a {wrong[0]} that is not a string"
    index = change.get("index")
    if index is not None and (isinstance(index, bool) or not isinstance(index, (int, str))):
        return "has an index that is neither a number nor a string"
    details = change.get("change")
    if not isinstance(details, dict):
        return "has no change object"
    actions = details.get("actions")
    if not (isinstance(actions, list) and all(isinstance(a, str) for a in actions) and tuple(actions) in KNOWN_ACTIONS):
        return f"has change.actions {_shown(actions)}, which is none of Terraform's"
    paths = details.get("replace_paths")
    if paths is not None and not (isinstance(paths, list) and all(_is_path(path) for path in paths)):
        return f"has change.replace_paths {_shown(paths)}, which is not a list of paths"
    return None


def _is_path(steps: object) -> bool:
    """A replace_paths entry: one or more steps, each a name or an index."""
    return isinstance(steps, list) and bool(steps) and all(
        isinstance(step, str) or (isinstance(step, int) and not isinstance(step, bool)) for step in steps)


def _shown(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def deletions(plan: dict) -> list[Deletion]:
    """Every managed resource instance the plan (as read_plan returns it) deletes, in plan order."""
    found = []
    for change in plan.get("resource_changes", []):  # each checked by read_plan
        actions = tuple(change["change"]["actions"])
        if change["mode"] != "managed" or "delete" not in actions:
            continue
        module = f"{change['module_address']}." if change.get("module_address") else ""
        found.append(Deletion(change["address"], f"{module}{change['type']}.{change['name']}", change["type"],
                              actions, change.get("action_reason"),
                              tuple(_path(path) for path in change["change"].get("replace_paths") or ()),
                              change.get("deposed")))
    return found


def _path(steps: list) -> str:
    """A replace_paths entry, ["ingress", 0, "cidr_blocks"], as ingress[0].cidr_blocks."""
    text = ""
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


@dataclass(frozen=True)
class Review:
    refused: tuple[Deletion, ...]
    allowed: tuple[Deletion, ...]
    stateless: tuple[Deletion, ...]
    unmatched: tuple[str, ...]  # --allow addresses that match nothing in the plan

    def report(self, listing: bool = False) -> str:
        """What the plan deletes, for stderr. ``listing``: only list the losses (make destroy)."""
        losses = self.refused + self.allowed
        if listing:
            lines = [f"The plan destroys {len(losses)} resource(s) that hold data" + (":" if losses else ".")]
            lines += [f"  {d.label}: {d.describe()}" for d in losses]
        else:
            if self.refused:
                head = f"tapgen guard: the plan destroys or replaces {len(self.refused)} resource(s) that hold data."
            else:
                head = ("tapgen guard: the plan destroys no resource that holds data"
                        + (" but those allowed:" if self.allowed else "."))
            lines = [head, *(f"  allowed: {d.label}: {d.describe()}" for d in self.allowed)]
        lines += [f"  holds no data: {d.label}: {d.describe()}" for d in self.stateless]
        lines += [f"note: --allow {address} matches nothing the plan deletes" for address in self.unmatched]
        return "\n".join(map(visible, lines))  # each line one line, whatever an address holds

    def refusal(self, source: str) -> PlanRefused:
        return PlanRefused(source, [Problem(d.label, d.describe(), hint=f"or --allow {shlex.quote(d.address)}")
                                    for d in self.refused], [d.resource for d in self.refused])


def review(plan: dict, allowed: Iterable[str] = ()) -> Review:
    allowed = tuple(allowed)
    found = deletions(plan)
    data = [d for d in found if d.holds_data]
    return Review(refused=tuple(d for d in data if not d.allowed_by(allowed)),
                  allowed=tuple(d for d in data if d.allowed_by(allowed)),
                  stateless=tuple(d for d in found if not d.holds_data),
                  unmatched=tuple(a for a in allowed if not any(d.allowed_by([a]) for d in found)))
