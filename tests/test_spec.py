import io
import json
import os

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
    assert "user_data" in env["properties"] and "user_data_text" not in env["properties"]


def test_one_key_of_a_nested_block_at_the_wrong_level_says_where_it_belongs(write_spec):
    text = MINIMAL_SPEC.replace("      multi_az: false\n", "").replace("    flow_logs: false\n",
                                                                      "    flow_logs: false\n    multi_az: false\n")
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    assert "environments.dev.multi_az: unknown key 'multi_az' (it belongs under database:)" in caught.value.report()


def with_user_data(path: str) -> str:
    return MINIMAL_SPEC.replace("    flow_logs: false\n", f"    flow_logs: false\n    user_data: {path}\n")


def test_user_data_is_read_relative_to_the_spec(write_spec, tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "start.sh").write_text("#!/bin/bash\necho ${HOME}\n", encoding="utf-8")
    _, spec = load_spec(write_spec(with_user_data("app/start.sh")))
    assert spec.environments["dev"].user_data_text == "#!/bin/bash\necho ${HOME}\n"


def test_user_data_on_standard_input_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "start.sh").write_text("#!/bin/bash\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(with_user_data("start.sh").encode())))
    _, spec = load_spec("-")
    assert spec.environments["dev"].user_data_text == "#!/bin/bash\n"


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: None, "no such file"),
    (lambda p: p.mkdir(), "is not a regular file"),
    (lambda p: os.mkfifo(p), "is not a regular file"),
    (lambda p: p.write_bytes(b"#!/bin/bash\n" + b"x" * 16 * 1024), "larger than EC2's 16 KB (16384 bytes)"),
    (lambda p: p.write_bytes(b"#!/bin/bash\necho \xff\n"), "is not valid UTF-8 (line 2)"),
    (lambda p: p.write_text(" \n"), "is empty"),
])
def test_user_data_ec2_would_refuse_is_a_located_spec_error(write_spec, tmp_path, make, message):
    make(tmp_path / "start.sh")
    [(line, path, got)] = problems_of(write_spec, with_user_data("start.sh"))
    assert (line, path) == (18, "environments.dev.user_data")
    assert message in got and str(tmp_path / "start.sh") in got


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.symlink_to("/proc/self/environ"), "is outside the spec's folder"),
    (lambda p: p.symlink_to(p.parent.parent / "secret.env"), "is outside the spec's folder"),
    (lambda p: p.symlink_to(p), "is outside the spec's folder"),  # a loop
    (lambda p: p.write_bytes(b"\xef\xbb\xbf#!/bin/bash\n"), "starts with a byte order mark"),
    (lambda p: p.write_bytes(b"#!/bin/bash\r\necho\r\n"), "has CRLF (Windows) line endings (line 1)"),
    (lambda p: p.write_bytes(b"#!/bin/bash\necho \x00\n"), "holds U+0000 (NULL) at line 2"),
    (lambda p: p.write_bytes(b"#!/bin/bash\n\necho \x1b[31m\n"), "holds U+001B (ESCAPE) at line 3"),
    (lambda p: p.write_bytes(b"#!/bin/bash\necho \xc2\x85\n"), "holds U+0085 (NEXT LINE) at line 2"),
])
def test_user_data_outside_the_folder_or_with_bytes_cloud_init_trips_on_is_a_located_error(
        write_spec, tmp_path, make, message):
    (tmp_path / "secret.env").write_text("TOKEN=hunter2\n")
    folder = tmp_path / "spec"
    folder.mkdir()
    make(folder / "start.sh")
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(with_user_data("start.sh"), name="spec/spec.yaml"))
    [problem] = caught.value.problems
    assert (problem.line, problem.path) == (18, "environments.dev.user_data")
    assert message in problem.message and "hunter2" not in caught.value.report()


@pytest.mark.parametrize("path", ["/proc/self/environ", "../secret.env", "app/../../secret.env"])
def test_user_data_is_never_read_from_outside_the_folder_and_stdin_means_the_working_directory(
        tmp_path, monkeypatch, path):
    (tmp_path / "secret.env").write_text("#!/bin/bash\nTOKEN=hunter2\n")
    work = tmp_path / "work"
    (work / "app").mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(with_user_data(path).encode())))
    with pytest.raises(SpecError) as caught:
        load_spec("-")
    assert "is an absolute path" in caught.value.report() if path.startswith("/") else \
        "is outside the spec's folder" in caught.value.report()


def test_user_data_of_exactly_16_kb_is_accepted(write_spec, tmp_path):
    (tmp_path / "start.sh").write_bytes(b"#" * (16 * 1024 - 1) + b"\n")
    _, spec = load_spec(write_spec(with_user_data("start.sh")))
    assert len(spec.environments["dev"].user_data_text) == 16 * 1024


def test_an_image_said_to_serve_the_app_must_be_pinned(write_spec):
    text = MINIMAL_SPEC.replace("    flow_logs: false\n", "    flow_logs: false\n    ami_serves_health_check: true\n")
    [(_, path, message)] = problems_of(write_spec, text)
    assert path == "environments.dev.ami_serves_health_check" and "stock Amazon Linux" in message


def test_a_cpu_target_is_a_percentage(write_spec):
    text = MINIMAL_SPEC.replace("{min: 1, max: 2, desired: 1}", "{min: 1, max: 2, desired: 1, target: 150}")
    [(_, path, message)] = problems_of(write_spec, text)
    assert (path, message) == ("environments.dev.autoscaling.target", "is a CPU percentage, got 150")


def test_a_request_target_defaults_to_1000(write_spec):
    text = MINIMAL_SPEC.replace("{min: 1, max: 2, desired: 1}", "{min: 1, max: 2, desired: 1, scale_on: requests}")
    _, spec = load_spec(write_spec(text))
    assert spec.environments["dev"].autoscaling.target == 1000




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
