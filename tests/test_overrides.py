"""Hand-written files beside the output: Terraform's override files merged as Terraform merges
them, and every file held to the whole provider schema by `tapgen validate`."""

from __future__ import annotations

import re
import shutil
import textwrap

import pytest

from generator.checks import check_stack
from generator.overrides import is_override_file, merged_body
from generator.stack import Stack

from .helpers import OUT, ROOT, run_cli


@pytest.fixture
def out_copy(tmp_path):
    """A copy of the committed out/ to add hand-written files to."""
    directory = tmp_path / "out"
    shutil.copytree(OUT, directory)
    return directory


def validate_with(directory, name: str, text: str):
    """`tapgen validate` on ``directory`` with a hand-written file ``name`` added."""
    (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return run_cli("validate", directory)


def readme_waf_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```hcl\n(resource \"aws_wafv2_web_acl_association\".*?)```", readme, re.S)
    return example


def test_the_readme_waf_example_validates_beside_the_output(out_copy):
    done = validate_with(out_copy, "waf.tf", readme_waf_example() + """
        variable "web_acl_arn" {
          description = "ARN of the platform team's regional web ACL."
          type        = string
        }
    """)
    assert done.exit_code == 0, done.output


def test_an_override_of_a_generated_resource_validates_and_is_no_duplicate(out_copy):
    done = validate_with(out_copy, "user_data_override.tf",
                         'resource "aws_launch_template" "app" {\n  user_data = filebase64("user-data.sh")\n}\n')
    assert done.exit_code == 0, done.output


def test_a_misspelt_argument_in_an_override_file_is_reported_at_its_file_and_line(out_copy):
    done = validate_with(out_copy, "override.tf", """\
        # Our AMI pipeline's user data.
        resource "aws_launch_template" "app" {
          user_dat = filebase64("user-data.sh")
        }
    """)
    assert done.exit_code == 1
    assert ("override.tf:3: aws_launch_template.app: unknown argument user_dat (did you mean user_data?)"
            in done.output)


def test_an_override_with_nothing_to_override_is_reported(out_copy):
    done = validate_with(out_copy, "extra_override.tf", """\
        resource "aws_wafv2_web_acl_association" "alb" {
          resource_arn = aws_lb.this.arn
          web_acl_arn  = "arn:aws:wafv2:us-west-2:123456789012:regional/webacl/x/1"
        }

        locals {
          no_such_local = 1
        }
    """)
    assert done.exit_code == 1
    assert "extra_override.tf:1: aws_wafv2_web_acl_association.alb: overrides nothing" in done.output
    assert "extra_override.tf:6: local.no_such_local: overrides nothing" in done.output


def problems(files: dict[str, str]) -> list[str]:
    stack = Stack({name: textwrap.dedent(text) for name, text in files.items()})
    return [problem.format("dir") for problem in check_stack(stack)]


def test_required_arguments_count_once_the_override_is_merged():
    base = 'resource "aws_subnet" "app" {\n  cidr_block = "10.0.1.0/24"\n}\n'
    assert problems({"main.tf": base, "vpc_override.tf": 'resource "aws_subnet" "app" {\n  vpc_id = "vpc-1"\n}\n'}) == []
    assert problems({"main.tf": base, "override.tf": 'resource "aws_subnet" "app" {\n  tags = {}\n}\n'}) == [
        "main.tf:1: aws_subnet.app: missing required argument vpc_id",
    ]


def test_references_in_override_files_are_checked_there():
    assert problems({
        "main.tf": 'resource "aws_subnet" "app" {\n  vpc_id     = "vpc-1"\n  cidr_block = "10.0.1.0/24"\n}\n',
        "override.tf": 'resource "aws_subnet" "app" {\n  vpc_id = aws_vpc.this.id\n}\n',
    }) == ["override.tf:2: aws_subnet.app: refers to undeclared aws_vpc.this"]


def test_depends_on_is_not_allowed_in_an_override():
    assert problems({
        "main.tf": 'resource "aws_subnet" "app" {\n  vpc_id     = "vpc-1"\n  cidr_block = "10.0.1.0/24"\n}\n',
        "override.tf": 'resource "aws_subnet" "app" {\n  depends_on = []\n}\n',
    }) == ["override.tf:1: aws_subnet.app: depends_on may not be set in an override file"]


def test_overrides_apply_in_file_name_order_after_every_primary_file():
    stack = Stack({
        "a_override.tf": 'locals {\n  size = "a"\n}\n',
        "b_override.tf": 'locals {\n  size = "b"\n}\n',
        "z.tf": 'locals {\n  size = "z"\n  kept = 1\n}\n',
    })
    assert stack.problems == []
    assert stack.locals() == {"size": "b", "kept": 1}


def test_which_files_are_override_files():
    assert [is_override_file(n) for n in ("override.tf", "waf_override.tf", "bootstrap/override.tf",
                                          "overrides.tf", "my-override.tf", "override.tf.json")] == [
        True, True, True, False, False, False]


def block(**body):
    return {**body, "__is_block__": True}


def test_merge_rules():
    base = {
        "ami": "a", "instance_type": "t3.micro",
        "ebs_block_device": [block(device_name="/dev/sdb"), block(device_name="/dev/sdc")],
        "dynamic": [{"ingress": block(content=[block()])}, {"egress": block(content=[block()])}],
        "lifecycle": [block(ignore_changes=["tags"])],
    }
    override = {
        "ami": "b",
        "ebs_block_device": [block(device_name="/dev/sdd")],
        "ingress": [block(from_port=443)],
        "lifecycle": [block(create_before_destroy=True)],
    }
    assert merged_body("resource", base, override) == {
        "ami": "b", "instance_type": "t3.micro",
        # a nested block type replaces every block of its type, dynamic ones too
        "ebs_block_device": [block(device_name="/dev/sdd")],
        "ingress": [block(from_port=443)],
        "dynamic": [{"egress": block(content=[block()])}],
        # lifecycle is merged argument by argument
        "lifecycle": [block(ignore_changes=["tags"], create_before_destroy=True)],
    }


def test_terraform_block_merge_rules():
    base = {"required_version": ">= 1.10",
            "required_providers": [block(aws={"source": "hashicorp/aws"}, tls={"source": "hashicorp/tls"})],
            "cloud": [block(organization="x")]}
    override = {"required_providers": [block(aws={"source": "hashicorp/aws", "version": "~> 6.1"})],
                "backend": [{"local": block()}]}
    assert merged_body("terraform", base, override) == {
        "required_version": ">= 1.10",
        "required_providers": [block(aws={"source": "hashicorp/aws", "version": "~> 6.1"},
                                     tls={"source": "hashicorp/tls"})],
        "backend": [{"local": block()}],
    }
