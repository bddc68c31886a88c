"""The local AWS reads back what Terraform wrote, as AWS does.

moto 5.2.5 drops or reshapes attributes AWS returns; Terraform then plans a
change on every run, or waits for a read-back until its timeout, and Prowler
reports what it reads. The wrapper (scripts/local/moto_server.py) returns them:

- SQS (2.): a queue's RedriveAllowPolicy, its Policy kept when another
  attribute is set, and RedrivePolicy as written.
- Lambda (5.): a function's dead-letter queue, the queue for the events of
  failed asynchronous invocations
  (https://docs.aws.amazon.com/lambda/latest/api/API_DeadLetterConfig.html).
- GuardDuty (7. and 8.): the account baseline enables each plan as a feature
  (one UpdateDetector per aws_guardduty_detector_feature); AWS's GetDetector
  answers with the features and, for the plans launched before March 2023, the
  same status in dataSources, which Prowler reads
  (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-feature-object-api-changes-march2023.html).
- The local profile's priced protections (9. and 10.; enable_vpc and
  enable_audit_replication in terraform/local.tfvars): a security group rule's
  description and a replication rule's SourceSelectionCriteria.

These tests fail if the wrapper stops, or if moto starts to copy objects
(README, "Where the local AWS differs").
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from local_aws import LocalAWS, local_aws_fixture  # noqa: F401 - the fixture

if TYPE_CHECKING:
    from types_boto3_ec2.type_defs import IpPermissionTypeDef
    from types_boto3_s3.type_defs import SourceSelectionCriteriaTypeDef


# What modules/account-baseline enables by default, in the order Terraform may apply it.
FEATURES = (
    "S3_DATA_EVENTS",
    "LAMBDA_NETWORK_LOGS",
    "EKS_AUDIT_LOGS",
    "EBS_MALWARE_PROTECTION",
    "RDS_LOGIN_EVENTS",
    "RUNTIME_MONITORING",
)


@pytest.fixture
def guardduty(local_aws: LocalAWS) -> Iterator[tuple[Any, str]]:
    client = local_aws.client("guardduty")
    detector_id = client.create_detector(Enable=True)["DetectorId"]
    yield client, detector_id
    client.delete_detector(DetectorId=detector_id)


def enable_one_by_one(client: Any, detector_id: str, names: tuple[str, ...], status: str) -> None:
    for name in names:
        client.update_detector(DetectorId=detector_id, Features=[{"Name": name, "Status": status}])


def test_every_feature_the_baseline_enables_stays_enabled(guardduty: tuple[Any, str]) -> None:
    client, detector_id = guardduty
    enable_one_by_one(client, detector_id, FEATURES, "ENABLED")

    features = client.get_detector(DetectorId=detector_id)["Features"]

    assert {f["Name"]: f["Status"] for f in features} == dict.fromkeys(FEATURES, "ENABLED")


def test_plans_enabled_as_features_are_enabled_data_sources(guardduty: tuple[Any, str]) -> None:
    client, detector_id = guardduty
    enable_one_by_one(client, detector_id, FEATURES, "ENABLED")

    sources = client.get_detector(DetectorId=detector_id)["DataSources"]
    ebs_volumes = sources["MalwareProtection"]["ScanEc2InstanceWithFindings"]["EbsVolumes"]

    assert sources["S3Logs"]["Status"] == "ENABLED"
    assert sources["Kubernetes"]["AuditLogs"]["Status"] == "ENABLED"
    assert ebs_volumes["Status"] == "ENABLED"


def test_a_disabled_feature_is_a_disabled_data_source(guardduty: tuple[Any, str]) -> None:
    client, detector_id = guardduty
    enable_one_by_one(client, detector_id, FEATURES, "ENABLED")
    enable_one_by_one(client, detector_id, ("EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION"), "DISABLED")

    sources = client.get_detector(DetectorId=detector_id)["DataSources"]
    ebs_volumes = sources["MalwareProtection"]["ScanEc2InstanceWithFindings"]["EbsVolumes"]

    assert sources["S3Logs"]["Status"] == "ENABLED"
    assert sources["Kubernetes"]["AuditLogs"]["Status"] == "DISABLED"
    assert ebs_volumes["Status"] == "DISABLED"


def package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def create_function(local_aws: LocalAWS, name: str, **options: Any) -> Any:
    role = local_aws.role(f"{name}-role")
    awslambda = local_aws.client("lambda")
    awslambda.create_function(
        FunctionName=name, Role=role, Runtime="python3.13", Handler="lambda_function.handler",
        Code={"ZipFile": package()}, **options,
    )  # fmt: skip
    return awslambda


def test_the_dead_letter_queue_a_function_is_created_with_is_read_back(local_aws: LocalAWS) -> None:
    queue = local_aws.client("sqs").create_queue(QueueName="dlq-created")["QueueUrl"]
    arn = local_aws.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]

    awslambda = create_function(local_aws, "with-dlq", DeadLetterConfig={"TargetArn": arn})

    assert awslambda.get_function_configuration(FunctionName="with-dlq")["DeadLetterConfig"] == {
        "TargetArn": arn
    }
    listed = {f["FunctionName"]: f for f in awslambda.list_functions()["Functions"]}
    assert listed["with-dlq"]["DeadLetterConfig"] == {"TargetArn": arn}


def test_a_dead_letter_queue_set_by_an_update_is_read_back(local_aws: LocalAWS) -> None:
    awslambda = create_function(local_aws, "updated-dlq")
    assert "DeadLetterConfig" not in awslambda.get_function_configuration(
        FunctionName="updated-dlq"
    )
    arn = "arn:aws:sqs:us-east-1:123456789012:dlq-updated"

    awslambda.update_function_configuration(
        FunctionName="updated-dlq", DeadLetterConfig={"TargetArn": arn}
    )

    assert awslambda.get_function_configuration(FunctionName="updated-dlq")["DeadLetterConfig"] == {
        "TargetArn": arn
    }


def test_the_local_aws_keeps_a_queues_redrive_allow_policy(local_aws: LocalAWS) -> None:
    # moto drops it, and Terraform's aws_sqs_queue_redrive_allow_policy then
    # waits for it to read back until its timeout (the wrapper stores it).
    sqs = local_aws.client("sqs")
    queue = sqs.create_queue(QueueName="redrive-allow")["QueueUrl"]
    policy = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": ["arn:x"]})

    unset = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"RedriveAllowPolicy": policy})
    read = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["RedriveAllowPolicy"])

    # Terraform removes it by setting it empty, then waits until it is gone.
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"RedriveAllowPolicy": ""})
    removed = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]

    assert "RedriveAllowPolicy" not in unset
    assert read["Attributes"]["RedriveAllowPolicy"] == policy
    assert "RedriveAllowPolicy" not in removed


def test_setting_one_queue_attribute_keeps_the_queue_policy(local_aws: LocalAWS) -> None:
    # moto set Policy to the request's (none) on every SetQueueAttributes.
    sqs = local_aws.client("sqs")
    queue = sqs.create_queue(QueueName="keeps-policy")["QueueUrl"]
    statement = {"Sid": "X", "Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*"}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": policy})

    deny_all = json.dumps({"redrivePermission": "denyAll"})
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"RedriveAllowPolicy": deny_all})

    read = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])
    assert json.loads(read["Attributes"]["Policy"]) == json.loads(policy)


def test_a_redrive_policy_reads_back_as_terraform_wrote_it(local_aws: LocalAWS) -> None:
    # moto returned it with spaces: Terraform then planned a change on every run.
    sqs = local_aws.client("sqs")
    dead = sqs.create_queue(QueueName="redrive-target")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])
    written = json.dumps(
        {"deadLetterTargetArn": arn["Attributes"]["QueueArn"], "maxReceiveCount": 5},
        separators=(",", ":"),
    )
    queue = sqs.create_queue(QueueName="redrive-source", Attributes={"RedrivePolicy": written})[
        "QueueUrl"
    ]

    read = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["RedrivePolicy"])

    assert read["Attributes"]["RedrivePolicy"] == written


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


def test_a_functions_mappings_are_listed_by_its_name_or_its_arn(local_aws: LocalAWS) -> None:
    sqs = local_aws.client("sqs")
    queues = [sqs.create_queue(QueueName=f"mapped-{n}")["QueueUrl"] for n in (1, 2)]
    sources = [
        sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for q in queues
    ]
    awslambda = create_function(local_aws, "mapped")
    create_function(local_aws, "other")
    arn = {
        name: awslambda.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        for name in ("mapped", "other")
    }
    # As Terraform creates it: with the function's ARN; the other function's with its name.
    mapped = awslambda.create_event_source_mapping(
        EventSourceArn=sources[0], FunctionName=arn["mapped"]
    )
    other = awslambda.create_event_source_mapping(EventSourceArn=sources[1], FunctionName="other")

    def listed(**options: str) -> list[str]:
        return [
            m["UUID"]
            for m in awslambda.list_event_source_mappings(**options)["EventSourceMappings"]
        ]

    partial = arn["mapped"].split(":", 4)[4]  # 123456789012:function:mapped
    for name in ("mapped", arn["mapped"], partial):
        assert listed(FunctionName=name) == [mapped["UUID"]], name
    assert listed(FunctionName=arn["other"]) == listed(FunctionName="other") == [other["UUID"]]
    assert listed(FunctionName="mapped", EventSourceArn=sources[1]) == []
    assert sorted(listed()) == sorted([mapped["UUID"], other["UUID"]])
    # Another account's or region's function of the same name, and a missing one: none.
    for name in (arn["mapped"].replace("123456789012", "999999999999"),
                 arn["mapped"].replace("us-east-1", "eu-west-1"), "missing"):  # fmt: skip
        assert listed(FunctionName=name) == [], name
