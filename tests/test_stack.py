"""The generated stack meets the platform's requirements, read back with python-hcl2 per environment.

Workspace-keyed output (out/) is checked through its locals map; each environment's resolved
copy (render --resolve) is checked for the literal values a scanner would see.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache

import pytest

from generator import context
from generator.loader import load_spec
from generator.pipeline import render_spec
from generator.stack import Stack

from .helpers import GOLDEN, MINIMAL_SPEC, SPECS, STANDARD_SPEC

ENVIRONMENTS = ("dev", "staging", "prod")


@cache
def workspace_stack() -> Stack:
    return Stack({p.name: p.read_text() for p in (GOLDEN / "standard").glob("*.tf")})


@cache
def resolved_stack(environment: str) -> Stack:
    source, spec = load_spec(STANDARD_SPEC)
    files = render_spec(spec, source, environment)
    return Stack({name: text for name, text in files.items() if name.endswith(".tf")})


# The fixtures issue-level requirements are checked on: the default spec's copy, a two-environment
# spec with waivers, and a region opened after 2022 (Graviton).
CASES = ("standard", "waivers", "new_region")


@cache
def case_spec(case: str):
    return load_spec(SPECS / f"{case}.yaml")


@cache
def case_resolved(case: str, environment: str) -> Stack:
    source, spec = case_spec(case)
    files = render_spec(spec, source, environment)
    return Stack({name: text for name, text in files.items() if name.endswith(".tf")})


@cache
def case_workspace_stack(case: str) -> Stack:
    return Stack({p.name: p.read_text() for p in (GOLDEN / case).glob("*.tf")})


# Every environment of every case: per-environment requirements are checked on each resolved copy.
EVERY_ENVIRONMENT = [(case, name) for case in CASES for name in case_spec(case)[1].environments]


def data(stack: Stack, kind: str, name: str) -> dict:
    [block] = [b.body for b in stack.blocks("data") if b.labels == (kind, name)]
    return block


def resource(stack: Stack, kind: str, name: str) -> dict:
    [block] = [b.body for b in stack.blocks("resource") if b.labels == (kind, name)]
    return block


def resources(stack: Stack, kind: str) -> dict[str, dict]:
    return {b.labels[1]: b.body for b in stack.blocks("resource") if b.labels[0] == kind}


def settings(environment: str) -> dict:
    return workspace_stack().locals()["environments"][environment]


def setting(stack_value: str, environment: str):
    """The value a workspace lookup like ``${local.settings.x}`` takes in ``environment``."""
    match = re.fullmatch(r"\$\{local\.settings\.(\w+)\}", stack_value)
    assert match, f"{stack_value!r} is not a per-environment lookup"
    return settings(environment)[match.group(1)]


def one(body: dict, block: str) -> dict:
    [inner] = body[block]
    return inner


def test_locals_map_holds_every_environment_with_the_same_keys():
    environments = workspace_stack().locals()["environments"]
    assert list(environments) == list(ENVIRONMENTS)
    assert len({frozenset(values) for values in environments.values()}) == 1


# -- provider.tf --------------------------------------------------------------------------------


def test_provider_pins_terraform_and_the_aws_major_version():
    [terraform] = workspace_stack().documents["provider.tf"]["terraform"]
    assert terraform["required_version"].startswith(">= 1.")
    aws = terraform["required_providers"][0]["aws"]
    assert aws == {"source": "hashicorp/aws", "version": "~> 6.0"}
    assert "backend" not in terraform  # the default spec has no backend section


def test_provider_uses_the_region_variable_and_tags_everything():
    provider = workspace_stack().documents["provider.tf"]["provider"][0]["aws"]
    assert provider["region"] == "${var.aws_region}"
    assert one(provider, "default_tags")["tags"] == "${local.tags}"
    assert set(workspace_stack().locals()["tags"]) == {"Project", "Environment", "Owner", "ManagedBy", "Compliance"}


def provider_of(stack: Stack, alias: str | None = None) -> dict:
    [provider] = [block["aws"] for block in stack.documents["provider.tf"]["provider"]
                  if block["aws"].get("alias") == alias]
    return provider


def resolved(spec_path, environment: str) -> Stack:
    source, spec = load_spec(spec_path)
    files = render_spec(spec, source, environment)
    return Stack({name: text for name, text in files.items() if name.endswith(".tf")})


@pytest.mark.parametrize("alias", [None, "dr"])
def test_each_workspace_is_bound_to_its_account(alias):
    # The second region's provider too: same account and deploy role, another region.
    provider = provider_of(workspace_stack(), alias)
    assert provider["allowed_account_ids"] == (
        "${local.settings.account_id == null ? [] : [local.settings.account_id]}")
    assert {env: settings(env)["account_id"] for env in ENVIRONMENTS} == {
        "dev": "111111111111", "staging": "111111111111", "prod": "222222222222"}
    # The default spec names no deploy role: the dynamic block makes no assume_role anywhere.
    [dynamic] = provider["dynamic"]
    assert dynamic["assume_role"]["for_each"] == (
        "${local.settings.assume_role_arn == null ? [] : [local.settings.assume_role_arn]}")
    assert {settings(env)["assume_role_arn"] for env in ENVIRONMENTS} == {None}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_a_resolved_copy_names_its_one_account_and_no_role(environment):
    provider = provider_of(resolved_stack(environment))
    assert provider["allowed_account_ids"] == [settings(environment)["account_id"]]
    assert provider["dynamic"][0]["assume_role"]["for_each"] == []


@pytest.mark.parametrize(("environment", "account"), [("staging", "121212121212"), ("prod", "343434343434")])
def test_a_deploy_role_is_assumed_in_its_own_account(environment, account):
    golden = Stack({p.name: p.read_text() for p in (GOLDEN / "new_region").glob("*.tf")})
    assert golden.locals()["environments"][environment]["assume_role_arn"] == (
        f"arn:aws:iam::{account}:role/clinic-deploy")
    provider = provider_of(resolved(SPECS / "new_region.yaml", environment))
    assert provider["allowed_account_ids"] == [account]
    [dynamic] = provider["dynamic"]
    assert dynamic["assume_role"]["for_each"] == [f"arn:aws:iam::{account}:role/clinic-deploy"]
    assert one(dynamic["assume_role"], "content") == {
        "role_arn": "${assume_role.value}", "session_name": "tapgen-${local.environment}", "__is_block__": True}


def test_an_environment_without_an_account_is_not_restricted():
    source, spec = load_spec(SPECS / "minimal.yaml")
    assert spec.environments["dev"].account_id is None
    stack = Stack({"tap_stack.tf": render_spec(spec, source)["tap_stack.tf"]})
    assert stack.locals()["environments"]["dev"]["account_id"] is None


def test_a_backend_section_becomes_an_s3_backend(tmp_path):
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(MINIMAL_SPEC.replace("environments:", "backend:\n  bucket: acme-tfstate\nenvironments:"))
    source, spec = load_spec(spec_path)
    files = render_spec(spec, source)
    [terraform] = Stack({"provider.tf": files["provider.tf"]}).documents["provider.tf"]["terraform"]
    [backend] = terraform["backend"]
    assert backend["s3"] == {"bucket": "acme-tfstate", "key": "terraform.tfstate", "region": "us-west-2",
                             "workspace_key_prefix": "demo", "encrypt": True, "use_lockfile": True,
                             # the key the bootstrap module makes, named before it exists
                             "kms_key_id": "alias/acme-tfstate-state", "__is_block__": True}


def test_a_backend_keeps_its_own_region_and_state_key():
    source, spec = load_spec(SPECS / "backend.yaml")
    files = render_spec(spec, source)
    [terraform] = Stack({"provider.tf": files["provider.tf"]}).documents["provider.tf"]["terraform"]
    [backend] = terraform["backend"]
    assert backend["s3"]["region"] == "eu-central-1" != spec.region
    assert backend["s3"]["kms_key_id"] == spec.backend.kms_key_id
    assert (backend["s3"]["key"], backend["s3"]["workspace_key_prefix"]) == ("platform/terraform.tfstate", "claims")


# -- workspace guard ----------------------------------------------------------------------------


def test_an_unknown_workspace_fails_with_the_valid_list():
    guard = resource(workspace_stack(), "terraform_data", "workspace_guard")
    precondition = one(one(guard, "lifecycle"), "precondition")
    assert precondition["condition"] == "${contains(keys(local.environments), terraform.workspace)}"
    assert "Valid workspaces: ${join(\", \", keys(local.environments))}" in precondition["error_message"]
    # Every lookup falls back instead of failing, so the guard's message is the only error.
    assert workspace_stack().locals()["settings"].startswith("${lookup(local.environments, local.environment,")


def test_resolved_copies_have_no_workspace_lookups():
    for environment in ENVIRONMENTS:
        texts = resolved_stack(environment).texts.values()
        assert not any("local.settings." in text or "terraform.workspace" in text for text in texts)


# -- network ------------------------------------------------------------------------------------


def subnet_cidrs(environment: str) -> dict[str, list[ipaddress.IPv4Network]]:
    """Evaluate the subnets' cidrsubnet() calls for one environment, as Terraform would."""
    values = settings(environment)
    locals_ = workspace_stack().locals()
    newbits, offsets = locals_["subnet_newbits"], locals_["subnet_tier_offset"]
    vpc = ipaddress.IPv4Network(values["vpc_cidr"])
    subnets = vpc.subnets(prefixlen_diff=newbits)
    slots = list(subnets)
    return {tier: [slots[offsets[tier] + i] for i in range(values["az_count"])] for tier in offsets}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_three_tiers_of_subnets_fit_inside_the_vpc_without_overlap(environment):
    stack = workspace_stack()
    for tier in ("public", "app", "database"):
        subnet = resource(stack, "aws_subnet", tier)
        assert subnet["for_each"] == "${local.az_index}"
        assert subnet["cidr_block"] == (
            f"${{cidrsubnet(local.settings.vpc_cidr, local.subnet_newbits, local.subnet_tier_offset.{tier} + each.value)}}")
        assert subnet["map_public_ip_on_launch"] is False
    cidrs = [net for nets in subnet_cidrs(environment).values() for net in nets]
    vpc = ipaddress.IPv4Network(settings(environment)["vpc_cidr"])
    assert all(net.subnet_of(vpc) and net.prefixlen <= 28 for net in cidrs)
    assert len(cidrs) == 3 * settings(environment)["az_count"]
    assert all(not a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1:])


