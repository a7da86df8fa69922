import pytest

from generator import cron
from generator.errors import SpecError
from generator.loader import load_spec

from .helpers import SPECS, STANDARD_SPEC


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
     ("{bucket: acme.tfstate}", "has a '.', which breaks virtual-hosted-style HTTPS"),
     ("{bucket: sthree-state}", "starts with 'sthree-'"), ("{bucket: acme--ol-s3}", "ends with '--ol-s3'")],
)
def test_backend_settings_terraform_init_or_s3_would_refuse(write_spec, backend, message):
    found = problems(write_spec, ("owner: platform-team\n", f"owner: platform-team\nbackend: {backend}\n"))
    assert any(path.startswith("backend.") and message in text for _, path, text in found), found


def test_a_backend_with_nested_keys_and_a_multi_region_key_renders(write_spec):
    text = default_with(("owner: platform-team\n", "owner: platform-team\nbackend:\n  bucket: acme-tfstate\n"
                         "  key: stacks/app/terraform.tfstate\n  workspace_key_prefix: teams/health\n"
                         "  kms_key_id: arn:aws:kms:us-west-2:123456789012:key/mrk-" + "a" * 32 + "\n"))
    _, spec = load_spec(write_spec(text))
    assert spec.backend.workspace_key_prefix == "teams/health"


@pytest.mark.parametrize("user", ["dbadmin", "rdsadmin"])
def test_the_app_database_user_is_neither_the_master_nor_reserved(write_spec, user):
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(f"app_db_user: {user}\n" + STANDARD_SPEC.read_text()))
    assert [p.path for p in caught.value.problems] == ["app_db_user"]


# -- accounts: each workspace bound to its AWS account --------------------------------------------

PROD_ACCOUNT = '    account_id: "222222222222"     # PLACEHOLDER: production\'s own account (required)\n'


def test_an_account_id_written_as_a_number_must_be_quoted(write_spec):
    text = default_with((PROD_ACCOUNT, "    account_id: 222222222222\n"))
    [(line, path, message)] = problems(write_spec, (PROD_ACCOUNT, "    account_id: 222222222222\n"))
    assert (path, message) == ("environments.prod.account_id", "must be a string, got 222222222222")
    assert line == line_of(text, "account_id: 222222222222")
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    assert "(quote it)" in caught.value.report()


@pytest.mark.parametrize("value", ['"22222222222"', '"2222222222222"', '"22222222222a"'])
def test_an_account_id_has_twelve_digits(write_spec, value):
    [(_, path, message)] = problems(write_spec, (PROD_ACCOUNT, f"    account_id: {value}\n"))
    assert path == "environments.prod.account_id" and "is not a valid value (for example '123456789012')" in message


def test_production_needs_an_account_unless_waived(write_spec):
    [(line, path, message)] = problems(write_spec, (PROD_ACCOUNT, ""))
    assert path == "environments.prod" and message.startswith("is production and needs account_id")
    assert line == line_of(STANDARD_SPEC.read_text(), "  prod:")
    waived = default_with((PROD_ACCOUNT, "    waivers: {account_id: a sandbox copy that any engineer may apply}\n"))
    _, spec = load_spec(write_spec(waived))
    assert spec.environments["prod"].account_id is None


def test_outside_production_an_account_is_optional(write_spec):
    _, spec = load_spec(write_spec(default_with(
        ('    account_id: "111111111111"     # PLACEHOLDER: your dev AWS account\'s ID\n', ""))))
    assert spec.environments["dev"].account_id is None
    assert spec.environments["staging"].account_id == "111111111111"


def test_production_may_not_share_an_account_with_other_environments(write_spec):
    shared = (PROD_ACCOUNT, '    account_id: "111111111111"\n')
    [(_, path, message)] = problems(write_spec, shared)
    assert path == "environments.prod"
    assert message == ("is production and shares account 111111111111 with dev, staging; it needs an AWS "
                       "account that no non-production environment uses")
    _, spec = load_spec(write_spec(default_with(shared, ("    kms_deletion_window_days: 30\n",
        "    kms_deletion_window_days: 30\n    waivers: {separate_account: one account until the org is set up}\n"))))
    assert spec.environments["prod"].account_id == spec.environments["dev"].account_id


def test_an_account_set_in_defaults_is_shared_by_every_environment(write_spec):
    text = STANDARD_SPEC.read_text().replace("defaults:                        # deep-merged under every environment\n",
                                             'defaults:\n  account_id: "999999999999"\n')
    for line in text.splitlines(keepends=True):
        if "account_id: \"1111" in line or "account_id: \"2222" in line:
            text = text.replace(line, "")
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    assert [(p.path, p.message.split(";")[0]) for p in caught.value.problems] == [
        ("environments.prod", "is production and shares account 999999999999 with dev, staging")]


def test_production_environments_may_share_an_account_with_each_other(write_spec):
    text = STANDARD_SPEC.read_text()
    prod = text[text.index("  prod:"):]
    text = text.replace(prod, prod + prod.replace("  prod:", "  prod-eu:").replace("10.30.0.0/16", "10.40.0.0/16"))
    _, spec = load_spec(write_spec(text.replace("project: healthcare-app", "project: hc")))
    assert spec.environments["prod"].account_id == spec.environments["prod-eu"].account_id
    assert spec.environments["dev"].account_id == spec.environments["staging"].account_id  # not production


