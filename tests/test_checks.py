"""The output checks: syntax, documentation, the workspace map and references."""

import textwrap

import pytest

from generator.checks import check_stack
from generator.stack import Stack

from .helpers import OUT

GOOD = textwrap.dedent('''\
    variable "name" {
      description = "A name."
      type        = string
    }

    locals {
      environments = {
        dev  = { size = 1 }
        prod = { size = 2 }
      }
      settings = local.environments[terraform.workspace]
    }

    data "aws_partition" "current" {}

    resource "aws_vpc" "this" {
      cidr_block = "10.0.0.0/16"
      tags       = { Name = "${var.name}-${local.settings.size}-${data.aws_partition.current.partition}" }
    }

    output "vpc_id" {
      description = "The ID of the VPC."
      value       = aws_vpc.this.id
    }
''')


def problems(text: str, environments=("dev", "prod")) -> list[str]:
    return [p.format("dir") for p in check_stack(Stack({"main.tf": text}), environments)]


def test_a_consistent_stack_passes():
    assert problems(GOOD) == []
    assert check_stack(Stack({p.name: p.read_text() for p in OUT.glob("*.tf")}), ["dev", "staging", "prod"]) == []


def test_syntax_errors_stop_the_other_checks():
    assert problems(GOOD + "\nx = = 1\n") == ["main.tf:26: not valid HCL: unexpected '= 1' at column 5"]
    assert problems(GOOD + 'resource "a" "b" {\n') == ["main.tf:26: not valid HCL: unexpected end of file at column 1"]


def test_variables_and_outputs_must_be_documented():
    text = GOOD.replace('  description = "A name."\n', "").replace('  description = "The ID of the VPC."\n', "")
    assert problems(text) == ["main.tf:1: variable.name: has no description",
                              "main.tf:20: output.vpc_id: has no description"]


def test_the_workspace_map_must_match_the_spec():
    assert problems(GOOD, ("dev", "staging")) == [
        "main.tf: local.environments: has workspaces ['dev', 'prod'], the spec has ['dev', 'staging']"]


def test_every_used_setting_exists_in_every_environment():
    text = GOOD.replace("prod = { size = 2 }", "prod = { width = 2 }")
    assert problems(text) == ["main.tf:18: local.environments.prod: has no 'size' setting"]


def test_dangling_references_are_reported_with_their_block():
    text = GOOD.replace("var.name", "var.nam").replace("aws_vpc.this.id", "aws_vpc.that.id").replace(
        "data.aws_partition.current.partition", "data.aws_partition.here.partition")
    assert problems(text) == [
        "main.tf:18: aws_vpc.this: refers to undeclared var.nam",
        "main.tf:18: aws_vpc.this: refers to undeclared data.aws_partition.here",
        "main.tf:23: output.vpc_id: refers to undeclared aws_vpc.that",
    ]


def test_text_in_string_literals_is_not_a_reference():
    text = GOOD.replace('cidr_block = "10.0.0.0/16"', 'cidr_block = "var.nothing aws_x.y"')
    assert problems(text) == []


@pytest.mark.parametrize(("block", "message"), [
    ('resource "aws_vpc" {\n}\n', "resource blocks take 2 label(s), this has 1"),
    ('variable "a" "b" {\n  type = string\n}\n', "variable blocks take 1 label(s), this has 2"),
    ('locals "x" {\n  a = 1\n}\n', "locals blocks take 0 label(s), this has 1"),
])
def test_a_block_with_the_wrong_number_of_labels_is_reported(block, message):
    assert any(message in problem for problem in problems(GOOD + "\n" + block))


def test_each_dangling_reference_is_reported_at_its_own_line():
    text = GOOD.replace("cidr_block = \"10.0.0.0/16\"", "cidr_block = var.missing").replace(
        'tags       = { Name = "${var.name}', 'tags       = { Name = "${var.missing}').replace(
        "value       = aws_vpc.this.id", "value       = var.missing")
    assert problems(text) == [
        "main.tf:17: aws_vpc.this: refers to undeclared var.missing",
        "main.tf:18: aws_vpc.this: refers to undeclared var.missing",
        "main.tf:23: output.vpc_id: refers to undeclared var.missing",
    ]


def test_duplicate_top_level_blocks_and_locals_are_reported_at_each_duplicate():
    text = GOOD + textwrap.dedent('''
        terraform {
          required_version = ">= 1.10"
        }

        terraform {
          required_version = ">= 1.10"
        }

        output "vpc_id" {
          description = "Again."
          value       = aws_vpc.this.id
        }

        resource "aws_vpc" "this" {
          cidr_block = "10.1.0.0/16"
        }

        locals {
          settings = 1
        }
    ''')
    found = problems(text)
    assert "main.tf:30: terraform: is declared again; the first is at main.tf:26 (remove or rename one)" in found
    assert "main.tf:34: output.vpc_id: is declared again; the first is at main.tf:21 (remove or rename one)" in found
    assert "main.tf:39: aws_vpc.this: is declared again; the first is at main.tf:16 (remove or rename one)" in found
    assert "main.tf:44: local.settings: is defined again; the first is at main.tf:11 (remove or rename one)" in found
    assert len(found) == 4


def test_providers_with_different_aliases_are_not_duplicates():
    text = GOOD + '\nprovider "aws" {\n  region = "us-east-1"\n}\n\nprovider "aws" {\n  alias  = "use2"\n  region = "us-east-2"\n}\n'
    assert problems(text) == []
