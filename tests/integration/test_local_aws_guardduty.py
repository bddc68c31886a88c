"""The local AWS reports a GuardDuty detector's protection plans as AWS does.

The account baseline enables each plan as a feature (aws_guardduty_detector_feature:
one UpdateDetector call per feature). AWS's GetDetector then answers with the
features and, for the plans launched before March 2023, with the same status
in dataSources
(https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-feature-object-api-changes-march2023.html);
Prowler reads dataSources for S3 Protection, EKS Audit Log Monitoring and
Malware Protection for EC2. moto alone keeps the first feature update from
being replaced by the next (scripts/local/moto_server.py, 7.) and never filled
dataSources from the features (8.).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from local_aws import LocalAWS, local_aws_fixture  # noqa: F401 - the fixture

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
