"""What each environment can recover, and how fast: the recovery point and recovery time
objectives its settings give, stated plainly for out/README.md.

Sources: RDS point-in-time restore is "typically within the last five minutes" and RDS uploads
transaction logs every five minutes (Amazon RDS User Guide, USER_PIT); AWS Backup re-encrypts a
cross-region copy with the destination vault's key (AWS Backup Developer Guide,
cross-region-backup). AWS publishes no restore-time figure for RDS; the restore tests measure it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .policy import derived_settings
from .spec import Environment

# cron(minute hour * * ? *) or cron(minute hour ? * * *): every day at one time.
_DAILY = re.compile(r"cron\((\d{1,2}) (\d{1,2}) (?:\* \* \?|\? \* \*) \*\)")


def schedule_text(cron: str) -> str:
    """``cron(0 6 * * ? *)`` as "daily at 06:00 UTC"; any other schedule as written, in UTC."""
    match = _DAILY.fullmatch(cron)
    if match:
        return f"daily at {int(match.group(2)):02d}:{int(match.group(1)):02d} UTC"
    return f"on {cron} (UTC)"


def objectives(env: Environment, name_prefix: str) -> dict[str, str]:
    """Row label -> what ``env`` has, for the README's recovery table."""
    db, backup = env.database, env.backup
    interval = "24 hours" if _DAILY.fullmatch(backup.schedule) else "the interval between two snapshots"
    return {
        "point-in-time restore (RDS automated backups)": (
            f"any time in the last {db.backup_retention_days} day{'s' if db.backup_retention_days > 1 else ''}; "
            "the latest restorable time is typically within the last 5 minutes"),
        "snapshots (AWS Backup)": (
            f"{schedule_text(backup.schedule)}, each kept {backup.retention_days} days in {name_prefix}-vault"),
        "copies in a second region": (
            f"every snapshot, kept {backup.dr_retention_days} days in {name_prefix}-vault-dr in "
            f"{backup.dr_region}, under a key of that region" if backup.dr_region else "none"),
        "Vault Lock": backup.vault_lock if derived_settings(env)["backup_vault_lock"] else "none",
        "RPO, this region": "about 5 minutes (point-in-time restore)",
        "RPO, region or data key lost": (
            f"up to {interval}, plus the time the copy takes" if backup.dr_region
            else "no recovery: every backup is in this region and encrypted with the data key"),
        "RTO": ("not published by AWS; measured by the restore tests, "
                f"{schedule_text(backup.restore_testing_schedule)}" if backup.restore_testing
                else "not published by AWS, and not measured here (no restore tests)"),
    }


def objectives_table(environments: Mapping[str, Environment], project: str) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the recovery table: one row per objective, one column per environment."""
    columns = {name: objectives(env, f"{project}-{name}") for name, env in environments.items()}
    labels = next(iter(columns.values()))
    return ["", *columns], [[label, *(column[label] for column in columns.values())] for label in labels]
