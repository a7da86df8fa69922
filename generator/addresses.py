"""Resource addresses are state: where each address tapgen ever generated went.

Terraform keys its state by resource address, so a tapgen version that renames a resource would,
on the next apply, destroy the old object and create a new one. The output therefore carries:

- a ``moved`` block for each rename in ``MOVED`` (Terraform moves the state instead;
  https://developer.hashicorp.com/terraform/language/modules/develop/refactoring);
- a ``removed`` block with ``lifecycle { destroy = false }`` for each resource in ``REMOVED``
  that tapgen stops managing but whose object must survive (Terraform forgets it and leaves it
  in AWS; Terraform >= 1.7, where ``destroy`` defaults to true:
  https://developer.hashicorp.com/terraform/language/resources/syntax#removing-resources).

``DESTROYED`` lists the addresses tapgen stopped generating on purpose, destroying them; only
resources that hold no data may be there. ``tests/data/addresses.txt`` is every address tapgen
has ever generated (``make addresses`` adds the ones the current templates generate, and never
drops one); tests/test_addresses.py checks that each is still generated or accounted for here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_RESOURCE_HEADER = re.compile(r'^resource "([a-z][a-z0-9_]*)" "([A-Za-z_][A-Za-z0-9_-]*)"', re.M)


@dataclass(frozen=True)
class Moved:
    from_address: str  # what an earlier version generated
    to: str  # what this version generates instead
    version: str  # the tapgen version that renamed it
    why: str


@dataclass(frozen=True)
class Dropped:
    """An address tapgen no longer generates: in REMOVED, forgotten and left in AWS (its data
    with it); in DESTROYED, destroyed on the next apply (a resource that holds no data)."""

    address: str
    version: str
    why: str


# In the order the blocks appear in the output; each entry's version is the one that changed it.
MOVED: tuple[Moved, ...] = ()
REMOVED: tuple[Dropped, ...] = ()
DESTROYED: tuple[Dropped, ...] = (
    Dropped("aws_kms_grant.autoscaling", "0.2.0",
            "the Auto Scaling service-linked role is a principal of the data key's policy instead: a new "
            "grant may not be usable for minutes, and destroying it revokes nothing the policy still needs"),
)


@dataclass(frozen=True)
class RenamedLocal:
    """A local tapgen renamed: no state depends on it, but the impact report compares the old
    output's expressions with the new ones, and a rename alone must not read as a change."""

    old: str
    new: str
    version: str


RENAMED_LOCALS: tuple[RenamedLocal, ...] = (
    RenamedLocal("env", "settings", "0.2.0"),  # the selected workspace's settings
)


def with_current_local_names(text: str) -> str:
    """Terraform text of an earlier version with its renamed locals called as they are now."""
    for rename in RENAMED_LOCALS:
        text = re.sub(rf"(?<![\w.])local\.{re.escape(rename.old)}\b", f"local.{rename.new}", text)
        text = re.sub(rf"^(\s*){re.escape(rename.old)}(\s*)=", rf"\g<1>{rename.new}\g<2>=", text, flags=re.M)
    return text


def generated_addresses(texts: Iterable[str]) -> set[str]:
    """The resource addresses declared in Terraform texts (``type.name``, without instance keys)."""
    return {f"{kind}.{name}" for text in texts for kind, name in _RESOURCE_HEADER.findall(text)}

