"""Any text in any string field of the spec is rejected clearly or reaches the HCL exactly as written.

Property-based (hypothesis, derandomized so CI is reproducible): the text is placed in one field
of an otherwise valid spec. Either loading fails with problems that each name a path and say
what is wrong, or the rendered HCL parses back to exactly that text where the field is used,
and the parsed files have the same blocks and attributes as with a plain value.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from generator.context import ELB_ACCOUNT_REGIONS
from generator.errors import SpecError
from generator.loader import build_spec
from generator.pipeline import render_spec
from generator.spec import Backend, Backup, Database, Environment, Spec
from generator.stack import Stack
from generator.yaml_source import parse_yaml

BASE = {
    "project": "demo",
    "region": "us-west-2",
    "owner": "platform-team",
    "health_check_path": "/health",
    "backend": {"bucket": "acme-tfstate", "key": "state/terraform.tfstate"},
    "environments": {
        "prod": {
            "vpc_cidr": "10.30.0.0/16", "availability_zones": 2, "instance_type": "m6i.large",
            "autoscaling": {"min": 2, "max": 4, "desired": 2},
            "database": {"instance_class": "db.r6g.large", "allocated_storage_gb": 100, "backup_retention_days": 7,
                         "multi_az": False, "deletion_protection": True, "engine_version": "16"},
            "log_retention_days": 365, "flow_logs": True, "account_id": "123456789012",
            "assume_role_arn": "arn:aws:iam::123456789012:role/deploy",
            "backup": {"dr_region": "us-east-2", "schedule": "cron(0 6 * * ? *)"},
            "waivers": {"multi_az": "single-AZ until the budget review"},
        },
    },
}


def locals_of(docs: dict) -> dict:
    return docs["tap_stack.tf"]["locals"][0]


def env_setting(key: str) -> Callable[[dict], object]:
    return lambda docs: locals_of(docs)["environments"]["prod"][key]


def variable_default(name: str) -> Callable[[dict], object]:
    return lambda docs: next(v[name]["default"] for v in docs["variables.tf"]["variable"] if name in v)


def backend(key: str) -> Callable[[dict], object]:
    return lambda docs: docs["provider.tf"]["terraform"][0]["backend"][0]["s3"][key]


# field path in the spec -> where its value is read back in the parsed HCL (None: only a comment)
FIELDS: dict[tuple[str, ...], Callable[[dict], object] | None] = {
    ("project",): lambda docs: locals_of(docs)["project"],
    ("owner",): lambda docs: locals_of(docs)["owner"],
    ("region",): variable_default("aws_region"),
    ("health_check_path",): variable_default("health_check_path"),
    ("environments", "prod", "vpc_cidr"): env_setting("vpc_cidr"),
    ("environments", "prod", "instance_type"): env_setting("instance_type"),
    ("environments", "prod", "database", "instance_class"): env_setting("db_instance_class"),
    ("environments", "prod", "database", "engine_version"): env_setting("db_engine_version"),
    ("environments", "prod", "account_id"): env_setting("account_id"),
    ("environments", "prod", "assume_role_arn"): env_setting("assume_role_arn"),
    ("environments", "prod", "backup", "dr_region"): env_setting("backup_dr_region"),
    ("environments", "prod", "backup", "schedule"): env_setting("backup_schedule"),
    ("environments", "prod", "waivers", "multi_az"): None,
    ("backend", "bucket"): backend("bucket"),
    ("backend", "key"): backend("key"),
}

# The model class that declares each field, whose pattern also generates values it accepts.
DECLARED_BY = {"environments": Environment, "database": Database, "backup": Backup, "backend": Backend,
               "waivers": None}

SNIPPETS = ["${var.x}", "%{ if true }", '"', "\\", "\n", "}", "{", "#", "//", "/*", "*/", "<<EOT", "\u202e", "\x00",
            "é", "😀", " ", "-", ".", "/", "a", "1"]
texts = st.lists(st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=4)), max_size=12).map("".join)


def values_for(path: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Arbitrary text, and text the field's own pattern accepts (so both outcomes are exercised)."""
    owner = Spec
    for key in path[:-1]:
        owner = DECLARED_BY.get(key, owner)
    if owner is None:
        return texts
    field = next(f for f in dataclasses.fields(owner) if f.name == path[-1])
    pattern = field.metadata.get("pattern")
    return st.one_of(texts, st.from_regex(rf"\A(?:{pattern})\Z")) if pattern else texts


def render(spec_data: dict) -> dict[str, dict]:
    text = yaml.safe_dump(spec_data, allow_unicode=True, sort_keys=False)
    spec = build_spec(parse_yaml(text, "spec.yaml"), "spec.yaml")
    files = render_spec(spec, "spec.yaml")
    stack = Stack({name: body for name, body in files.items() if name.endswith(".tf")})
    assert not stack.problems
    return stack.documents


def shape(value: object) -> object:
    """The structure of a parse: keys and nesting, with every leaf value blanked."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return None


def with_value(path: tuple[str, ...], value: str) -> dict:
    data = copy.deepcopy(BASE)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


PLAIN = render(BASE)
# Regions opened since August 2022 get no ELB-account statement in the log bucket's policy.
PLAIN_NEWER_REGION = render(with_value(("region",), "mx-central-1"))


@pytest.mark.parametrize("path", list(FIELDS), ids=".".join)
@settings(max_examples=20, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_text_in_any_field_is_rejected_clearly_or_round_trips(path, data):
    value = data.draw(values_for(path))
    spec_data = with_value(path, value)
    assume(yaml.safe_load(yaml.safe_dump(spec_data, allow_unicode=True)) == spec_data)  # YAML can carry it
    try:
        docs = render(spec_data)
    except SpecError as error:
        # Clear: each problem says where (a dotted path or a line) and what.
        assert error.problems and all(p.message and (p.path or p.line) for p in error.problems), error.report()
        return
    read_back = FIELDS[path]
    if read_back is not None:
        # python-hcl2 leaves escaped template sequences doubled (amplify-education/python-hcl2#336).
        parsed = str(read_back(docs)).replace("$${", "${").replace("%%{", "%{")
        assert parsed == value
    newer_region = path == ("region",) and value not in ELB_ACCOUNT_REGIONS
    assert shape(docs) == shape(PLAIN_NEWER_REGION if newer_region else PLAIN)


def test_the_plain_spec_exercises_every_field():
    for path, read_back in FIELDS.items():
        value = BASE
        for key in path:
            value = value[key]
        if read_back is not None:
            assert read_back(PLAIN) == value, path