def test_a_separate_account_waiver_that_waives_nothing_is_an_error(write_spec):
    found = problems(write_spec, ("    kms_deletion_window_days: 30\n",
                                  "    kms_deletion_window_days: 30\n    waivers: {separate_account: not shared at all}\n"))
    assert [(path, message) for _, path, message in found] == [
        ("environments.prod.waivers.separate_account", "waives nothing: the setting already meets the rule")]


def test_the_deploy_role_must_be_in_the_environments_account(write_spec):
    found = problems(write_spec, (PROD_ACCOUNT, PROD_ACCOUNT + "    assume_role_arn: arn:aws:iam::333333333333:role/deploy\n"))
    assert [(path, message) for _, path, message in found] == [
        ("environments.prod.assume_role_arn", "is a role in account 333333333333, not in account_id 222222222222")]
    _, spec = load_spec(write_spec(default_with(
        (PROD_ACCOUNT, PROD_ACCOUNT + "    assume_role_arn: arn:aws-us-gov:iam::222222222222:role/ops/deploy\n"))))
    assert spec.environments["prod"].assume_role_arn == "arn:aws-us-gov:iam::222222222222:role/ops/deploy"


def test_a_deploy_role_must_be_a_role_arn(write_spec):
    [(_, path, message)] = problems(write_spec, (PROD_ACCOUNT, PROD_ACCOUNT + "    assume_role_arn: deploy\n"))
    assert path == "environments.prod.assume_role_arn" and "is not a valid value" in message


# -- production is explicit (gaps) -----------------------------------------------------------------


def test_saying_production_makes_any_environment_production(write_spec):
    found = problems(write_spec, ("    kms_deletion_window_days: 14\n",
                                  "    kms_deletion_window_days: 14\n    production: true\n"))
    assert sorted(message.split(";")[0] for _, path, message in found if path == "environments.staging") == [
        "is production and needs backup.dr_region: a second region for copies of its backups",
        "is production and needs database.deletion_protection: true",
        "is production and needs database.multi_az: true",
        "is production and needs kms_deletion_window_days: 30",
        "is production and needs log_retention_days of at least 365",
        "is production and shares account 111111111111 with dev"]


def test_a_production_waiver_on_an_environment_not_named_like_production_waives_nothing(write_spec):
    found = problems(write_spec, ("    kms_deletion_window_days: 14\n", "    kms_deletion_window_days: 14\n"
                                  "    waivers: {production: staging is not production anyway}\n"))
    assert [(path, message) for _, path, message in found] == [
        ("environments.staging.waivers.production",
         "waives nothing: the rule holds only for environments named like production")]


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
                        ("backup: {retention_days: 14}", "audit: {shared_trail: prod}\n    backup: {dr_region: us-east-1}"),
                        ('    account_id: "111111111111"     # PLACEHOLDER: staging may share dev\'s account',
                         '    account_id: "222222222222"     # prod\'s account, whose trail it shares'))
    # Its other production rules met, so that the trail is the point.
    for old, new in (("backup_retention_days: 3\n      multi_az: false\n      deletion_protection: false\n"
                      "    log_retention_days: 90", "backup_retention_days: 7\n      multi_az: true\n"
                      "      deletion_protection: true\n    log_retention_days: 365"),
                     ("kms_deletion_window_days: 14", "kms_deletion_window_days: 30")):
        assert text.count(old) == 1
        text = text.replace(old, new)
    _, spec = load_spec(write_spec(text))
    assert (spec.environments["prod-eu"].audit.trail, spec.environments["prod-eu"].production) == (False, True)


def prod_sharing_qa_trail(*waivers: str) -> str:
    """shared_account.yaml with prod in qa's account (waived) and recorded by qa's trail."""
    text = (SPECS / "shared_account.yaml").read_text()
    for old, new in (('    account_id: "999999999999"\n', '    account_id: "777777777777"\n    audit: {shared_trail: qa}\n'),
                     ("    waivers:\n", "    waivers:\n      separate_account: a sandbox of the intake team, one account\n"
                      + "".join(f"      {waiver}\n" for waiver in waivers))):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def test_production_may_not_share_the_trail_of_an_environment_that_is_not_production(write_spec):
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(prod_sharing_qa_trail()))
    [(path, message, hint)] = [(p.path, p.message, p.hint) for p in caught.value.problems]
    assert path == "environments.prod"
    assert message == ("is production and shares qa's trail, which is not production: its log files are kept 365 "
                       "days, without Object Lock, in a bucket that is emptied when qa is destroyed; it needs "
                       "audit.trail: true, or audit.shared_trail naming the production environment whose trail "
                       "records its account")
    assert hint == "or add waivers: {audit_trail: <reason>} if this is deliberate"
    _, spec = load_spec(write_spec(prod_sharing_qa_trail(
        "audit_trail: the organisation trail of the log-archive account keeps the records for six years")))
    assert spec.environments["prod"].audit.shared_trail == "qa"


