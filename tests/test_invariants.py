import pytest

from generator.errors import SpecError
from generator.loader import load_spec

from .helpers import STANDARD_SPEC


def default_with(*edits: tuple[str, str]) -> str:
    text = STANDARD_SPEC.read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def problems(write_spec, *edits) -> list[tuple[int | None, str, str]]:
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(default_with(*edits)))
    return [(p.line, p.path, p.message) for p in caught.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_overlapping_cidrs_are_reported_on_the_later_environment(write_spec):
    edit = ("vpc_cidr: 10.20.0.0/16", "vpc_cidr: 10.10.128.0/17")
    [(line, path, message)] = problems(write_spec, edit)
    assert path == "environments.staging.vpc_cidr"
    assert "overlaps environments.dev.vpc_cidr (10.10.0.0/16)" in message
    assert line == line_of(default_with(edit), "10.10.128.0/17")


@pytest.mark.parametrize(
    ("cidr", "message"),
    [("8.8.0.0/16", "not a private range"), ("10.10.0.0/24", "too small for 3 tiers of subnets"),
     ("10.10.0.1/16", "not an IPv4 network"), ("10.0.0.0/8", "larger than AWS allows for a VPC")],
)
def test_vpc_ranges(write_spec, cidr, message):
    found = problems(write_spec, ("vpc_cidr: 10.10.0.0/16", f"vpc_cidr: {cidr}"))
    assert any(path == "environments.dev.vpc_cidr" and message in text for _, path, text in found), found


def test_default_is_not_an_environment(write_spec):
    found = problems(write_spec, ("  dev:\n", "  default:\n"))
    assert (line_of(STANDARD_SPEC.read_text(), "  dev:"), "environments.default", "'default' is Terraform's own workspace, not an environment") in found


def test_environment_names_must_be_workspace_names(write_spec):
    [(_, path, message)] = problems(write_spec, ("  dev:\n", "  Dev_1:\n"))
    assert path == "environments.Dev_1" and "not a valid name" in message


def test_names_that_would_overflow_aws_limits(write_spec):
    [(_, path, message)] = problems(write_spec, ("project: healthcare-app", "project: healthcare-appxyz"))
    assert path == "environments.staging" and "at most 24" in message


def test_autoscaling_order(write_spec):
    [(_, path, message)] = problems(write_spec, ("{min: 1, max: 3, desired: 2}", "{min: 2, max: 3, desired: 1}"))
    assert path == "environments.staging.autoscaling" and "min <= desired <= max" in message


def test_backup_retention_must_not_decrease_towards_prod(write_spec):
    found = problems(write_spec, ("backup_retention_days: 3", "backup_retention_days: 10"))
    assert [path for _, path, _ in found] == ["environments.prod.database.backup_retention_days"] * 2
    assert [message for _, _, message in found] == [
        "7 is less than staging's 10", "production keeps backups 7 days, less than staging"]


@pytest.mark.parametrize(
    ("old", "new", "needs"),
    [("      deletion_protection: true", "      deletion_protection: false", "database.deletion_protection: true"),
     ("      multi_az: true", "      multi_az: false", "database.multi_az: true"),
     ("log_retention_days: 365", "log_retention_days: 90", "log_retention_days of at least 365")],
)
def test_production_needs_its_safety_nets(write_spec, old, new, needs):
    [(line, path, message)] = problems(write_spec, (old, new))
    assert path == "environments.prod" and message == f"is production and needs {needs}"
    assert line == line_of(STANDARD_SPEC.read_text(), "  prod:")


def test_flow_logs_are_required_in_production(write_spec):
    text = default_with(("kms_deletion_window_days: 30", "kms_deletion_window_days: 30\n    flow_logs: false"))
    text = text.replace("    log_retention_days: 365\n    flow_logs: true\n", "    log_retention_days: 365\n")
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    assert "is production and needs flow_logs: true" in caught.value.report()


def test_a_waiver_with_a_reason_excuses_production(write_spec):
    spec_path = write_spec(default_with(
        ("      multi_az: true", "      multi_az: false"),
        ("kms_deletion_window_days: 30", "kms_deletion_window_days: 30\n    waivers:\n"
         "      multi_az: single-AZ until the Q3 budget; restores tested weekly")))
    _, spec = load_spec(spec_path)
    assert spec.environments["prod"].waivers == {"multi_az": "single-AZ until the Q3 budget; restores tested weekly"}


@pytest.mark.parametrize(
    ("waiver", "message"),
    [("flow_logs: because", "waives nothing"), ("multi_az: ok", "needs a specific reason")],
)
def test_waivers_must_be_needed_and_explained(write_spec, waiver, message):
    found = problems(write_spec, ("      multi_az: true", "      multi_az: false"),
                     ("kms_deletion_window_days: 30", f"kms_deletion_window_days: 30\n    waivers:\n      {waiver}"))
    assert any(message in text for _, _, text in found), found


def test_unknown_waivers_and_waivers_outside_production_are_errors(write_spec):
    found = problems(write_spec, ("kms_deletion_window_days: 7", "kms_deletion_window_days: 7\n    waivers:\n"
                                  "      multi-az: not needed in dev at all"))
    assert [(path, message) for _, path, message in found] == [
        ("environments.dev.waivers.multi-az", "'multi-az' is not a rule that can be waived")]
    found = problems(write_spec, ("kms_deletion_window_days: 7", "kms_deletion_window_days: 7\n    waivers:\n"
                                  "      multi_az: dev is single-AZ on purpose"))
    assert [(path, message) for _, path, message in found] == [
        ("environments.dev.waivers.multi_az", "waives nothing: the rule holds only for production environments")]


@pytest.mark.parametrize("name", ["prod", "production", "prd", "live", "prod-eu", "live2"])
def test_a_name_that_says_production_is_production(write_spec, name):
    _, spec = load_spec(write_spec(default_with(("  prod:", f"  {name}:"), ("project: healthcare-app", "project: hc"))))
    assert spec.environments[name].production is True
    assert spec.environments[name].nat_gateways == "per_az"
    assert spec.environments["staging"].production is False


@pytest.mark.parametrize("where", ["environment", "defaults"])
def test_saying_a_production_name_is_not_production_needs_a_reason(write_spec, where):
    edit = (("kms_deletion_window_days: 30", "kms_deletion_window_days: 30\n    production: false")
            if where == "environment" else ("defaults:", "defaults:\n  production: false"))
    [(line, path, message)] = problems(write_spec, edit)
    assert (path, message) == ("environments.prod",
                               "says production and needs production: true, as its name says production")
    assert line == line_of(default_with(edit), "  prod:")
    waived = default_with(edit, ("    flow_logs: true\n    kms_deletion_window_days: 30",
                                 "    flow_logs: true\n    kms_deletion_window_days: 30\n"
                                 "    waivers: {production: a load-test copy of prod with synthetic data}"))
    _, spec = load_spec(write_spec(waived))
    assert spec.environments["prod"].production is False


def test_a_waiver_reason_must_say_something(write_spec):
    [(_, path, message)] = problems(write_spec, ("kms_deletion_window_days: 30",
                                                 "kms_deletion_window_days: 30\n    production: false\n"
                                                 "    waivers: {production: testing}"))
    assert (path, message) == ("environments.prod.waivers.production", "needs a specific reason")


def test_every_overlapping_environment_is_reported(write_spec):
    found = problems(write_spec, ("vpc_cidr: 10.20.0.0/16", "vpc_cidr: 10.10.128.0/17"),
                     ("vpc_cidr: 10.30.0.0/16", "vpc_cidr: 10.10.64.0/18"))
    assert sorted((path, message) for _, path, message in found) == [
        ("environments.prod.vpc_cidr", "10.10.64.0/18 overlaps environments.dev.vpc_cidr (10.10.0.0/16)"),
        ("environments.staging.vpc_cidr", "10.10.128.0/17 overlaps environments.dev.vpc_cidr (10.10.0.0/16)"),
    ]


@pytest.mark.parametrize("maximum", [50, 40])
def test_storage_autoscaling_ceiling_must_be_above_allocated_storage(write_spec, maximum):
    [(_, path, message)] = problems(write_spec, ("max_allocated_storage_gb: 200", f"max_allocated_storage_gb: {maximum}"))
    assert (path, message) == ("environments.staging.database.max_allocated_storage_gb",
                               "must be above allocated_storage_gb (50) or 0")


def test_storage_autoscaling_can_be_off(write_spec):
    _, spec = load_spec(write_spec(default_with(("max_allocated_storage_gb: 200", "max_allocated_storage_gb: 0"))))
    assert spec.environments["staging"].database.max_allocated_storage_gb == 0


@pytest.mark.parametrize(
    ("edit", "path", "message"),
    [(("kms_deletion_window_days: 7", "kms_deletion_window_days: 7\n    audit: {shared_trail: dev}"),
      "environments.dev.audit.shared_trail", "names this environment itself"),
     (("kms_deletion_window_days: 7", "kms_deletion_window_days: 7\n    audit: {shared_trail: qa}"),
      "environments.dev.audit.shared_trail", "'qa' is not an environment of this spec"),
     (("kms_deletion_window_days: 7", "kms_deletion_window_days: 7\n    audit: {shared_trail: staging}"),
      "environments.dev.audit.shared_trail", "staging has no trail of its own to share"),
     (("kms_deletion_window_days: 7", "kms_deletion_window_days: 7\n    audit: {shared_trail: prod, trail: true}"),
      "environments.dev.audit", "has a trail of its own and shares prod's"),
     (("dr_region: us-east-2", "dr_region: us-west-2"),
      "environments.prod.backup.dr_region", "us-west-2 is the stack's own region")],
)
def test_trails_are_shared_only_with_an_environment_that_has_one_and_copies_leave_the_region(
        write_spec, edit, path, message):
    [(line, got_path, got_message)] = problems(write_spec, edit)
    assert got_path == path and got_message.startswith(message)
    assert line == line_of(default_with(edit), edit[1].splitlines()[-1].strip())


@pytest.mark.parametrize(
    ("old", "new", "needs"),
    [("dr_region: us-east-2}", "retention_days: 35}", "backup.dr_region: a second region for copies of its backups"),
     ("dr_region: us-east-2}", "dr_region: us-east-2, restore_testing: false}", "backup.restore_testing: true"),
     ("kms_deletion_window_days: 30", "kms_deletion_window_days: 29", "kms_deletion_window_days: 30"),
     ("dr_region: us-east-2}", "dr_region: us-east-2}\n    audit: {trail: false}", "audit.trail: true, or"),
     ("dr_region: us-east-2}", "dr_region: us-east-2}\n    audit: {retention_days: 1827}",
      "audit.retention_days of at least 2192")],
)
def test_production_needs_its_trail_copies_and_restore_tests(write_spec, old, new, needs):
    [(_, path, message)] = problems(write_spec, (old, new))
    assert path == "environments.prod" and message.startswith(f"is production and needs {needs}")


def test_a_production_environment_may_share_another_production_trail(write_spec):
    text = default_with(("  staging:", "  prod-eu:"), ("10.20.0.0/16", "10.40.0.0/16"),
                        ("backup: {retention_days: 14}", "audit: {shared_trail: prod}\n    backup: {dr_region: us-east-1}"))
    # Its other production rules met, so that the trail is the point.
    for old, new in (("backup_retention_days: 3\n      multi_az: false\n      deletion_protection: false\n"
                      "    log_retention_days: 90", "backup_retention_days: 7\n      multi_az: true\n"
                      "      deletion_protection: true\n    log_retention_days: 365"),
                     ("kms_deletion_window_days: 14", "kms_deletion_window_days: 30")):
        assert text.count(old) == 1
        text = text.replace(old, new)
    _, spec = load_spec(write_spec(text))
    assert (spec.environments["prod-eu"].audit.trail, spec.environments["prod-eu"].production) == (False, True)
