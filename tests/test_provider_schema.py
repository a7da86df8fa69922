"""Provider-schema conformance of the output, and the committed copy of the schema it uses."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import textwrap

import pytest

from generator.provider_schema import SCHEMA_FILE, check_provider_schema, provider_schema
from generator.stack import Stack

from .helpers import ROOT

SCHEMA_PATH = ROOT / "generator" / SCHEMA_FILE
TOOL_PATH = ROOT / "tools" / "update_provider_schema.py"

# A stack that Terraform 1.15 validates against hashicorp/aws 6.69.1: nested, dynamic and
# attributes-as-blocks syntax, meta-arguments, and a type outside the aws provider.
VALID = """\
data "aws_partition" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_subnet" "app" {
  count      = 2
  vpc_id     = "vpc-123"
  cidr_block = cidrsubnet("10.0.0.0/16", 8, count.index)
}

resource "aws_security_group" "app" {
  vpc_id = "vpc-123"

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_launch_template" "app" {
  name_prefix = "app-"

  metadata_options {
    http_tokens = "required"
  }

  dynamic "block_device_mappings" {
    for_each = ["/dev/xvda"]
    content {
      device_name = block_device_mappings.value
      ebs {
        encrypted = true
      }
    }
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1"
  port              = 80

  default_action {
    type = "redirect"
    redirect {
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }

  depends_on = [aws_security_group.app]
}

resource "terraform_data" "marker" {
  input = data.aws_partition.current.region
}
"""


def problems(text: str) -> list[str]:
    stack = Stack({"main.tf": textwrap.dedent(text)})
    assert stack.problems == []
    return [problem.format("out") for problem in check_provider_schema(stack)]


def load_tool():
    spec = importlib.util.spec_from_file_location("update_provider_schema", TOOL_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_valid_stack_has_no_problems():
    assert problems(VALID) == []


def test_unknown_types_are_reported_with_a_suggestion():
    assert problems("""\
        resource "aws_s3_buckett" "logs" {}
        data "aws_regionn" "current" {}
    """) == [
        "main.tf:1: aws_s3_buckett.logs: unknown resource type aws_s3_buckett (did you mean aws_s3_bucket?)",
        "main.tf:2: data.aws_regionn.current: unknown data source type aws_regionn "
        "(did you mean aws_region?)",
    ]


def test_types_the_templates_never_use_are_checked_too():
    assert not re.search(r'"aws_instance"', "".join(p.read_text() for p in (ROOT / "templates").rglob("*.j2")))
    assert problems("""\
        resource "aws_instance" "web" {
          ami           = "ami-0123456789abcdef0"
          instance_typ  = "t3.micro"
        }

        resource "aws_wafv2_web_acl_association" "alb" {
          resource_arn = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/x/1"
        }
    """) == [
        "main.tf:3: aws_instance.web: unknown argument instance_typ (did you mean instance_type?)",
        "main.tf:6: aws_wafv2_web_acl_association.alb: missing required argument web_acl_arn",
    ]


def test_blocks_the_copy_cannot_describe_are_accepted_as_written():
    # cdktn leaves WAF rule statements untyped (and nests them recursively); anything goes inside.
    assert problems("""\
        resource "aws_wafv2_web_acl" "edge" {
          name  = "edge"
          scope = "REGIONAL"
          default_action {
            allow {}
          }
          rule {
            name     = "known-bad-inputs"
            priority = 1
            override_action {
              none {}
            }
            statement {
              managed_rule_group_statement {
                name        = "AWSManagedRulesKnownBadInputsRuleSet"
                vendor_name = "AWS"
              }
            }
            visibility_config {
              cloudwatch_metrics_enabled = true
              metric_name                = "known-bad-inputs"
              sampled_requests_enabled   = true
            }
          }
          visibility_config {
            cloudwatch_metrics_enabled = true
            metric_name                = "edge"
            sampled_requests_enabled   = true
          }
        }
    """) == []


def test_unknown_arguments_are_reported_with_a_suggestion_at_any_depth():
    assert problems("""\
        resource "aws_vpc" "this" {
          cidr_block          = "10.0.0.0/16"
          enable_dns_hostname = true
        }

        resource "aws_launch_template" "app" {
          metadata_options {
            http_token = "required"
          }
          dynamic "block_device_mappings" {
            for_each = ["/dev/xvda"]
            content {
              device_nam = block_device_mappings.value
            }
          }
        }
    """) == [
        "main.tf:3: aws_vpc.this: unknown argument enable_dns_hostname (did you mean enable_dns_hostnames?)",
        "main.tf:8: aws_launch_template.app.metadata_options: unknown argument http_token "
        "(did you mean http_tokens?)",
        "main.tf:13: aws_launch_template.app.block_device_mappings: unknown argument device_nam "
        "(did you mean device_name?)",
    ]


def test_computed_only_attributes_cannot_be_set():
    assert problems("""\
        resource "aws_s3_bucket" "logs" {
          arn = "arn:aws:s3:::logs"
        }
    """) == ["main.tf:2: aws_s3_bucket.logs: unknown argument arn"]


def test_blocks_and_arguments_must_be_written_as_such():
    assert problems("""\
        resource "aws_launch_template" "app" {
          metadata_options = {
            http_tokens = "required"
          }
          tags {
            Name = "app"
          }
        }
    """) == [
        "main.tf:2: aws_launch_template.app: metadata_options is a block: write metadata_options { ... }, "
        "not metadata_options = ...",
        "main.tf:5: aws_launch_template.app: tags is an argument: write tags = ..., not a block",
    ]


def test_a_list_of_objects_argument_may_be_written_as_blocks_whose_fields_are_checked():
    assert problems("""\
        resource "aws_security_group" "app" {
          egress = []
          ingress {
            from_prt = 443
          }
        }
    """) == ["main.tf:4: aws_security_group.app.ingress: unknown argument from_prt (did you mean from_port?)"]


def test_missing_required_arguments_and_blocks_are_reported():
    assert problems("""\
        resource "aws_subnet" "app" {
          cidr_block = "10.0.1.0/24"
        }

        resource "aws_lb_listener" "http" {
          load_balancer_arn = "arn"
        }

        data "aws_iam_policy_document" "assume" {
          statement {
            principals {
              identifiers = ["ec2.amazonaws.com"]
            }
          }
        }
    """) == [
        "main.tf:1: aws_subnet.app: missing required argument vpc_id",
        "main.tf:5: aws_lb_listener.http: missing required block default_action",
        "main.tf:11: data.aws_iam_policy_document.assume.statement.principals: missing required argument type",
    ]


def test_too_many_blocks_are_reported():
    assert problems("""\
        resource "aws_launch_template" "app" {
          metadata_options {
            http_tokens = "required"
          }
          metadata_options {
            http_tokens = "optional"
          }
        }
    """) == ["main.tf:2: aws_launch_template.app: has 2 metadata_options blocks, allows at most 1"]


def test_dynamic_blocks_may_supply_required_blocks_in_any_number():
    assert problems("""\
        resource "aws_lb_listener" "http" {
          load_balancer_arn = "arn"
          dynamic "default_action" {
            for_each = ["forward"]
            content {
              type = default_action.value
            }
          }
        }

        resource "aws_launch_template" "app" {
          metadata_options {
            http_tokens = "required"
          }
          dynamic "metadata_options" {
            for_each = []
            content {}
          }
        }
    """) == []


def test_a_dynamic_block_of_an_unknown_or_argument_name_is_reported():
    assert problems("""\
        resource "aws_launch_template" "app" {
          dynamic "metadata_option" {
            for_each = [1]
            content {}
          }
          dynamic "tags" {
            for_each = [1]
            content {}
          }
        }
    """) == [
        "main.tf:2: aws_launch_template.app: unknown block metadata_option (did you mean metadata_options?)",
        "main.tf:6: aws_launch_template.app: tags is an argument: write tags = ..., not a block",
    ]


def test_meta_arguments_are_not_provider_arguments():
    assert problems("""\
        resource "aws_vpc" "this" {
          for_each   = toset(["a"])
          provider   = aws.west
          depends_on = []
          lifecycle {
            prevent_destroy = true
          }
          provisioner "local-exec" {
            command = "true"
          }
          connection {
            host = "x"
          }
        }

        data "aws_partition" "current" {
          count    = 1
          provider = aws.west
        }
    """) == []
    # ...except where Terraform does not allow them either
    assert problems("""\
        data "aws_partition" "current" {
          provisioner "local-exec" {
            command = "true"
          }
        }
    """) == ["main.tf:2: data.aws_partition.current: unknown block provisioner"]


def test_types_outside_the_aws_provider_are_not_checked():
    assert problems('resource "terraform_data" "x" {\n  anything = 1\n}\n') == []


def test_problems_carry_the_file_of_their_block():
    stack = Stack({"a.tf": 'resource "aws_vpc" "a" {}\n', "b.tf": '\nresource "aws_subnet" "b" {}\n'})
    found = check_provider_schema(stack)
    assert [(p.file, p.line, p.path) for p in found] == [("b.tf", 2, "aws_subnet.b")]


# The committed schema copy


def test_the_copy_has_every_type_of_the_provider():
    schema = provider_schema()
    assert len(schema["resources"]) > 1500 and len(schema["data_sources"]) > 600
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "templates").rglob("*.j2")))
    used = set(re.findall(r'^\s*(resource|data)\s+"(aws_\w+)"', text, re.M))
    assert used, "the templates name no aws types: has the template syntax changed?"
    section = {"resource": "resources", "data": "data_sources"}
    assert {(kind, name) for kind, name in used if name not in schema[section[kind]]} == set()


def test_the_copy_records_its_provenance():
    schema = provider_schema()
    assert schema["provider"] == "registry.terraform.io/hashicorp/aws"
    assert re.fullmatch(r"6\.\d+\.\d+", schema["provider_version"])
    assert schema["source"] == "cdktn-provider-aws 25.8.1 (PyPI, MPL-2.0)"
    assert schema["generated_by"] == "tools/update_provider_schema.py"


def test_the_copy_is_written_the_way_the_tool_writes_it():
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    header, *lines = text.splitlines()
    schemas = {}
    for line in lines:
        kind, name, block = line.split("\t")
        schemas[kind, name] = json.loads(block)
    assert text == load_tool().serialize(json.loads(header), schemas)


@pytest.mark.slow
@pytest.mark.network
def test_the_copy_is_what_the_tool_makes_from_the_wheel(tmp_path):
    # The tool downloads the wheel with pip (70 MB, cached by pip) unless one is given.
    output = tmp_path / SCHEMA_FILE
    wheel = os.environ.get("CDKTN_PROVIDER_AWS_WHEEL")
    assert load_tool().main([*(["--wheel", wheel] if wheel else []), "--output", str(output)]) == 0
    assert output.read_bytes() == SCHEMA_PATH.read_bytes()
