"""The recovery objectives out/README.md states per environment, from the same settings the
backup templates bind."""

import pytest

from generator.loader import load_spec
from generator.recovery import objectives, schedule_text

from .helpers import OUT, SPECS, STANDARD_SPEC


@pytest.mark.parametrize(("cron", "text"), [("cron(0 6 * * ? *)", "daily at 06:00 UTC"),
                                            ("cron(30 7 ? * * *)", "daily at 07:30 UTC"),
                                            ("cron(0 9 ? * SUN *)", "on cron(0 9 ? * SUN *) (UTC)"),
                                            ("cron(0 */6 * * ? *)", "on cron(0 */6 * * ? *) (UTC)")])
def test_daily_schedules_read_as_a_time_of_day_and_others_as_written(cron, text):
    assert schedule_text(cron) == text


def test_production_survives_losing_its_region_or_data_key_and_measures_its_rto():
    _, spec = load_spec(STANDARD_SPEC)
    prod = objectives(spec.environments["prod"], "healthcare-app-prod")
    assert prod["copies in a second region"] == (
        "every snapshot, kept 35 days in healthcare-app-prod-vault-dr in us-east-2, under a key of that region")
    assert prod["RPO, region or data key lost"] == "up to 24 hours, plus the time the copy takes"
    assert prod["RTO"].startswith("not published by AWS; measured by the restore tests")
    assert prod["Vault Lock"] == "governance"
    dev = objectives(spec.environments["dev"], "healthcare-app-dev")
    assert dev["RPO, region or data key lost"].startswith("no recovery")
    assert dev["RTO"] == "not published by AWS, and not measured here (no restore tests)"
    assert dev["point-in-time restore (RDS automated backups)"].startswith("any time in the last 1 day;")


def test_a_waived_second_region_is_said_plainly():
    _, spec = load_spec(SPECS / "shared_account.yaml")
    prod = objectives(spec.environments["prod"], "intake-prod")
    assert prod["copies in a second region"] == "none"
    assert prod["Vault Lock"] == "compliance"


def test_the_readme_states_them_per_environment_and_says_aws_publishes_no_rto():
    readme = (OUT / "README.md").read_text()
    assert "AWS publishes no restore-time (RTO) figure for RDS" in readme
    assert "| RPO, this region | about 5 minutes (point-in-time restore) |" in readme
    assert "list-restore-jobs\n--by-restore-testing-plan-arn" in readme
