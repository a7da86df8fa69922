"""The AWS regions tapgen knows: partition, availability zones, and how ALB access logs reach S3.

Sources, read 2026-05:
- Region names per partition: boto/botocore ``botocore/data/partitions.json`` at c870f2c
  (the same list the AWS SDKs resolve endpoints from).
- Availability zones: AWS, "AWS Availability Zones" (docs.aws.amazon.com/global-infrastructure/
  latest/regions/aws-availability-zones.html): "Each Region has at least three Availability
  Zones". The regions with more are from AWS's global infrastructure figures: us-east-1 6,
  us-west-2 4 (confirmed in a copy of that page, with us-east-2, us-west-1, both GovCloud regions
  and ca-central-1 at 3); ap-northeast-1 4 and ap-northeast-2 4 could not be re-verified here.
  Older accounts may see fewer zones than a region has (us-west-1 and ap-northeast-1 show new
  accounts one fewer); the generated stack checks at plan time that enough zones are available.
- Which regions deliver ALB access logs as a regional ELB account (the others only accept the
  logdelivery.elasticloadbalancing.amazonaws.com service principal): AWS, "Enable access logs
  for your Application Load Balancer", the regions available before August 2022. AWS's account
  list there also names ap-southeast-3 (Jakarta, opened December 2021), while the AWS provider's
  documentation says the service principal applies from Jakarta on; tapgen keeps Jakarta on the
  service principal, as it always has.
- Not listed: the aws-iso* partitions (botocore names us-iso-east-1, us-iso-west-1,
  us-isob-east-1, eu-isoe-west-1, us-isof-east-1, us-isof-south-1, but AWS publishes no zone
  figures for them) and aws-eusc (eusc-de-east-1, the European Sovereign Cloud). Use them, or a
  region newer than this table, with ``allow_unknown_region: true``.
"""

from __future__ import annotations

import difflib
from typing import NamedTuple


class Region(NamedTuple):
    partition: str
    availability_zones: int
    opened_before_august_2022: bool
    # ALB access logs are delivered by a regional ELB account (else by the log delivery service).
    elb_log_account: bool


def _regions(partition: str, table: str) -> dict[str, Region]:
    """``name zones opened-before-2022-08 elb-account`` rows, one a line."""
    rows = (line.split() for line in table.strip().splitlines())
    return {name: Region(partition, int(zones), old == "yes", elb == "yes") for name, zones, old, elb in rows}


REGIONS: dict[str, Region] = {
    **_regions("aws", """
        us-east-1      6 yes yes
        us-east-2      3 yes yes
        us-west-1      3 yes yes
        us-west-2      4 yes yes
        af-south-1     3 yes yes
        ap-east-1      3 yes yes
        ap-east-2      3 no  no
        ap-northeast-1 4 yes yes
        ap-northeast-2 4 yes yes
        ap-northeast-3 3 yes yes
        ap-south-1     3 yes yes
        ap-south-2     3 no  no
        ap-southeast-1 3 yes yes
        ap-southeast-2 3 yes yes
        ap-southeast-3 3 yes no
        ap-southeast-4 3 no  no
        ap-southeast-5 3 no  no
        ap-southeast-6 3 no  no
        ap-southeast-7 3 no  no
        ca-central-1   3 yes yes
        ca-west-1      3 no  no
        eu-central-1   3 yes yes
        eu-central-2   3 no  no
        eu-north-1     3 yes yes
        eu-south-1     3 yes yes
        eu-south-2     3 no  no
        eu-west-1      3 yes yes
        eu-west-2      3 yes yes
        eu-west-3      3 yes yes
        il-central-1   3 no  no
        me-central-1   3 no  no
        me-south-1     3 yes yes
        mx-central-1   3 no  no
        sa-east-1      3 yes yes
    """),
    **_regions("aws-us-gov", """
        us-gov-east-1  3 yes yes
        us-gov-west-1  3 yes yes
    """),
    **_regions("aws-cn", """
        cn-north-1     3 yes yes
        cn-northwest-1 3 yes yes
    """),
}

ELB_ACCOUNT_REGIONS = frozenset(name for name, region in REGIONS.items() if region.elb_log_account)


def closest(name: str) -> str | None:
    """The known region a mistyped ``name`` most likely meant."""
    close = difflib.get_close_matches(name, REGIONS, n=1, cutoff=0.8)
    return close[0] if close else None