def test_vpcs_do_not_overlap_across_environments_and_have_dns():
    vpc = resource(workspace_stack(), "aws_vpc", "this")
    assert vpc["enable_dns_support"] is True and vpc["enable_dns_hostnames"] is True
    networks = [ipaddress.IPv4Network(setting(vpc["cidr_block"], e)) for e in ENVIRONMENTS]
    assert all(not a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1:])


def test_nat_gateways_one_outside_production_none_in_prod():
    assert settings("dev")["nat_gateway_count"] == settings("staging")["nat_gateway_count"] == 1
    # Production has no internet egress, so nothing needs a NAT gateway.
    assert settings("prod")["nat_gateway_count"] == 0 and settings("prod")["internet_egress"] is False
    assert resource(workspace_stack(), "aws_nat_gateway", "this")["for_each"] == "${toset(local.nat_azs)}"
    assert workspace_stack().locals()["nat_azs"] == "${slice(local.azs, 0, local.settings.nat_gateway_count)}"


def test_route_tables_per_tier_and_no_internet_route_for_the_database():
    stack = workspace_stack()
    routes = resources(stack, "aws_route")
    assert routes["public_internet_gateway"]["gateway_id"] == "${aws_internet_gateway.this.id}"
    assert routes["app_nat_gateway"]["route_table_id"].startswith("${aws_route_table.app[")
    assert not any("aws_route_table.database" in str(route) for route in routes.values())
    assert "route" not in resource(stack, "aws_route_table", "database")
    associations = resources(stack, "aws_route_table_association")
    assert associations["database"]["route_table_id"] == "${aws_route_table.database.id}"


def test_the_default_security_group_has_no_rules():
    default = resource(workspace_stack(), "aws_default_security_group", "this")
    assert "ingress" not in default and "egress" not in default


# -- flow logs ----------------------------------------------------------------------------------


def test_flow_logs_exist_where_the_environment_enables_them():
    counts = {e: resource(resolved_stack(e), "aws_flow_log", "this")["count"] for e in ENVIRONMENTS}
    assert counts == {"dev": 0, "staging": 1, "prod": 1}
    flow_log = resource(workspace_stack(), "aws_flow_log", "this")
    assert flow_log["log_destination_type"] == "cloud-watch-logs"
    assert flow_log["iam_role_arn"] == "${aws_iam_role.flow_logs[0].arn}"


