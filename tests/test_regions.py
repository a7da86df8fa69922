"""The region table: what the spec's regions are checked against, and what the log bucket policy uses."""

from generator.regions import ELB_ACCOUNT_REGIONS, REGIONS, closest


def test_the_table_covers_the_three_partitions_and_every_region_has_at_least_three_zones():
    assert {region.partition for region in REGIONS.values()} == {"aws", "aws-us-gov", "aws-cn"}
    assert all(region.availability_zones >= 3 for region in REGIONS.values())
    assert (REGIONS["us-east-1"].availability_zones, REGIONS["us-west-2"].availability_zones) == (6, 4)


def test_elb_account_regions_are_the_ones_the_stack_always_used():
    # Those opened before August 2022, less Jakarta (see the note in regions.py).
    assert ELB_ACCOUNT_REGIONS == {
        "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
        "ap-southeast-1", "ap-southeast-2", "ca-central-1", "cn-north-1", "cn-northwest-1",
        "eu-central-1", "eu-north-1", "eu-south-1", "eu-west-1", "eu-west-2", "eu-west-3", "me-south-1",
        "sa-east-1", "us-east-1", "us-east-2", "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2"}
    assert ELB_ACCOUNT_REGIONS | {"ap-southeast-3"} == {
        name for name, region in REGIONS.items() if region.opened_before_august_2022}


def test_a_mistyped_region_gets_the_one_meant():
    assert closest("us-westt-2") == "us-west-2"
    assert closest("eu-centrl-1") == "eu-central-1"
    assert closest("mars-north-1") is None
