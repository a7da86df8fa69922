import json

import pytest

from generator.errors import SpecError
from generator.loader import load_spec
from generator.spec import Spec
from generator.typed_yaml import json_schema

from .helpers import DEFAULT_SPEC, MINIMAL_SPEC, SPECS


def problems_of(write_spec, text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    return [(p.line, p.path, p.message) for p in caught.value.problems]


def test_the_default_spec_loads_with_defaults_merged():
    _, spec = load_spec(DEFAULT_SPEC)
    assert list(spec.environments) == ["dev", "staging", "prod"]
    assert [e.database.backup_retention_days for e in spec.environments.values()] == [1, 3, 7]
    assert spec.environments["dev"].availability_zones == 2  # from defaults
    assert spec.environments["prod"].availability_zones == 3  # its own value wins


def test_defaults_merge_deeply_into_nested_mappings():
    _, spec = load_spec(SPECS / "nested_defaults.yaml")
    dev, prod = spec.environments["dev"], spec.environments["prod"]
    # dev overrides one key of database and of autoscaling, and keeps the rest from defaults.
    assert (dev.database.backup_retention_days, dev.database.instance_class, dev.database.allocated_storage_gb) == (
        1, "db.t3.small", 30)
    assert (dev.autoscaling.min, dev.autoscaling.max, dev.autoscaling.desired) == (1, 4, 1)
    assert (prod.database.instance_class, prod.database.allocated_storage_gb, prod.autoscaling.desired) == (
        "db.m6g.large", 30, 2)


def test_production_and_nat_defaults_follow_the_environment():
    _, spec = load_spec(DEFAULT_SPEC)
    assert {n: (e.production, e.nat_gateways) for n, e in spec.environments.items()} == {
        "dev": (False, "single"), "staging": (False, "single"), "prod": (True, "per_az")}


def test_unknown_key_names_path_line_and_suggests(write_spec):
    text = MINIMAL_SPEC.replace("    instance_type:", "    instance_typo:")
    problems = problems_of(write_spec, text)
    assert (8, "environments.dev.instance_typo", "unknown key 'instance_typo'") in problems
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    assert "did you mean 'instance_type'?" in caught.value.report()


def test_missing_key_points_at_its_parent(write_spec):
    text = MINIMAL_SPEC.replace("      multi_az: false\n", "")
    assert problems_of(write_spec, text) == [
        (10, "environments.dev.database.multi_az", "required key is missing")]


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [("backup_retention_days: 1", "backup_retention_days: 90", "environments.dev.database.backup_retention_days",
      "must be between 1 and 35, got 90"),
     ("availability_zones: 2", "availability_zones: 7", "environments.dev.availability_zones",
      "must be between 2 and 6, got 7"),
     ("log_retention_days: 30", "log_retention_days: 31", "environments.dev.log_retention_days",
      "must be one of"),
     ("multi_az: false", "multi_az: 'no'", "environments.dev.database.multi_az", "must be true or false, got 'no'"),
     ("allocated_storage_gb: 20", "allocated_storage_gb: twenty", "environments.dev.database.allocated_storage_gb",
      "must be an integer, got 'twenty'"),
     ("instance_type: t3.micro", "instance_type: t3", "environments.dev.instance_type", "is not a valid value"),
     ("region: us-west-2", "region: 12", "region", "must be a string, got 12"),
     ("autoscaling: {min: 1, max: 2, desired: 1}", "autoscaling: [1, 2]", "environments.dev.autoscaling",
      "must be a mapping, got a list")],
)
def test_wrong_types_and_ranges_name_the_path(write_spec, old, new, path, message):
    assert old in MINIMAL_SPEC
    problems = problems_of(write_spec, MINIMAL_SPEC.replace(old, new))
    [(line, got_path, got_message)] = problems
    assert got_path == path and message in got_message
    assert line == next(i for i, text in enumerate(MINIMAL_SPEC.replace(old, new).splitlines(), 1) if new in text)


def test_every_problem_is_reported_at_once(write_spec):
    text = (MINIMAL_SPEC.replace("instance_type: t3.micro", "instance_typ: t3.micro")
            .replace("backup_retention_days: 1", "backup_retention_days: 0")
            .replace("owner: platform-team\n", "") + "colour: blue\n")
    paths = {path for _, path, _ in problems_of(write_spec, text)}
    assert paths == {"owner", "colour", "environments.dev.instance_typ", "environments.dev.instance_type",
                     "environments.dev.database.backup_retention_days"}


def test_a_bad_default_is_reported_once_at_the_defaults_key(write_spec):
    text = MINIMAL_SPEC.replace("environments:\n", "defaults:\n  flow_logs: maybe\nenvironments:\n").replace(
        "    flow_logs: false\n", "")
    text = text.rstrip("\n") + "\n"
    two_envs = text + text[text.index("  dev:"):].replace("  dev:", "  qa:").replace("10.10.", "10.20.")
    assert problems_of(write_spec, two_envs) == [(5, "defaults.flow_logs", "must be true or false, got 'maybe'")]


@pytest.mark.parametrize(("text", "message"), [("- a\n- b\n", "got a list"), ("just text\n", "got a single value")])
def test_the_top_must_be_a_mapping(write_spec, text, message):
    [(_, _, got)] = problems_of(write_spec, text)
    assert message in got


def test_json_schema_comes_from_the_model():
    schema = json_schema(Spec)
    env = schema["properties"]["environments"]["additionalProperties"]
    assert schema["required"] == ["project", "region", "owner", "environments"]
    assert env["properties"]["database"]["properties"]["backup_retention_days"]["maximum"] == 35
    assert env["additionalProperties"] is False
    json.dumps(schema)  # serialisable


def test_audit_and_backup_defaults_follow_production():
    _, spec = load_spec(DEFAULT_SPEC)
    dev, staging, prod = spec.environments.values()
    assert [e.backup.retention_days for e in (dev, staging, prod)] == [7, 14, 35]  # staging sets its own
    assert [e.backup.dr_retention_days for e in (dev, staging, prod)] == [7, 14, 35]
    assert [e.backup.restore_testing for e in (dev, staging, prod)] == [False, False, True]
    assert [e.audit.trail for e in (dev, staging, prod)] == [False, False, True]
    assert (prod.backup.dr_region, dev.backup.dr_region) == ("us-east-2", None)
    assert prod.audit.retention_days == 2192 and prod.backup.vault_lock == "governance"


def test_a_shared_trail_turns_the_own_trail_off_and_explicit_settings_win():
    _, spec = load_spec(SPECS / "shared_account.yaml")
    dev, qa, prod = spec.environments.values()
    assert (dev.audit.trail, dev.audit.shared_trail, qa.audit.trail, prod.audit.trail) == (False, "qa", True, True)
    assert (qa.audit.retention_days, prod.backup.retention_days, prod.backup.vault_lock) == (365, 30, "compliance")


def test_audit_and_backup_keys_are_checked_like_any_other(write_spec):
    text = MINIMAL_SPEC + "    backup: {schedule: daily, retention_dayz: 3}\n    audit: {retention_days: 30}\n"
    problems = {path: message for _, path, message in problems_of(write_spec, text)}
    assert problems["environments.dev.backup.schedule"].startswith("'daily' is not a valid value")
    assert problems["environments.dev.backup.retention_dayz"] == "unknown key 'retention_dayz'"
    assert problems["environments.dev.audit.retention_days"].startswith("must be one of 365, 400")