@pytest.mark.parametrize(("case", "environment"), EVERY_ENVIRONMENT)
def test_the_flow_log_role_has_what_the_service_needs_on_its_log_group_only(case, environment):
    stack = case_resolved(case, environment)
    statement = one(data(stack, "aws_iam_policy_document", "flow_logs"), "statement")
    assert set(statement["actions"]) == {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups",
                                         "logs:DescribeLogStreams"}
    assert all("aws_cloudwatch_log_group.this[\"vpc_flow_logs\"]" in r for r in statement["resources"])
    # Created once the role may write, not merely once the role exists.
    assert resource(stack, "aws_flow_log", "this")["depends_on"] == ["${aws_iam_role_policy.flow_logs}"]


# -- KMS ----------------------------------------------------------------------------------------


def test_customer_keys_rotate_have_aliases_policies_and_an_environment_deletion_window():
    stack = workspace_stack()
    keys = resources(stack, "aws_kms_key")
    # The backup keys hold no service statement: only the account-root one they share.
    policies = {"data": "kms_data", "logs": "kms_logs", "database_logs": "kms_database_logs", "audit": "kms_audit",
                "backup": "kms_account", "backup_dr": "kms_account"}
    assert set(keys) == set(policies)
    for name, key in keys.items():
        assert key["enable_key_rotation"] is True
        assert key["policy"] == f"${{data.aws_iam_policy_document.{policies[name]}.json}}"
        assert [setting(key["deletion_window_in_days"], e) for e in ENVIRONMENTS] == [7, 14, 30]
    aliases = resources(stack, "aws_kms_alias")
    targets = {a["target_key_id"].replace("[0]", "") for a in aliases.values()}
    assert targets == {f"${{aws_kms_key.{name}.key_id}}" for name in keys}


def test_only_cloudwatch_logs_and_alarms_may_use_the_logs_key():
    [policy] = [b.body for b in workspace_stack().blocks("data") if b.labels == ("aws_iam_policy_document", "kms_logs")]
    principals = [one(s, "principals")["identifiers"] for s in policy["statement"]]
    assert principals == [["logs.${var.aws_region}.amazonaws.com"]] * 2 + [["cloudwatch.amazonaws.com"]]
    assert policy["source_policy_documents"] == ["${data.aws_iam_policy_document.kms_account.json}"]
    # Its own groups only; the database's groups only to read what was written before they had a key of their own.
    own, earlier, _ = policy["statement"]
    assert one(own, "condition")["values"] == [
        "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:/${local.name_prefix}/*"]
    assert earlier["actions"] == ["kms:Decrypt"]
    assert "database_log_group_prefix" in one(earlier, "condition")["values"][0]


@pytest.mark.parametrize(("case", "environment"), EVERY_ENVIRONMENT)
def test_the_autoscaling_role_may_use_the_data_key_as_soon_as_the_key_exists(case, environment):
    """AWS's documented key policy for the Auto Scaling service-linked role, not a KMS grant made
    just before the group (a new grant may not be usable for minutes without a grant token)."""
    stack = case_resolved(case, environment)
    assert not resources(stack, "aws_kms_grant")
    role = "${aws_iam_service_linked_role.autoscaling.arn}"
    policy = data(stack, "aws_iam_policy_document", "kms_data")
    assert policy["source_policy_documents"] == ["${data.aws_iam_policy_document.kms_administration.json}"]
    statements = {s["sid"]: s for s in policy["statement"]}
    use = statements["AllowAutoScalingServiceLinkedRoleUseOfTheKey"]
    assert set(use["actions"]) == {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                                   "kms:DescribeKey"}
    attach = statements["AllowAutoScalingServiceLinkedRoleAttachmentOfPersistentResources"]
    assert attach["actions"] == ["kms:CreateGrant"]
    condition = one(attach, "condition")
    assert (condition["test"], condition["variable"], condition["values"]) == (
        "Bool", "kms:GrantIsForAWSResource", ["true"])
    # The role's ARN, not a string: Terraform creates the role before the key that names it.
    assert all((one(s, "principals")["type"], one(s, "principals")["identifiers"]) == ("AWS", [role])
               for s in (use, attach))
    assert resource(stack, "aws_kms_key", "data")["policy"] == "${data.aws_iam_policy_document.kms_data.json}"
    asg = resource(stack, "aws_autoscaling_group", "app")
    assert asg["service_linked_role_arn"] == role and "depends_on" not in asg
    logs = data(stack, "aws_iam_policy_document", "kms_logs")
    assert role not in str(logs)


# -- security groups ----------------------------------------------------------------------------


def test_security_groups_are_layered_alb_app_db():
    stack = workspace_stack()
    ingress = resources(stack, "aws_vpc_security_group_ingress_rule")
    egress = resources(stack, "aws_vpc_security_group_egress_rule")
    by_group = {}
    for rule in ingress.values():
        by_group.setdefault(rule["security_group_id"], []).append(rule)
    alb, app, db = (by_group[f"${{aws_security_group.{g}.id}}"] for g in ("alb", "app", "db"))
    assert sorted(r["from_port"] for r in alb) == [80, 443]
    assert all(r["cidr_ipv4"] == "${each.value}" and r["for_each"] == "${toset(var.allowed_ingress_cidrs)}" for r in alb)
    assert [(r["from_port"], r["referenced_security_group_id"]) for r in app] == [
        ("${var.app_port}", "${aws_security_group.alb.id}")]
    assert [(r["from_port"], r["referenced_security_group_id"]) for r in db] == [
        (5432, "${aws_security_group.app.id}")]
    assert not any(r["security_group_id"] == "${aws_security_group.db.id}" for r in egress.values())
    world = [r for r in [*ingress.values(), *egress.values()] if r.get("cidr_ipv4") == "0.0.0.0/0"]
    assert [(r["from_port"], r["security_group_id"]) for r in world] == [(443, "${aws_security_group.app.id}")]
    assert all(r["description"] for r in [*ingress.values(), *egress.values()])


