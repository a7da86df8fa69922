"""The resource types that hold data: replacing or destroying one loses what it holds.

One list, read by the render-time impact report (``impact``) and by the plan guard
(``guard``), so that what ``tapgen render`` refuses and what ``make apply`` refuses agree.
"""

from __future__ import annotations

STATEFUL_TYPES = frozenset({
    "aws_db_instance",  # the database (snapshots are kept only where deletion protection is on)
    "aws_rds_cluster",
    "aws_kms_key",  # data encrypted under a deleted key cannot be read again
    "aws_s3_bucket",  # its objects
    "aws_cloudwatch_log_group",  # its log events (the audit trail)
    "aws_backup_vault",  # its recovery points
    "aws_secretsmanager_secret",  # its secret versions
    "aws_efs_file_system",
    "aws_dynamodb_table",
    "aws_ebs_volume",
})


def is_stateful(resource_type: str) -> bool:
    return resource_type in STATEFUL_TYPES