def test_a_shared_trail_is_in_the_same_account(write_spec):
    text = (SPECS / "shared_account.yaml").read_text().replace(
        'account_id: "777777777777"     # the non-production account', 'account_id: "888888888888"')
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    [(path, message)] = [(p.path, p.message) for p in caught.value.problems]
    assert (path, message) == ("environments.dev.audit.shared_trail",
                               "qa's trail is in account 777777777777, this environment deploys to 888888888888")


@pytest.mark.parametrize(("dr_region", "message"), [
    ("xx-nowhere-9", "'xx-nowhere-9' is not an AWS region tapgen knows"),
    ("us-easst-2", "'us-easst-2' is not an AWS region tapgen knows"),
    ("cn-north-1", "cn-north-1 is in the aws-cn partition, the stack's region us-west-2 in aws: no credentials "
                   "reach both, and AWS copies only within a partition"),
    ("us-gov-west-1", "us-gov-west-1 is in the aws-us-gov partition"),
])
def test_the_dr_region_is_a_known_region_of_the_stack_s_partition(write_spec, dr_region, message):
    [(_, path, got)] = problems(write_spec, ("dr_region: us-east-2", f"dr_region: {dr_region}"))
    assert path == "environments.prod.backup.dr_region" and got.startswith(message)


def test_a_mistyped_dr_region_gets_a_suggestion_and_an_unknown_one_may_be_allowed(write_spec):
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(default_with(("dr_region: us-east-2", "dr_region: us-easst-2"))))
    assert caught.value.problems[0].hint.startswith("did you mean 'us-east-2'?")
    _, spec = load_spec(write_spec(default_with(("dr_region: us-east-2", "dr_region: eu-future-1"),
                                                ("owner: platform-team", "owner: platform-team\nallow_unknown_region: true"))))
    assert spec.environments["prod"].backup.dr_region == "eu-future-1"


@pytest.mark.parametrize("expression", [
    "cron(0 6 * * ? *)", "cron(0 9 ? * SUN *)", "cron(15 12 * * ? *)", "cron(0 18 ? * MON-FRI *)",
    "cron(0 8 1 * ? *)", "cron(0/15 * * * ? *)", "cron(0/5 8-17 ? * MON-FRI *)", "cron(0 9 ? * 2#1 *)",
    "cron(0 0 L * ? *)", "cron(0 0 3W * ? *)", "cron(0 12 ? * 6L 2027)", "cron(30 4 1,15 JAN-MAR ? 2026-2030)",
    "cron(0 5 ? * * *)",
])
def test_cron_expressions_aws_accepts(expression):
    assert cron.problem(expression) is None


@pytest.mark.parametrize(("expression", "message"), [
    ("cron(x x x x x x)", "minutes 'x' is not a value from 0 to 59"),
    ("cron(0 6 * * * *)", "day-of-month and day-of-week are '*' and '*'; AWS needs '?' in exactly one of them"),
    ("cron(0 6 ? * ? *)", "day-of-month and day-of-week are both '?'"),
    ("cron(0 6 1 * MON *)", "day-of-month and day-of-week are '1' and 'MON'"),
    ("cron(60 6 * * ? *)", "minutes '60'"), ("cron(0 24 * * ? *)", "hours '24'"),
    ("cron(0 6 32 * ? *)", "day-of-month '32'"), ("cron(0 6 * 13 ? *)", "month '13'"),
    ("cron(0 6 ? * 8 *)", "day-of-week '8'"), ("cron(0 6 * * ? 1969)", "year '1969'"),
    ("cron(0/0 6 * * ? *)", "minutes '0/0'"), ("cron(? 6 * * ? *)", "minutes '?' may not be '?'"),
    ("cron(0 6 ? * 1#1,2 *)", "may hold a '#' only on its own"), ("cron(0 6 ? * 2#6 *)", "day-of-week '2#6'"),
    ("cron(0 6 L-3 * ? *)", "day-of-month 'L-3'"), ("cron(0 6 * * ?)", "is not cron(...) with six fields"),
    # Digits that are not ASCII: int() refuses the first, and AWS both.
    ("cron(\u00b2 6 * * ? *)", "minutes '\u00b2'"), ("cron(0 6 ? * \u0662 *)", "day-of-week '\u0662'"),
    ("cron(0/\u0662 6 * * ? *)", "minutes '0/\u0662'"),
])
def test_cron_expressions_aws_refuses_say_which_field_is_wrong(expression, message):
    assert message in (cron.problem(expression) or "")


def test_backup_schedules_are_checked_field_by_field(write_spec):
    found = problems(write_spec, ("backup: {retention_days: 14}", "backup: {retention_days: 14, schedule: "
                                  "cron(0 6 * * * *), restore_testing_schedule: cron(x x x x x x)}"))
    assert [(path, message.split(": ", 1)[1][:40]) for _, path, message in found] == [
        ("environments.staging.backup.schedule", "day-of-month and day-of-week are '*' and"),
        ("environments.staging.backup.restore_testing_schedule", "minutes 'x' is not a value from 0 to 59,")]