@pytest.mark.parametrize(("case", "environment"), EVERY_ENVIRONMENT)
def test_security_groups_and_the_target_group_are_replaced_create_before_destroy(case, environment):
    """A change that forces a new group never stalls: the new one gets a name of its own (a prefix)
    and exists before the old one, still in use, is deleted."""
    stack = case_resolved(case, environment)
    replaceable = [*resources(stack, "aws_security_group").values(), resource(stack, "aws_lb_target_group", "app")]
    assert len(replaceable) == 5
    for block in replaceable:
        assert "name" not in block and block["name_prefix"]
        assert one(block, "lifecycle")["create_before_destroy"] is True
    prefix = resource(stack, "aws_lb_target_group", "app")["name_prefix"]
    # The provider's limit for target groups: 32 characters less its 26-character suffix.
    assert re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z-]{0,5}", prefix) and prefix.startswith(environment[:5])
    groups = resources(stack, "aws_security_group")
    short = {"vpc_endpoints": "vpce"}
    assert all(g["name_prefix"] == f"${{local.name_prefix}}-{short.get(name, name)}-" for name, g in groups.items())
    # Everything that uses them refers to the resource, so it follows the replacement in place.
    https = resource(stack, "aws_lb_listener", "https")
    assert one(https, "default_action")["target_group_arn"] == "${aws_lb_target_group.app.arn}"
    assert resource(stack, "aws_autoscaling_group", "app")["target_group_arns"] == ["${aws_lb_target_group.app.arn}"]
    assert resource(stack, "aws_lb", "this")["security_groups"] == ["${aws_security_group.alb.id}"]
    assert one(resource(stack, "aws_launch_template", "app"), "network_interfaces")["security_groups"] == [
        "${aws_security_group.app.id}"]
    assert resource(stack, "aws_db_instance", "this")["vpc_security_group_ids"] == ["${aws_security_group.db.id}"]


# -- load balancer ------------------------------------------------------------------------------


def test_alb_is_public_https_only_and_drops_invalid_headers():
    stack = workspace_stack()
    alb = resource(stack, "aws_lb", "this")
    assert alb["internal"] is False and alb["drop_invalid_header_fields"] is True
    assert alb["subnets"] == "${[for s in aws_subnet.public : s.id]}"
    assert one(alb, "access_logs")["enabled"] is True
    https, http = resource(stack, "aws_lb_listener", "https"), resource(stack, "aws_lb_listener", "http")
    assert https["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
    assert https["certificate_arn"] == "${var.certificate_arn}"
    redirect = one(one(http, "default_action"), "redirect")
    assert (redirect["protocol"], redirect["status_code"]) == ("HTTPS", "HTTP_301")
    assert one(resource(stack, "aws_lb_target_group", "app"), "health_check")["path"] == "${var.health_check_path}"


@pytest.mark.parametrize(("environment", "protected"), [("dev", False), ("staging", False), ("prod", True)])
def test_alb_deletion_protection_only_in_production(environment, protected):
    assert resource(resolved_stack(environment), "aws_lb", "this")["enable_deletion_protection"] is protected


def test_access_log_bucket_is_private_versioned_encrypted_with_the_elb_delivery_policy():
    stack = workspace_stack()
    block = resource(stack, "aws_s3_bucket_public_access_block", "alb_logs")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                          "restrict_public_buckets"))
    versioning = one(resource(stack, "aws_s3_bucket_versioning", "alb_logs"), "versioning_configuration")
    assert versioning["status"] == "Enabled"
    sse = resource(stack, "aws_s3_bucket_server_side_encryption_configuration", "alb_logs")
    assert one(one(sse, "rule"), "apply_server_side_encryption_by_default")["sse_algorithm"] == "AES256"
    [policy] = [b.body for b in stack.blocks("data") if b.labels == ("aws_iam_policy_document", "alb_logs")]
    principals = [one(s, "principals")["identifiers"] for s in policy["statement"]]
    assert ["logdelivery.elasticloadbalancing.amazonaws.com"] in principals
    assert ["${data.aws_elb_service_account.this.arn}"] in principals  # us-west-2 predates August 2022


# -- compute ------------------------------------------------------------------------------------


def test_instance_role_gets_ssm_and_cloudwatch_agent_only():
    attachment = resource(workspace_stack(), "aws_iam_role_policy_attachment", "app")
    assert attachment["for_each"] == {
        "ssm": "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "cloudwatch": "arn:${local.partition}:iam::aws:policy/CloudWatchAgentServerPolicy",
    }
    assert resource(workspace_stack(), "aws_iam_instance_profile", "app")["role"] == "${aws_iam_role.app.name}"


def test_launch_template_requires_imdsv2_encrypts_with_the_customer_key_and_has_no_public_ip():
    template = resource(workspace_stack(), "aws_launch_template", "app")
    assert one(template, "metadata_options")["http_tokens"] == "required"
    ebs = one(one(template, "block_device_mappings"), "ebs")
    assert ebs["encrypted"] is True and ebs["kms_key_id"] == "${aws_kms_key.data.arn}"
    assert one(template, "network_interfaces")["associate_public_ip_address"] is False
    assert one(template, "monitoring")["enabled"] is True
    assert [setting(template["instance_type"], e) for e in ENVIRONMENTS] == ["t3.micro", "t3.small", "m6i.large"]
    assert template["image_id"] == "${local.image_id}"


AL2023 = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-"
# What each environment of each case runs: pinned by the spec, or resolved by EC2 at launch.
IMAGES = {("standard", "dev"): AL2023 + "x86_64", ("standard", "staging"): AL2023 + "x86_64",
          ("standard", "prod"): AL2023 + "x86_64", ("waivers", "dev"): AL2023 + "x86_64",
          ("waivers", "prod"): "ami-0123456789abcdef0", ("new_region", "staging"): AL2023 + "arm64",
          ("new_region", "prod"): AL2023 + "arm64"}


@pytest.mark.parametrize(("case", "environment"), EVERY_ENVIRONMENT)
def test_a_new_image_reaches_the_group_only_through_the_spec_or_an_input(case, environment):
    """No data source reads the latest image at plan time (which would roll every fleet on the
    first apply after AWS publishes one): EC2 resolves the public parameter at each launch."""
    stack = case_resolved(case, environment)
    assert not [b for b in stack.blocks("data") if b.labels[0] in ("aws_ssm_parameter", "aws_ami")]
    assert stack.locals()["image_id"] == f'${{coalesce(var.ami_id, "{IMAGES[case, environment]}")}}'
    assert resource(stack, "aws_launch_template", "app")["image_id"] == "${local.image_id}"
    # A pinned image or an input is a new launch template version, which starts an instance refresh.
    launch_template = one(resource(stack, "aws_autoscaling_group", "app"), "launch_template")
    assert launch_template["version"] == "${aws_launch_template.app.latest_version}"


# Which environments deliver an app (user data, or an image that serves it), and so get ELB checks.
HEALTH_CHECKS = {("standard", "dev"): "EC2", ("standard", "staging"): "EC2", ("standard", "prod"): "EC2",
                 ("waivers", "dev"): "EC2", ("waivers", "prod"): "ELB",
                 ("new_region", "staging"): "EC2", ("new_region", "prod"): "ELB"}


