"""The local AWS reads back what the local profile's priced protections wrote.

The local profile turns on enable_vpc and enable_audit_replication
(terraform/local.tfvars); moto 5.2.5 dropped two attributes AWS returns, so a
second `terraform plan` planned to change them on every run. The wrapper
(scripts/local/moto_server.py, 9. and 10.) returns them; these tests fail if it
stops, or if moto starts to copy objects (README, "Where the local AWS differs").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from local_aws import LocalAWS, local_aws_fixture  # noqa: F401 - the fixture

if TYPE_CHECKING:
    from types_boto3_ec2.type_defs import IpPermissionTypeDef
    from types_boto3_s3.type_defs import SourceSelectionCriteriaTypeDef


def test_a_security_group_rule_keeps_its_description_for_a_group_or_prefix_list(
    local_aws: LocalAWS,
) -> None:
    ec2 = local_aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/24")["Vpc"]["VpcId"]
    function = ec2.create_security_group(GroupName="function", Description="f", VpcId=vpc)[
        "GroupId"
    ]
    endpoint = ec2.create_security_group(GroupName="endpoint", Description="e", VpcId=vpc)[
        "GroupId"
    ]
    https: IpPermissionTypeDef = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    ec2.authorize_security_group_egress(GroupId=function, IpPermissions=[
        https | {"UserIdGroupPairs": [{"GroupId": endpoint, "Description": "HTTPS to SNS"}]},
        https | {"PrefixListIds": [{"PrefixListId": "pl-63a5400a", "Description": "HTTPS to S3"}]},
    ])  # fmt: skip

    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [function]}])

    described = {
        (rule.get("ReferencedGroupInfo") or {}).get("GroupId")
        or rule.get("PrefixListId"): rule.get("Description")
        for rule in rules["SecurityGroupRules"]
        if rule.get("FromPort") == 443
    }
    assert described == {endpoint: "HTTPS to SNS", "pl-63a5400a": "HTTPS to S3"}


def test_a_replication_rule_reads_back_its_source_selection_and_no_object_is_copied(
    local_aws: LocalAWS,
) -> None:
    s3 = local_aws.client("s3")
    s3.create_bucket(Bucket="evidence")
    s3.put_bucket_versioning(Bucket="evidence", VersioningConfiguration={"Status": "Enabled"})
    s3.create_bucket(Bucket="evidence-replica",
                     CreateBucketConfiguration={"LocationConstraint": "us-west-2"})  # fmt: skip
    s3.put_bucket_versioning(
        Bucket="evidence-replica", VersioningConfiguration={"Status": "Enabled"}
    )
    selection: SourceSelectionCriteriaTypeDef = {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    s3.put_bucket_replication(Bucket="evidence", ReplicationConfiguration={
        "Role": "arn:aws:iam::123456789012:role/replication",
        "Rules": [{"ID": "evidence", "Priority": 1, "Status": "Enabled", "Filter": {},
                   "DeleteMarkerReplication": {"Status": "Disabled"},
                   "SourceSelectionCriteria": selection,
                   "Destination": {"Bucket": "arn:aws:s3:::evidence-replica"}}],
    })  # fmt: skip

    rule = s3.get_bucket_replication(Bucket="evidence")["ReplicationConfiguration"]["Rules"][0]
    s3.put_object(Bucket="evidence", Key="trail.json.gz", Body=b"{}")

    assert rule["SourceSelectionCriteria"] == selection
    assert rule["Destination"]["Bucket"] == "arn:aws:s3:::evidence-replica"
    # moto copies nothing: replication itself is unverified locally.
    assert "Versions" not in s3.list_object_versions(Bucket="evidence-replica")
