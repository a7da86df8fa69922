"""What the audit trail watches: the CloudWatch Logs metric filters on the trail's log group,
each raising an alarm on the stack's alarm topic.

The CIS AWS Foundations Benchmark filters are the exact patterns Security Hub's controls
CloudWatch.1-14 look for ("This control fails if the exact metric filters prescribed by CIS are
not used. Additional fields or terms cannot be added"), copied verbatim from the Security Hub
User Guide, https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html
(archived as awsdocs/aws-security-hub-user-guide doc_source/cloudwatch-controls.md at bda5bf7,
the last commit with content; the line of each pattern is given). The last three are tapgen's
own, for the recovery copies and the audit trail themselves: no CIS control covers them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricFilter:
    control: str  # the Security Hub control (CIS recommendation) the pattern is, or tapgen's
    description: str  # what the alarm means, for whoever is paged
    pattern: str


METRIC_FILTERS = {
    "root-usage": MetricFilter(
        "Security Hub CloudWatch.1 (CIS 1.2.0 3.3), cloudwatch-controls.md line 66",
        "The root user was used.",
        '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}'),
    "unauthorized-api-calls": MetricFilter(
        "Security Hub CloudWatch.2 (CIS 1.2.0 3.1), line 186",
        "An API call was refused as unauthorized.",
        '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}'),
    "console-sign-in-without-mfa": MetricFilter(
        "Security Hub CloudWatch.3 (CIS 1.2.0 3.2), line 300",
        "An IAM user signed in to the console without MFA.",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }'),
    "iam-policy-changes": MetricFilter(
        "Security Hub CloudWatch.4 (CIS 1.2.0 3.4), line 416",
        "An IAM policy was created, changed, attached or detached.",
        "{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || "
        "($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || "
        "($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || "
        "($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || "
        "($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || "
        "($.eventName=DetachGroupPolicy)}"),
    "cloudtrail-changes": MetricFilter(
        "Security Hub CloudWatch.5 (CIS 1.2.0 3.5), line 530",
        "A trail was created, changed or deleted, or its logging started or stopped.",
        "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || "
        "($.eventName=StartLogging) || ($.eventName=StopLogging)}"),
    "console-sign-in-failures": MetricFilter(
        "Security Hub CloudWatch.6 (CIS 1.2.0 3.6), line 644",
        "A console sign-in failed authentication.",
        '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}'),
    "kms-key-disabled-or-deleted": MetricFilter(
        "Security Hub CloudWatch.7 (CIS 1.2.0 3.7), line 758",
        "A customer-managed KMS key was disabled or scheduled for deletion: cancel it within the key's "
        "deletion window, or its data, snapshots and backups become unreadable.",
        "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}"),
    "s3-bucket-policy-changes": MetricFilter(
        "Security Hub CloudWatch.8 (CIS 1.2.0 3.8), line 872",
        "An S3 bucket's policy, ACL, CORS, lifecycle or replication changed.",
        "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || "
        "($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || "
        "($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || "
        "($.eventName=DeleteBucketReplication))}"),
    "config-changes": MetricFilter(
        "Security Hub CloudWatch.9 (CIS 1.2.0 3.9), line 986",
        "AWS Config recording or delivery changed.",
        "{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || "
        "($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || "
        "($.eventName=PutConfigurationRecorder))}"),
    "security-group-changes": MetricFilter(
        "Security Hub CloudWatch.10 (CIS 1.2.0 3.10), line 1100",
        "A security group or one of its rules was created, changed or deleted.",
        "{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || "
        "($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || "
        "($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}"),
    "network-acl-changes": MetricFilter(
        "Security Hub CloudWatch.11 (CIS 1.2.0 3.11), line 1214",
        "A network ACL or one of its entries was created, changed or deleted.",
        "{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || "
        "($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || "
        "($.eventName=ReplaceNetworkAclAssociation)}"),
    "network-gateway-changes": MetricFilter(
        "Security Hub CloudWatch.12 (CIS 1.2.0 3.12), line 1328",
        "An internet or customer gateway was created, attached, detached or deleted.",
        "{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || "
        "($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || "
        "($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}"),
    "route-table-changes": MetricFilter(
        "Security Hub CloudWatch.13 (CIS 1.2.0 3.13), line 1442",
        "A route or route table was created, changed or deleted.",
        "{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || "
        "($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || "
        "($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}"),
    "vpc-changes": MetricFilter(
        "Security Hub CloudWatch.14 (CIS 1.2.0 3.14), line 1556",
        "A VPC or VPC peering connection was created, changed or deleted.",
        "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || "
        "($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || "
        "($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || "
        "($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || "
        "($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}"),
    "kms-key-policy-changes": MetricFilter(
        "tapgen: key policy changes, which CIS does not watch",
        "A KMS key policy was replaced: the first step to deleting a protected key, or to reading what "
        "it protects.",
        "{($.eventSource=kms.amazonaws.com) && ($.eventName=PutKeyPolicy)}"),
    "backup-deletions": MetricFilter(
        "tapgen: recovery points, vaults, vault locks and plans removed by a person or role, not by "
        "AWS Backup's own lifecycle",
        "Someone deleted or shortened backups, or removed a vault, its lock, a backup plan or a restore test.",
        "{($.eventSource=backup.amazonaws.com) && ($.userIdentity.type!=\"AWSService\") && "
        "(($.eventName=DeleteRecoveryPoint) || ($.eventName=UpdateRecoveryPointLifecycle) || "
        "($.eventName=DeleteBackupVault) || ($.eventName=DeleteBackupVaultLockConfiguration) || "
        "($.eventName=DeleteBackupPlan) || ($.eventName=DeleteBackupSelection) || "
        "($.eventName=DeleteRestoreTestingPlan) || ($.eventName=DeleteRestoreTestingSelection))}"),
    "log-group-deletions": MetricFilter(
        "tapgen: log groups, which hold the audit records, deleted or left to expire",
        "A CloudWatch Logs group was deleted, or its retention removed.",
        "{($.eventSource=logs.amazonaws.com) && (($.eventName=DeleteLogGroup) || ($.eventName=DeleteRetentionPolicy))}"),
}