def heredoc_text(value: str) -> str:
    """The text of a heredoc as python-hcl2 returns it (markers kept, $${ and %%{ doubled)."""
    opening, _, rest = value.partition("\n")
    return rest[: -len(opening[2:])].replace("$${", "${").replace("%%{", "%{")


@pytest.mark.parametrize(("case", "environment"), EVERY_ENVIRONMENT)
def test_the_group_settles_whether_or_not_the_spec_delivers_an_app(case, environment):
    """ELB health checks only where something answers them; EC2 checks until then."""
    stack = case_resolved(case, environment)
    asg = resource(stack, "aws_autoscaling_group", "app")
    assert asg["health_check_type"] == HEALTH_CHECKS[case, environment]
    assert asg["health_check_grace_period"] == 300
    template = resource(stack, "aws_launch_template", "app")
    assert template["user_data"] == '${local.user_data == "" ? null : base64encode(local.user_data)}'
    env = case_spec(case)[1].environments[environment]
    user_data = stack.locals()["user_data"]
    if env.user_data:
        assert heredoc_text(user_data) == (SPECS / env.user_data).read_text() == env.user_data_text
    else:
        assert user_data == ""
    assert f"| {environment} |" in (GOLDEN / case / "README.md").read_text()


def test_user_data_reaches_the_workspace_map_as_a_readable_heredoc():
    values = case_workspace_stack("new_region").locals()["environments"]
    assert values["staging"]["user_data"] == "" and values["staging"]["asg_health_check_type"] == "EC2"
    assert values["prod"]["user_data"].startswith("<<EOT1\n#!/bin/bash\n")  # the script contains EOT
    assert heredoc_text(values["prod"]["user_data"]) == (SPECS / "clinic-user-data.sh").read_text()
    assert values["prod"]["asg_health_check_type"] == "ELB"
    readme = (GOLDEN / "new_region" / "README.md").read_text()
    assert "| prod | user data from clinic-user-data.sh | ELB |" in readme
    assert "| staging | nothing yet (stock Amazon Linux serves nothing on the app port) | EC2 |" in readme


@pytest.mark.parametrize(("instance_type", "architecture"),
                         [("t4g.micro", "arm64"), ("c7gn.large", "arm64"), ("x2gd.xlarge", "arm64"),
                          ("a1.large", "arm64"), ("m6i.large", "x86_64"), ("t3.micro", "x86_64"),
                          ("m7i-flex.large", "x86_64")])
def test_graviton_instance_types_get_the_arm64_image(instance_type, architecture):
    assert context.architecture(instance_type) == architecture


def test_autoscaling_group_spans_private_subnets_behind_the_target_group():
    asg = resource(workspace_stack(), "aws_autoscaling_group", "app")
    assert asg["vpc_zone_identifier"] == "${[for s in aws_subnet.app : s.id]}"
    assert asg["health_check_type"] == "${local.settings.asg_health_check_type}"
    assert asg["target_group_arns"] == ["${aws_lb_target_group.app.arn}"]
    assert one(asg, "instance_refresh")["strategy"] == "Rolling"
    sizes = [[setting(asg[k], e) for k in ("min_size", "desired_capacity", "max_size")] for e in ENVIRONMENTS]
    assert sizes == [[1, 1, 2], [1, 2, 3], [2, 3, 6]]


@pytest.mark.parametrize(("case", "environment"), EVERY_ENVIRONMENT)
def test_capacity_follows_load_and_a_refresh_never_drops_below_desired(case, environment):
    stack = case_resolved(case, environment)
    scaling = case_spec(case)[1].environments[environment].autoscaling
    policy = resource(stack, "aws_autoscaling_policy", "app")
    assert policy["autoscaling_group_name"] == "${aws_autoscaling_group.app.name}"
    assert policy["policy_type"] == "TargetTrackingScaling"
    tracking = one(policy, "target_tracking_configuration")
    assert tracking["target_value"] == scaling.target
    metric = one(tracking, "predefined_metric_specification")
    requests = scaling.scale_on == "requests"
    assert metric["predefined_metric_type"] == ("ALBRequestCountPerTarget" if requests else "ASGAverageCPUUtilization")
    assert metric["resource_label"] == (
        f"${{{str(requests).lower()} ? \"${{aws_lb.this.arn_suffix}}/${{aws_lb_target_group.app.arn_suffix}}\" : null}}")
    asg = resource(stack, "aws_autoscaling_group", "app")
    # The policy owns the group's size after creation; an apply does not reset it.
    assert one(asg, "lifecycle")["ignore_changes"] == ["desired_capacity"]
    assert asg["max_size"] > asg["min_size"] or scaling.max == scaling.min
    refresh = one(asg, "instance_refresh")
    preferences = one(refresh, "preferences")
    assert (refresh["strategy"], preferences["min_healthy_percentage"], preferences["max_healthy_percentage"],
            preferences["skip_matching"]) == ("Rolling", 100, 200, False)


def test_scaling_targets_default_by_metric():
    _, standard = case_spec("standard")
    assert {(e.autoscaling.scale_on, e.autoscaling.target) for e in standard.environments.values()} == {("cpu", 50)}
    _, new_region = case_spec("new_region")
    scaling = new_region.environments["prod"].autoscaling
    assert (scaling.scale_on, scaling.target) == ("requests", 600)


# -- database -----------------------------------------------------------------------------------


def test_database_backup_retention_is_1_3_7():
    db = resource(workspace_stack(), "aws_db_instance", "this")
    assert [setting(db["backup_retention_period"], e) for e in ENVIRONMENTS] == [1, 3, 7]


@pytest.mark.parametrize(("environment", "production"), [("dev", False), ("staging", False), ("prod", True)])
def test_database_protection_per_environment(environment, production):
    db = resource(resolved_stack(environment), "aws_db_instance", "this")
    assert db["deletion_protection"] is production and db["multi_az"] is production
    assert db["skip_final_snapshot"] is (not production)
    assert resource(resolved_stack(environment), "aws_s3_bucket", "alb_logs")["force_destroy"] is (not production)


