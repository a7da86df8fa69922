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
     ("10.10.0.1/16", "has host bits set: the network it is in is 10.10.0.0/16"), ("10.0.0.0/8", "larger than AWS allows for a VPC")],
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
    assert path == "environments.staging" and "may be at most 24" in message and "alb-logs" in message


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
     ("log_retention_days: 365", "log_retention_days: 90", "log_retention_days of at least 365"),
     ("kms_deletion_window_days: 30", "kms_deletion_window_days: 30\n    internet_egress: true",
      "internet_egress: false")],
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


def test_outside_production_egress_and_endpoints_are_the_specs_choice_but_not_both_off(write_spec):
    _, spec = load_spec(write_spec(default_with(
        ("kms_deletion_window_days: 7", "kms_deletion_window_days: 7\n    interface_endpoints: false"))))
    assert (spec.environments["dev"].interface_endpoints, spec.environments["dev"].internet_egress) == (False, True)
    found = problems(write_spec, ("kms_deletion_window_days: 7", "kms_deletion_window_days: 7\n"
                                  "    interface_endpoints: false\n    internet_egress: false"))
    assert [(path, message.split(":")[0]) for _, path, message in found] == [
        ("environments.dev.interface_endpoints", "is false and internet_egress is false")]


def test_production_keeps_its_interface_endpoints(write_spec):
    found = problems(write_spec, ("kms_deletion_window_days: 30",
                                  "kms_deletion_window_days: 30\n    interface_endpoints: false"))
    assert ("environments.prod", "is production and needs interface_endpoints: true") in [
        (path, message) for _, path, message in found]


def test_production_may_have_internet_egress_by_a_waiver(write_spec):
    _, spec = load_spec(write_spec(default_with(
        ("kms_deletion_window_days: 30", "kms_deletion_window_days: 30\n    internet_egress: true\n    waivers:\n"
         "      internet_egress: the claims clearinghouse is reachable only over the internet"))))
    assert spec.environments["prod"].internet_egress is True


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
    ("backend", "message"),
    [("{bucket: acme-tfstate, key: state/}", "starts or ends with '/'"),
     ("{bucket: acme-tfstate, key: a//b}", "contains '//'"),
     ("{bucket: acme-tfstate, workspace_key_prefix: /team}", "starts or ends with '/'"),
     ("{bucket: acme..tfstate}", "two adjacent periods"), ("{bucket: 10.0.0.1}", "an IP address"),
     ("{bucket: sthree-state}", "starts with 'sthree-'"), ("{bucket: acme--ol-s3}", "ends with '--ol-s3'")],
)
def test_backend_settings_terraform_init_or_s3_would_refuse(write_spec, backend, message):
    found = problems(write_spec, ("owner: platform-team\n", f"owner: platform-team\nbackend: {backend}\n"))
    assert any(path.startswith("backend.") and message in text for _, path, text in found), found


def test_a_backend_with_nested_keys_and_a_multi_region_key_renders(write_spec):
    text = default_with(("owner: platform-team\n", "owner: platform-team\nbackend:\n  bucket: acme-tf.state\n"
                         "  key: stacks/app/terraform.tfstate\n  workspace_key_prefix: teams/health\n"
                         "  kms_key_id: arn:aws:kms:us-west-2:123456789012:key/mrk-" + "a" * 32 + "\n"))
    _, spec = load_spec(write_spec(text))
    assert spec.backend.workspace_key_prefix == "teams/health"


@pytest.mark.parametrize("user", ["dbadmin", "rdsadmin"])
def test_the_app_database_user_is_neither_the_master_nor_reserved(write_spec, user):
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(f"app_db_user: {user}\n" + STANDARD_SPEC.read_text()))
    assert [p.path for p in caught.value.problems] == ["app_db_user"]
