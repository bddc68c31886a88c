"""A disabled data key cannot suppress its own SEV1 alert (issue 10, item 1).

Deploys the real stack to the local AWS (deploy.sh --local), disables the
DATA key with the real aws CLI, and checks that the alert path still works:
the security-alerts topic is encrypted with the security key, which stays
Enabled, and publishing to it and dead-lettering into the undelivered-events
queue both succeed.

What the local AWS cannot prove: moto does not check a topic's or queue's
KMS key state on Publish or SendMessage (the notifications topic, on the
disabled data key, accepts a publish too; the test records that), so the
publish succeeding here is evidence of wiring, not of SNS's behaviour. What
AWS does with a disabled key is asserted through what can be read back: which
key each resource names, and that key's state.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import cast

import pytest

from e2e.local_deployment import LocalDeployment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(shared_stack: LocalDeployment) -> tuple[LocalDeployment, dict[str, str]]:
    return shared_stack, shared_stack.outputs()


def aws(deployment: LocalDeployment, *args: str) -> subprocess.CompletedProcess[str]:
    """The real aws CLI against the local AWS (v1 ignores AWS_ENDPOINT_URL for SQS)."""
    return subprocess.run(
        ["aws", "--endpoint-url", deployment.endpoint, "--output", "json", *args],
        env=deployment.aws_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def key_state(deployment: LocalDeployment, arn: str) -> str:
    # moto's DescribeKey accepts the id; AWS accepts the id or the ARN.
    described = aws(deployment, "kms", "describe-key", "--key-id", arn.rsplit("/", 1)[1])
    assert described.returncode == 0, described.stderr
    return cast(str, json.loads(described.stdout)["KeyMetadata"]["KeyState"])


@pytest.fixture(scope="module")
def data_key_disabled(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> Iterator[tuple[LocalDeployment, dict[str, str]]]:
    deployment, names = stack
    # moto's DisableKey fails with HTTP 500 on an ARN: pass the key id.
    disabled = aws(
        deployment, "kms", "disable-key", "--key-id", names["kms_key_arn"].rsplit("/", 1)[1]
    )
    assert disabled.returncode == 0, disabled.stderr
    yield deployment, names
    # The stack is shared (tests/e2e/conftest.py): the key goes back as it was.
    enabled = aws(
        deployment, "kms", "enable-key", "--key-id", names["kms_key_arn"].rsplit("/", 1)[1]
    )
    assert enabled.returncode == 0, enabled.stderr


def test_the_data_key_is_disabled_and_the_security_key_is_not(
    data_key_disabled: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, names = data_key_disabled

    assert key_state(deployment, names["kms_key_arn"]) == "Disabled"
    assert key_state(deployment, names["security_kms_key_arn"]) == "Enabled"
    assert names["security_kms_key_arn"] != names["kms_key_arn"]


def test_the_alert_topic_is_on_the_security_key_and_publishing_succeeds(
    data_key_disabled: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, names = data_key_disabled
    topic = names["security_alerts_topic"]

    attributes = aws(deployment, "sns", "get-topic-attributes", "--topic-arn", topic)
    published = aws(deployment, "sns", "publish", "--topic-arn", topic,
                    "--subject", "SEV1 test", "--message", "data key disabled")  # fmt: skip

    assert attributes.returncode == 0, attributes.stderr
    assert (
        json.loads(attributes.stdout)["Attributes"]["KmsMasterKeyId"]
        == names["security_kms_key_arn"]
    )
    assert published.returncode == 0, published.stderr
    assert json.loads(published.stdout)["MessageId"]


def test_the_undelivered_events_queue_is_on_the_security_key_and_accepts_an_event(
    data_key_disabled: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, names = data_key_disabled
    queue = names["undelivered_events_queue_url"]

    attributes = aws(deployment, "sqs", "get-queue-attributes", "--queue-url", queue,
                     "--attribute-names", "KmsMasterKeyId")  # fmt: skip
    sent = aws(deployment, "sqs", "send-message", "--queue-url", queue, "--message-body", "{}")

    assert attributes.returncode == 0, attributes.stderr
    assert (
        json.loads(attributes.stdout)["Attributes"]["KmsMasterKeyId"]
        == names["security_kms_key_arn"]
    )
    assert sent.returncode == 0, sent.stderr


def test_the_key_state_rule_targets_the_alert_topic_with_retries_and_the_queue(
    data_key_disabled: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, names = data_key_disabled
    rule = f"{names['lambda_function_name']}-kms-key-state"

    pattern = json.loads(
        json.loads(aws(deployment, "events", "describe-rule", "--name", rule).stdout)[
            "EventPattern"
        ]
    )
    targets = json.loads(aws(deployment, "events", "list-targets-by-rule", "--rule", rule).stdout)[
        "Targets"
    ]
    # The security-alerts topic (security key) and the key-alerts topic (data
    # key): each key's alert also travels on the other key (key_alerts.tf).
    [target] = [t for t in targets if t["Arn"] == names["security_alerts_topic"]]
    others = [t["Arn"] for t in targets if t is not target]

    assert names["kms_key_arn"] in pattern["detail"]["resources"]["ARN"]
    key_alerts = f"{names['lambda_function_name']}-key-alerts"
    assert [arn.rsplit(":", 1)[1] for arn in others] == [key_alerts]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert target["DeadLetterConfig"]["Arn"].endswith(
        ":" + names["undelivered_events_queue_url"].rsplit("/", 1)[1]
    )


def test_what_the_local_aws_does_not_enforce_is_recorded(
    data_key_disabled: tuple[LocalDeployment, dict[str, str]],
) -> None:
    # On AWS, SNS cannot encrypt for a topic whose key is disabled; moto
    # accepts the publish. If this ever fails, moto started enforcing key
    # state, and the test above becomes a proof of SNS's behaviour too.
    deployment, names = data_key_disabled
    published = aws(deployment, "sns", "publish", "--topic-arn", names["notifications_topic_arn"],
                    "--message", "on the disabled data key")  # fmt: skip

    assert published.returncode == 0, published.stderr