@pytest.mark.parametrize(("case", "environment"), EVERY_ENVIRONMENT)
def test_a_second_apply_is_a_no_op(case, environment):
    """Nothing in the output changes on every plan, and no data source can move a replacement-forcing
    argument: only identity, partition, the account's zones, the ELB account and policy documents."""
    stack = case_resolved(case, environment)
    text = "\n".join(stack.texts.values())
    assert not re.search(r"\b(timestamp|plantimestamp|uuid|bcrypt)\(", text)
    assert {b.labels[0] for b in stack.blocks("data")} <= {
        "aws_caller_identity", "aws_partition", "aws_availability_zones", "aws_elb_service_account",
        "aws_iam_policy_document"}
    db = resource(stack, "aws_db_instance", "this")
    # Named once, when the database is created (terraform_data's id), as terraform-aws-rds does.
    assert db["final_snapshot_identifier"] == (
        '${local.db_identifier}-final-${substr(replace(terraform_data.db_final_snapshot.id, "-", ""), 0, 8)}')
    assert "lifecycle" not in db
    assert resource(stack, "terraform_data", "db_final_snapshot")["triggers_replace"] == ["${local.db_identifier}"]
    # An impaired zone stays in the list, so the zones (and the subnets in them) never shift.
    zones = data(stack, "aws_availability_zones", "available")
    assert "state" not in zones and "all_availability_zones" not in zones
    assert one(zones, "filter")["name"] == "zone-name"
    assert stack.locals()["azs"].startswith("${slice(data.aws_availability_zones.available.names, 0, ")


def test_too_few_availability_zones_fail_with_a_readable_message():
    [zones] = [b.body for b in workspace_stack().blocks("data") if b.labels == ("aws_availability_zones", "available")]
    postcondition = one(one(zones, "lifecycle"), "postcondition")
    assert postcondition["condition"] == "${length(self.names) >= local.settings.az_count}"
    assert "availability_zones" in postcondition["error_message"]


def test_database_is_encrypted_private_and_its_password_managed_by_rds():
    stack = workspace_stack()
    db = resource(stack, "aws_db_instance", "this")
    expected = {
        "engine": "postgres", "storage_encrypted": True, "kms_key_id": "${aws_kms_key.data.arn}",
        "manage_master_user_password": True, "master_user_secret_kms_key_id": "${aws_kms_key.data.arn}",
        "performance_insights_enabled": True, "performance_insights_kms_key_id": "${aws_kms_key.data.arn}",
        "monitoring_role_arn": "${aws_iam_role.rds_monitoring.arn}", "publicly_accessible": False,
        "copy_tags_to_snapshot": True,
        "iam_database_authentication_enabled": True, "db_subnet_group_name": "${aws_db_subnet_group.this.name}",
        "allow_major_version_upgrade": True,
        "enabled_cloudwatch_logs_exports": "${local.database_log_exports}", "ca_cert_identifier": "rds-ca-rsa2048-g1",
    }
    assert {k: db.get(k) for k in expected} == expected
    # The default spec names majors only: RDS applies minor upgrades everywhere.
    assert all(setting(db["auto_minor_version_upgrade"], env) is True for env in ENVIRONMENTS)
    assert "password" not in db
    assert not any("password" in b.labels[0] for b in stack.blocks("variable"))
    subnets = resource(stack, "aws_db_subnet_group", "this")["subnet_ids"]
    assert subnets == "${[for s in aws_subnet.database : s.id]}"


def test_parameter_group_forces_tls_and_logs_connections():
    group = resource(workspace_stack(), "aws_db_parameter_group", "this")
    parameters = {p["name"]: p["value"] for p in group["parameter"]}
    assert parameters["rds.force_ssl"] == "1"
    assert parameters["log_connections"] == "1" and parameters["log_disconnections"] == "1"
    assert [setting(group["family"], e) for e in ENVIRONMENTS] == ["postgres16"] * 3


@pytest.mark.parametrize(("case", "environment"), EVERY_ENVIRONMENT)
def test_the_app_role_may_connect_to_the_database_as_the_app_user_only(case, environment):
    stack = case_resolved(case, environment)
    assert resource(stack, "aws_db_instance", "this")["iam_database_authentication_enabled"] is True
    statement = one(data(stack, "aws_iam_policy_document", "app_db_connect"), "statement")
    assert statement["actions"] == ["rds-db:connect"]
    user = case_spec(case)[1].app_db_user
    assert statement["resources"] == [
        "arn:${local.partition}:rds-db:${var.aws_region}:${local.account_id}:dbuser:"
        f"${{aws_db_instance.this.resource_id}}/{user}"]
    policy = resource(stack, "aws_iam_role_policy", "app_db_connect")
    assert (policy["role"], policy["policy"]) == ("${aws_iam_role.app.id}",
                                                  "${data.aws_iam_policy_document.app_db_connect.json}")
    assert resource(stack, "aws_db_instance", "this")["username"] != user


