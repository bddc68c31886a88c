"""The account baseline applies without the application module (issue 21, item 1).

tests/fixtures/terraform-account-baseline calls the account-baseline module
and nothing else, as a platform team would before any application. This
applies it with the real terraform to a local AWS of its own (one server for
both stacks would not do: moto lists the shared stack's multi-region trail in
every region, and the provider's read of this trail then finds two), reads
back what it made with boto3, and destroys it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.local_deployment import LocalDeployment, copy_repo, started

pytestmark = pytest.mark.slow

REGION = "eu-west-1"
EXAMPLE = Path("tests/fixtures/terraform-account-baseline")


def terraform(
    deployment: LocalDeployment, data_dir: Path, *args: str, timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    env = deployment.aws_env | {"TF_DATA_DIR": str(data_dir), "TF_IN_AUTOMATION": "1"}
    return subprocess.run(
        ["terraform", f"-chdir={deployment.repo / EXAMPLE}", *args],
        env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


@pytest.fixture(scope="module")
def applied(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LocalDeployment, Path, dict[str, Any]]]:
    scratch = tmp_path_factory.mktemp("baseline-alone")
    deployment = started(copy_repo(scratch / "repo"))
    data_dir = scratch / "terraform"
    try:
        init = terraform(deployment, data_dir, "init", "-input=false", "-no-color")
        assert init.returncode == 0, init.stdout[-2000:] + init.stderr[-2000:]
        variables = ["-var", f"region={REGION}", "-var", "local_aws=true"]
        apply = terraform(
            deployment, data_dir, "apply", "-input=false", "-auto-approve", "-no-color", *variables
        )
        try:
            assert apply.returncode == 0, apply.stdout[-3000:] + apply.stderr[-3000:]
            printed = terraform(deployment, data_dir, "output", "-json")
            assert printed.returncode == 0, printed.stderr
            outputs = {name: o["value"] for name, o in json.loads(printed.stdout).items()}
            listed = terraform(deployment, data_dir, "state", "list").stdout.split()
            yield deployment, data_dir, {"outputs": outputs, "addresses": listed}
        finally:
            destroy = terraform(
                deployment, data_dir, "destroy", "-input=false", "-auto-approve", "-no-color",
                *variables,
            )  # fmt: skip
            assert destroy.returncode == 0, destroy.stdout[-3000:] + destroy.stderr[-3000:]
    finally:
        deployment.stop()


def test_the_baseline_alone_creates_only_baseline_resources(
    applied: tuple[LocalDeployment, Path, dict[str, Any]],
) -> None:
    _, _, result = applied
    addresses = [a for a in result["addresses"] if not a.startswith("data.")]
    assert addresses, "the apply left nothing in the state"
    outside = [a for a in addresses if not a.startswith("module.account_baseline.")]
    assert outside == [], outside


def test_the_trail_delivers_into_the_baselines_own_bucket_with_its_own_key(
    applied: tuple[LocalDeployment, Path, dict[str, Any]],
) -> None:
    deployment, _, result = applied
    outputs = result["outputs"]
    trail = deployment.client("cloudtrail", REGION).get_trail(Name=outputs["cloudtrail_arn"])[
        "Trail"
    ]
    assert trail["S3BucketName"] == outputs["audit_bucket_name"]
    assert trail["KmsKeyId"] == outputs["audit_kms_key_arn"]
    assert trail["IsMultiRegionTrail"] is True
    s3 = deployment.client("s3", REGION)
    lock = s3.get_object_lock_configuration(Bucket=outputs["audit_bucket_name"])
    assert lock["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    policy = json.loads(s3.get_bucket_policy(Bucket=outputs["audit_bucket_name"])["Policy"])
    writes = [s for s in policy["Statement"] if s.get("Sid") == "CloudTrailWritesTrailFiles"]
    assert [w["Condition"]["StringEquals"]["aws:SourceArn"] for w in writes] == [trail["TrailARN"]]
    key = deployment.client("kms", REGION).describe_key(
        KeyId=outputs["audit_kms_key_arn"].rsplit("/", 1)[1]
    )
    assert key["KeyMetadata"]["KeyState"] == "Enabled"


def test_config_delivers_into_the_baselines_logs_bucket(
    applied: tuple[LocalDeployment, Path, dict[str, Any]],
) -> None:
    deployment, _, result = applied
    outputs = result["outputs"]
    config = deployment.client("config", REGION)
    channels = config.describe_delivery_channels()["DeliveryChannels"]
    assert [c["s3BucketName"] for c in channels] == [outputs["logs_bucket_name"]]
    status = config.describe_configuration_recorder_status(
        ConfigurationRecorderNames=[outputs["config_recorder_name"]]
    )["ConfigurationRecordersStatus"]
    assert status[0]["recording"] is True
    detector = deployment.client("guardduty", REGION).get_detector(
        DetectorId=outputs["guardduty_detector_id"]
    )
    assert detector["Status"] == "ENABLED"