@pytest.mark.parametrize(("case", "environment"), EVERY_ENVIRONMENT)
def test_clients_get_tls_without_cbc_ciphers(case, environment):
    https = resource(case_resolved(case, environment), "aws_lb_listener", "https")
    assert https["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"


# -- monitoring and logging ---------------------------------------------------------------------


def test_log_groups_are_encrypted_and_keep_logs_per_environment():
    group = resource(workspace_stack(), "aws_cloudwatch_log_group", "this")
    assert group["kms_key_id"] == "${local.log_group_keys[each.key]}" and group["name"] == "${each.value}"
    assert [setting(group["retention_in_days"], e) for e in ENVIRONMENTS] == [30, 90, 365]


def test_alarms_cover_database_and_load_balancer_through_an_encrypted_topic():
    stack = workspace_stack()
    assert resource(stack, "aws_sns_topic", "alarms")["kms_master_key_id"] == "${aws_kms_key.logs.arn}"
    metrics = {alarm["metric_name"] for alarm in stack.locals()["alarms"].values()}
    assert {"CPUUtilization", "FreeStorageSpace", "HTTPCode_ELB_5XX_Count", "UnHealthyHostCount"} <= metrics
    alarm = resource(stack, "aws_cloudwatch_metric_alarm", "this")
    assert alarm["alarm_actions"] == ["${aws_sns_topic.alarms.arn}"]


# -- variables and outputs ----------------------------------------------------------------------


def test_every_variable_is_typed_described_and_validated_where_it_can_be_wrong():
    variables = {b.labels[0]: b.body for b in workspace_stack().blocks("variable")}
    assert all(v.get("type") and v.get("description") for v in variables.values())
    conditions = {name: " ".join(c["condition"] for c in v.get("validation", [])) for name, v in variables.items()}
    assert "regex(" in conditions["aws_region"]
    assert "cidrhost(" in conditions["allowed_ingress_cidrs"]
    assert ":acm:" in conditions["certificate_arn"]
    assert 'try(split(":", var.certificate_arn)[3], "") == var.aws_region' in conditions["certificate_arn"]
    assert ">= 1024" in conditions["app_port"] and "<= 65535" in conditions["app_port"]
    assert "ami-" in conditions["ami_id"] and "@" in conditions["alarm_email"]
    assert variables["aws_region"]["default"] == "us-west-2"


def test_outputs_are_described_and_cover_what_operators_need():
    outputs = {b.labels[0]: b.body for b in workspace_stack().blocks("output")}
    assert all(o.get("description") for o in outputs.values())
    assert {"environment", "vpc_id", "public_subnet_ids", "app_subnet_ids", "database_subnet_ids", "alb_dns_name",
            "asg_name", "db_endpoint", "db_master_user_secret_arn", "kms_key_arns", "log_group_names"} <= set(outputs)
    assert outputs["environment"]["value"] == "${local.environment}"


# -- HIPAA technical safeguards (issue 13) ------------------------------------------------------
# Each requirement on every environment of the default spec and four others: waivers, a region
# opened after 2022, NAT overridden (production with internet egress by a waiver), and endpoints
# and egress set per environment (private_access).

HIPAA_CASES = ("standard", "waivers", "new_region", "nat_override", "private_access")
HIPAA_ENVIRONMENTS = [(case, name) for case in HIPAA_CASES for name in case_spec(case)[1].environments]


def parameters(stack: Stack) -> dict[str, dict]:
    return {p["name"]: p for p in resource(stack, "aws_db_parameter_group", "this")["parameter"]}


@pytest.mark.parametrize(("case", "environment"), HIPAA_ENVIRONMENTS)
def test_no_database_setting_writes_statement_text_or_bind_values_to_the_logs(case, environment):
    values = {name: p["value"] for name, p in parameters(case_resolved(case, environment)).items()}
    # Not ddl either: it logs CREATE TABLE AS SELECT literals and CREATE ROLE passwords.
    assert values["log_statement"] == "none"
    assert values["log_min_duration_statement"] == "-1"
    assert values["log_min_error_statement"] == "panic"
    assert values["log_error_verbosity"] == "terse"
    assert values["log_parameter_max_length"] == values["log_parameter_max_length_on_error"] == "0"
    assert values.get("log_duration", "0") == "0"
    assert "auto_explain" not in values["shared_preload_libraries"]
    assert (values["log_connections"], values["log_disconnections"]) == ("1", "1")


@pytest.mark.parametrize(("case", "environment"), HIPAA_ENVIRONMENTS)
def test_pgaudit_audits_the_specs_classes_without_bind_values(case, environment):
    found = parameters(case_resolved(case, environment))
    libraries = found["shared_preload_libraries"]
    # A static parameter: RDS applies it at the next reboot, and refuses "immediate".
    assert "pgaudit" in libraries["value"].split(",") and libraries["apply_method"] == "pending-reboot"
    assert found["pgaudit.role"]["value"] == "rds_pgaudit"
    assert found["pgaudit.log"]["value"] == case_spec(case)[1].environments[environment].database.pgaudit_log
    assert found["pgaudit.log_parameter"]["value"] == "0"


def test_pgaudit_log_defaults_to_ddl_and_role_and_comes_from_the_spec():
    assert {settings(e)["db_pgaudit_log"] for e in ENVIRONMENTS} == {"ddl,role"}
    values = case_workspace_stack("private_access").locals()["environments"]
    assert [values[e]["db_pgaudit_log"] for e in ("dev", "staging", "prod")] == ["ddl,role", "ddl,role",
                                                                                 "ddl,role,write"]


@pytest.mark.parametrize(("case", "environment"), HIPAA_ENVIRONMENTS)
def test_every_postgresql_log_type_goes_to_its_own_group_created_first_under_the_database_log_key(
        case, environment):
    stack = case_resolved(case, environment)
    db = resource(stack, "aws_db_instance", "this")
    locals_ = stack.locals()
    assert db["enabled_cloudwatch_logs_exports"] == "${local.database_log_exports}"
    assert locals_["database_log_exports"] == ["iam-db-auth-error", "postgresql", "upgrade"]
    assert locals_["database_log_group_prefix"] == "/aws/rds/instance/${local.db_identifier}/"
    # One group per type, named where RDS writes it, with the database-log key; the others with the logs key.
    for log_type in locals_["database_log_exports"]:
        assert f'{log_type} = "/aws/rds/instance/${{local.db_identifier}}/{log_type}"' in locals_["log_groups"]
    assert locals_["log_group_keys"] == (
        "${{for purpose, name in local.log_groups : purpose => contains(local.database_log_exports, purpose) ? "
        "aws_kms_key.database_logs.arn : aws_kms_key.logs.arn}}")
    assert "${aws_cloudwatch_log_group.this}" in db["depends_on"]
    group = resource(stack, "aws_cloudwatch_log_group", "this")
    assert (group["for_each"], group["kms_key_id"]) == ("${local.log_groups}", "${local.log_group_keys[each.key]}")


@pytest.mark.parametrize(("case", "environment"), HIPAA_ENVIRONMENTS)
def test_only_cloudwatch_logs_uses_the_database_log_key_and_only_for_the_database_groups(case, environment):
    stack = case_resolved(case, environment)
    key = resource(stack, "aws_kms_key", "database_logs")
    assert key["enable_key_rotation"] is True
    assert key["policy"] == "${data.aws_iam_policy_document.kms_database_logs.json}"
    policy = data(stack, "aws_iam_policy_document", "kms_database_logs")
    assert policy["source_policy_documents"] == ["${data.aws_iam_policy_document.kms_administration.json}"]
    [statement] = policy["statement"]
    assert one(statement, "principals") == {"type": "Service", "identifiers": ["logs.${var.aws_region}.amazonaws.com"],
                                            "__is_block__": True}
    condition = one(statement, "condition")
    assert (condition["test"], condition["variable"]) == ("ArnLike", "kms:EncryptionContext:aws:logs:arn")
    assert condition["values"] == [
        "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:${local.database_log_group_prefix}*"]


USE = {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"}


@pytest.mark.parametrize(("case", "environment"), HIPAA_ENVIRONMENTS)
def test_the_data_key_separates_administration_from_use_through_services(case, environment):
    """As terraform-aws-modules' kms module: the account root administers (and can never lock itself
    out) but cannot use the key; principals of the account use it only via RDS, EC2 and Secrets Manager."""
    stack = case_resolved(case, environment)
    root = ["arn:${local.partition}:iam::${local.account_id}:root"]
    [admin] = data(stack, "aws_iam_policy_document", "kms_administration")["statement"]
    assert one(admin, "principals")["identifiers"] == root and "condition" not in admin
    assert "kms:PutKeyPolicy" in admin["actions"] and "kms:ScheduleKeyDeletion" in admin["actions"]
    # No use, no grants, and no wildcard that would include them (kms:*, kms:Create*, kms:Encrypt*...).
    assert not any(a == "kms:*" or a.startswith(("kms:Create*", "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt",
                                                 "kms:GenerateDataKey", "kms:CreateGrant")) for a in admin["actions"])
    statements = {s["sid"]: s for s in data(stack, "aws_iam_policy_document", "kms_data")["statement"]}
    use = statements["AllowUseThroughTheServicesThatNeedIt"]
    grants = statements["AllowGrantsForAWSResourcesThroughTheServicesThatNeedIt"]
    assert set(use["actions"]) == USE and grants["actions"] == ["kms:CreateGrant"]
    for statement in (use, grants):
        assert one(statement, "principals")["identifiers"] == root
        conditions = {c["variable"]: (c["test"], c["values"]) for c in statement["condition"]}
        assert conditions["kms:ViaService"] == ("StringEquals", "${local.data_key_services}")
    assert {c["variable"]: c["values"] for c in grants["condition"]}["kms:GrantIsForAWSResource"] == ["true"]
    assert stack.locals()["data_key_services"] == (
        '${[for service in ["rds", "ec2", "secretsmanager"] : "${service}.${var.aws_region}.amazonaws.com"]}')
    # Every other statement names the Auto Scaling service-linked role (issue 12), nothing broader.
    others = [s for sid, s in statements.items() if sid not in (use["sid"], grants["sid"])]
    assert {one(s, "principals")["identifiers"][0] for s in others} == {"${aws_iam_service_linked_role.autoscaling.arn}"}


INTERFACE_SERVICES = ["ec2messages", "kms", "logs", "monitoring", "secretsmanager", "ssm", "ssmmessages", "sts"]


@pytest.mark.parametrize(("case", "environment"), HIPAA_ENVIRONMENTS)
def test_instances_reach_aws_through_vpc_endpoints(case, environment):
    stack = case_resolved(case, environment)
    env = case_spec(case)[1].environments[environment]
    s3 = resource(stack, "aws_vpc_endpoint", "s3")
    assert (s3["service_name"], s3["vpc_endpoint_type"]) == ("com.amazonaws.${var.aws_region}.s3", "Gateway")
    assert s3["route_table_ids"] == "${[for rt in aws_route_table.app : rt.id]}"  # not the database's
    read, write = data(stack, "aws_iam_policy_document", "s3_endpoint")["statement"]
    assert (read["actions"], read["resources"]) == (["s3:GetObject"], ["arn:${local.partition}:s3:::*/*"])
    assert one(write, "condition")["variable"] == "aws:ResourceAccount"
    interface = resource(stack, "aws_vpc_endpoint", "interface")
    assert stack.locals()["interface_endpoint_services"] == INTERFACE_SERVICES
    assert interface["for_each"] == (
        f"${{toset({str(env.interface_endpoints).lower()} ? local.interface_endpoint_services : [])}}")
    assert (interface["vpc_endpoint_type"], interface["private_dns_enabled"]) == ("Interface", True)
    assert interface["service_name"] == "com.amazonaws.${var.aws_region}.${each.key}"
    assert interface["subnet_ids"] == "${[for s in aws_subnet.app : s.id]}"
    assert interface["security_group_ids"] == ["${aws_security_group.vpc_endpoints[0].id}"]
    # The endpoints' group admits 443 from the app group only, and sends nothing; it and its rules
    # exist only with the endpoints (a group attached to nothing is Checkov's CKV2_AWS_5).
    ingress = [r for r in resources(stack, "aws_vpc_security_group_ingress_rule").values()
               if r["security_group_id"] == "${aws_security_group.vpc_endpoints[0].id}"]
    assert [(r["from_port"], r["to_port"], r["referenced_security_group_id"]) for r in ingress] == [
        (443, 443, "${aws_security_group.app.id}")]
    egress = resources(stack, "aws_vpc_security_group_egress_rule")
    assert not [r for r in egress.values() if "vpc_endpoints" in r["security_group_id"]]
    assert egress["app_to_endpoints"]["referenced_security_group_id"] == "${aws_security_group.vpc_endpoints[0].id}"
    counts = [resource(stack, "aws_security_group", "vpc_endpoints")["count"], ingress[0]["count"],
              egress["app_to_endpoints"]["count"]]
    assert counts == [int(env.interface_endpoints)] * 3
    assert egress["app_to_s3"]["prefix_list_id"] == "${aws_vpc_endpoint.s3.prefix_list_id}"


@pytest.mark.parametrize(("case", "environment"), HIPAA_ENVIRONMENTS)
def test_internet_egress_and_nat_gateways_only_where_the_spec_allows_them(case, environment):
    stack = case_resolved(case, environment)
    env = case_spec(case)[1].environments[environment]
    egress = [r for r in resources(stack, "aws_vpc_security_group_egress_rule").values()
              if r.get("cidr_ipv4") == "0.0.0.0/0" and r.get("count", 1) != 0]
    if env.production and "internet_egress" not in env.waivers:
        assert not env.internet_egress and not egress  # no rule lets anything out to 0.0.0.0/0
    assert len(egress) == int(env.internet_egress)
    nat_count = context.environment_settings(env)["nat_gateway_count"]
    assert stack.locals()["nat_azs"] == f"${{slice(local.azs, 0, {nat_count})}}"
    assert (nat_count > 0) == env.internet_egress
    # No route to a NAT gateway that does not exist.
    route = resources(stack, "aws_route")["app_nat_gateway"]
    assert route["for_each"] == f"${{toset({str(env.internet_egress).lower()} ? local.azs : [])}}"


def test_the_fixtures_cover_egress_and_endpoints_both_ways():
    settings_ = {(case, name): (env.internet_egress, env.interface_endpoints, env.production)
                 for case in HIPAA_CASES for name, env in case_spec(case)[1].environments.items()}
    assert settings_["private_access", "dev"] == (True, False, False)  # endpoints off, through NAT
    assert settings_["private_access", "staging"] == (False, True, False)  # as private as production
    assert settings_["nat_override", "production"] == (True, True, True)  # egress by a waiver
    assert {settings_[c, "prod"][0] for c in ("standard", "waivers", "new_region", "private_access")} == {False}
