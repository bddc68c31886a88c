"""Every command in INCIDENT_RESPONSE.md runs against the local AWS, and does what it says.

The runbook's fenced bash blocks are each preceded by a marker:
``<!-- runbook-test: NAME -->`` (run here, its effect asserted below) or
``<!-- not-run-locally: REASON -->`` (the local AWS cannot serve it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError

import images
from e2e.local_deployment import LocalDeployment
from helpers import ROOT, s3_event, scan_result_event

pytestmark = pytest.mark.slow

RUNBOOK = (ROOT / "INCIDENT_RESPONSE.md").read_text()
BLOCK = re.compile(
    r"<!-- (runbook-test|not-run-locally): ([^>]*?) -->\s*\n([ \t]*)```bash\n(.*?)^[ \t]*```",
    re.DOTALL | re.MULTILINE,
)


# The pinned shellcheck of the virtualenv that runs the tests (make setup), not the system's.
SHELLCHECK = str(Path(sys.executable).parent / "shellcheck")


def blocks() -> dict[str, str]:
    """Each runnable block as the reader copies it (a block in a list item loses its indent)."""
    found = {}
    for kind, name, indent, code in BLOCK.findall(RUNBOOK):
        if kind == "runbook-test":
            lines = code.splitlines(keepends=True)
            found[name.strip()] = "".join(line.removeprefix(indent) for line in lines)
    return found


def test_every_shell_block_is_marked() -> None:
    fenced = len(re.findall(r"^\s*```bash$", RUNBOOK, flags=re.MULTILINE))
    marked = len(BLOCK.findall(RUNBOOK))

    assert fenced == marked
    for kind, reason, _, _ in BLOCK.findall(RUNBOOK):
        if kind == "not-run-locally":
            assert len(reason.split()) >= 4, "say why the local AWS cannot run it"


def test_every_block_is_shellcheck_clean() -> None:
    every = [
        "".join(line.removeprefix(indent) for line in code.splitlines(keepends=True))
        for _, _, indent, code in BLOCK.findall(RUNBOOK)
    ]
    setup = blocks()["setup"]
    for code in every:
        script = f"#!/usr/bin/env bash\n{setup}\n{code}"
        # SC2034: the set-up's variables are for the reader's later commands.
        result = subprocess.run(
            [SHELLCHECK, "--shell=bash", "--exclude=SC2034", "-"],
            input=script, capture_output=True, text=True,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout


@pytest.fixture(scope="module")
def stack(shared_stack: LocalDeployment) -> tuple[LocalDeployment, dict[str, str]]:
    deployment = shared_stack
    names = deployment.outputs()
    s3 = deployment.client("s3")
    for key in ("uploads/suspect.png", "uploads/photo.png"):
        s3.put_object(Bucket=names["s3_bucket_name"], Key=key, Body=images.make("PNG"))
    process(deployment, names)
    return deployment, names


def process(deployment: LocalDeployment, names: dict[str, str]) -> None:
    result = subprocess.run(
        [ROOT / ".venv" / "bin" / "python", "scripts/local/local_lambda.py", "--once",
         "--function", names["lambda_function_name"]],
        env=deployment.aws_env, cwd=deployment.repo, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]


# What the set-up block leaves in the reader's shell (its variables and functions, as
# `declare -p` and `declare -f` print them), from one real run per local AWS.
SETUP_STATE: dict[str, str] = {}
# Before the set-up: the variables the shell has (bash's own and the environment).
LIST_VARIABLES = '_before_setup=" $(compgen -v | tr "\\n" " ") "\n'
# After the set-up, when it succeeded: every variable it made (not bash's own), every function.
DUMP_SETUP_STATE = r"""
(($? == 0)) || exit 1
for _variable in $(compgen -v); do
  [[ $_before_setup == *" $_variable "* || $_variable =~ ^(BASH.*|_.*|PIPESTATUS)$ ]] ||
    declare -p "$_variable"
done
declare -p NAME
declare -f
"""


def setup_state(deployment: LocalDeployment) -> str:
    """The set-up block run once on DEPLOYMENT's local AWS, as the shell code that restores what
    it left (its nine aws calls took about 5 s of CPU: once, not before each of some 40 blocks)."""
    if deployment.endpoint not in SETUP_STATE:
        script = LIST_VARIABLES + blocks()["setup"] + DUMP_SETUP_STATE
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", script],
            env={"NAME": "image-processor-local"} | deployment.aws_env, cwd=deployment.repo,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, f"setup:\n{result.stdout}\n{result.stderr}"
        printed, state = result.stdout.split("\n", 1)  # the set-up's "function=..." line first
        assert "declare -a SQS_ENDPOINT=" in state, result.stdout
        assert "queue_url ()" in state, result.stdout
        # The block's output starts with that line, as it did after the whole set-up.
        SETUP_STATE[deployment.endpoint] = f"printf '%s\\n' {shlex.quote(printed)}\n{state}"
    return SETUP_STATE[deployment.endpoint]


def run_block(
    deployment: LocalDeployment,
    name: str,
    *,
    env: dict[str, str] | None = None,
    check: bool = True,
    before: str = "",
    code: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """The set-up block, BEFORE (what the reader types in between), then block NAME (or CODE),
    pasted into one shell as a person would: no `set -e`, nothing on PATH the runbook does not
    set up, only what section 0 says to do first (`eval "$(scripts/local_aws.sh env)"`, which
    the deployment's environment stands for, and NAME). The shell's status is the last command's.
    The reader runs the set-up once and pastes the blocks after it into the same shell: a block
    other than "setup", in the deployment's own environment, starts from what the set-up left
    (setup_state); the set-up's own tests run it in full."""
    full = name == "setup" or env is not None
    setup = blocks()["setup"] if full else setup_state(deployment)
    script = setup + "\n" + before + "\n" + (blocks()[name] if code is None else code)
    environment = {"NAME": "image-processor-local"} | (env or deployment.aws_env)
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script],
        env=environment, cwd=deployment.repo, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if check:
        assert result.returncode == 0, f"{name}:\n{result.stdout}\n{result.stderr}"
    return result


NOT_RUN_LOCALLY = [
    pytest.param(
        "".join(line.removeprefix(indent) for line in code.splitlines(keepends=True)),
        id="-".join(re.findall(r"\baws ([a-z0-9-]+) ([a-z0-9-]+)", code)[-1]),
    )
    for kind, _, indent, code in BLOCK.findall(RUNBOOK)
    if kind == "not-run-locally"
]
# What the AWS CLI prints when it refuses a command without sending it.
CLI_REFUSALS = (
    "Unknown options", "usage: aws", "Invalid choice", "Parameter validation failed",
    "Unknown parameter", "Invalid type for parameter", "Error parsing parameter",
)  # fmt: skip


@pytest.mark.parametrize("code", NOT_RUN_LOCALLY)
def test_the_aws_cli_accepts_the_blocks_the_local_aws_cannot_serve(
    stack: tuple[LocalDeployment, dict[str, str]], code: str
) -> None:
    deployment, _ = stack

    # The local AWS answers with an error or nothing: only the CLI's own refusals count.
    result = run_block(deployment, "not-run-locally", code=code, check=False)

    assert not [refusal for refusal in CLI_REFUSALS if refusal in result.stderr], result.stderr


def test_setup_reads_the_outputs(stack: tuple[LocalDeployment, dict[str, str]]) -> None:
    deployment, names = stack

    result = run_block(deployment, "setup")

    assert f"function={names['lambda_function_name']}" in result.stdout


def test_setup_needs_no_terraform_state(stack: tuple[LocalDeployment, dict[str, str]]) -> None:
    deployment, names = stack
    # Someone without the deployer's state: no TF_DATA_DIR, no terraform at all.
    stateless = {k: v for k, v in deployment.aws_env.items() if k != "TF_DATA_DIR"}

    result = run_block(deployment, "setup", env=stateless, before='echo "$DLQ_URL $MAPPING"')

    assert f"function={names['lambda_function_name']}" in result.stdout
    assert f"{names['dead_letter_queue_url']} {names['event_source_mapping_uuid']}" in result.stdout


def test_setup_fails_loudly_for_a_stack_that_is_not_there(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, _ = stack

    result = run_block(deployment, "setup", env=deployment.aws_env | {"NAME": "not-deployed"},
                       check=False)  # fmt: skip

    assert result.returncode != 0
    assert "set-up incomplete for NAME=not-deployed" in result.stderr
    assert "function=" not in result.stdout


def test_a_block_after_the_replayed_setup_does_what_it_does_after_the_whole_setup(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> None:
    """The seam of setup_state: the same block (one that only reads, with a variable and an array
    of the set-up), once after the set-up run in full and once after the shell state it left,
    prints the same and ends the same."""
    deployment, _ = stack

    whole = run_block(deployment, "dlq-depth", env=deployment.aws_env)
    replayed = run_block(deployment, "dlq-depth")

    assert "function=image-processor-local" in whole.stdout
    assert (replayed.stdout, replayed.stderr) == (whole.stdout, whole.stderr)


def test_the_shell_survives_a_failing_command_after_the_setup(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, _ = stack

    result = run_block(deployment, "setup", before="false", code='echo "still here: $FUNCTION"')

    assert "still here: image-processor-local" in result.stdout
    assert "trap" not in result.stderr.lower()


def test_stop_and_resume_processing(stack: tuple[LocalDeployment, dict[str, str]]) -> None:
    deployment, names = stack
    lam, s3 = deployment.client("lambda"), deployment.client("s3")
    mapping = names["event_source_mapping_uuid"]

    run_block(deployment, "stop-processing")
    run_block(deployment, "stop-processing")  # the 3 a.m. double run
    stopped = lam.get_event_source_mapping(UUID=mapping)["State"]
    s3.put_object(
        Bucket=names["s3_bucket_name"], Key="uploads/while-stopped.png", Body=images.make("PNG")
    )
    process(deployment, names)  # what Lambda would do: nothing, the mapping is off
    waited = record_of(deployment, names, "uploads/while-stopped.png")
    run_block(deployment, "resume-processing")
    run_block(deployment, "resume-processing")
    resumed = lam.get_event_source_mapping(UUID=mapping)["State"]
    process(deployment, names)

    assert stopped == "Disabled"
    assert waited is None  # it waited in the uploads queue: no record, no failure
    assert resumed == "Enabled"
    assert record_of(deployment, names, "uploads/while-stopped.png")["status"]["S"] == "PROCESSED"


def test_lower_the_cap(stack: tuple[LocalDeployment, dict[str, str]]) -> None:
    deployment, names = stack
    lam, mapping = deployment.client("lambda"), names["event_source_mapping_uuid"]
    before = lam.get_event_source_mapping(UUID=mapping)["ScalingConfig"]

    result = run_block(deployment, "lower-the-cap")
    lowered = lam.get_event_source_mapping(UUID=mapping)["ScalingConfig"]
    lam.update_event_source_mapping(UUID=mapping, ScalingConfig=before)

    assert lowered == {"MaximumConcurrency": 2}
    assert result.stdout.strip().endswith("2")


def test_the_uploads_queue_depth_and_mapping_are_shown(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, _ = stack

    result = run_block(deployment, "uploads-queue-depth")

    assert '"ApproximateNumberOfMessages": "0"' in result.stdout
    assert '"state": "Enabled"' in result.stdout
    assert '"cap": 5' in result.stdout


def statements(s3: Any, bucket: str) -> list[dict[str, Any]]:
    return cast(
        "list[dict[str, Any]]",
        json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"],
    )


def test_block_twice_then_unblock_leaves_uploads_open(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, names = stack
    s3, bucket = deployment.client("s3"), names["s3_bucket_name"]
    before = statements(s3, bucket)

    run_block(deployment, "block-uploads")
    run_block(deployment, "block-uploads")  # the 3 a.m. double run
    blocked_statements = statements(s3, bucket)
    with pytest.raises(ClientError) as blocked:
        s3.put_object(Bucket=bucket, Key="uploads/during-incident.png", Body=b"x")
    run_block(deployment, "unblock-uploads")
    run_block(deployment, "unblock-uploads")  # and unblocking what is not blocked
    s3.put_object(Bucket=bucket, Key="uploads/after-incident.png", Body=images.make("PNG"))

    assert blocked.value.response["Error"]["Code"] in ("AccessDenied", "403")
    assert [s.get("Sid") for s in blocked_statements].count("IncidentBlockUploads") == 1
    assert statements(s3, bucket) == before  # every other statement kept as it was


def test_find_the_record_of_an_upload(stack: tuple[LocalDeployment, dict[str, str]]) -> None:
    deployment, _ = stack

    result = run_block(deployment, "find-record")

    assert "PROCESSED" in result.stdout
    assert re.search(r"[0-9a-f]{64}", result.stdout)  # the upload's sha256


def test_access_logs_name_the_object(stack: tuple[LocalDeployment, dict[str, str]]) -> None:
    deployment, _ = stack

    result = run_block(deployment, "access-logs")

    # moto logs object PUTs as REST.PUT.BUCKET; AWS writes REST.PUT.OBJECT. Both say PUT.
    lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert lines
    assert any("PUT" in line for line in lines)


def test_quarantine_copies_the_version_the_record_names(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, names = stack
    s3, bucket = deployment.client("s3"), names["s3_bucket_name"]
    record = deployment.client("dynamodb").get_item(
        TableName=names["dynamodb_table_name"], Key={"object_key": {"S": "uploads/suspect.png"}}
    )["Item"]
    # A newer upload of the same key, not processed yet: not the one to keep.
    newer = images.make("PNG", size=(64, 48))
    s3.put_object(Bucket=bucket, Key="uploads/suspect.png", Body=newer)

    run_block(deployment, "quarantine")

    kept = s3.get_object(Bucket=bucket, Key="quarantine/suspect.png")["Body"].read()
    tags = s3.get_object_tagging(Bucket=bucket, Key="quarantine/suspect.png")["TagSet"]
    assert hashlib.sha256(kept).hexdigest() == record["sha256"]["S"]
    assert kept != newer
    assert {"Key": "incident", "Value": "quarantined"} in tags
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="uploads/suspect.png")


def send_failed_event(deployment: LocalDeployment, names: dict[str, str], key: str) -> None:
    """What the uploads queue moves to the failed-events queue once an upload's deliveries ran out:
    S3's event, unchanged."""
    s3, bucket = deployment.client("s3"), names["s3_bucket_name"]
    body = images.make("PNG")
    version = s3.put_object(Bucket=bucket, Key=key, Body=body)["VersionId"]
    sqs = deployment.client("sqs")
    # S3 queued its own event for the upload: take it out, as the failed deliveries would.
    take_s3_event(sqs, names["uploads_queue_url"], key)
    event = s3_event(
        bucket, key, size=len(body), version_id=version, sequencer=f"{time.time_ns() // 1000:016X}"
    )
    sqs.send_message(QueueUrl=names["dead_letter_queue_url"], MessageBody=json.dumps(event))


def take_s3_event(sqs: Any, queue: str, key: str) -> None:
    """Delete S3's event for `key` from `queue`, leaving every other message as it was.

    (Not PurgeQueue: SQS allows one a minute per queue, and the tests share the stack.)
    """
    held: list[str] = []
    try:
        for _ in range(20):
            messages = sqs.receive_message(
                QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=60
            ).get("Messages", [])
            for message in messages:
                records = json.loads(message["Body"]).get("Records") or [{}]
                if records[0].get("s3", {}).get("object", {}).get("key") == key:
                    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
                    return
                held.append(message["ReceiptHandle"])
            if not messages:
                break
        raise AssertionError(f"S3's event for {key} never reached {queue}")
    finally:
        for handle in held:
            sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=0)


def purge(sqs: Any, queue: str) -> None:
    """PurgeQueue, waiting out SQS's one purge a minute per queue."""
    for _ in range(14):
        try:
            sqs.purge_queue(QueueUrl=queue)
            return
        except sqs.exceptions.PurgeQueueInProgress:
            time.sleep(5)
    sqs.purge_queue(QueueUrl=queue)


def queue_depth(deployment: LocalDeployment, names: dict[str, str]) -> int:
    attributes = deployment.client("sqs").get_queue_attributes(
        QueueUrl=names["dead_letter_queue_url"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def record_of(deployment: LocalDeployment, names: dict[str, str], key: str) -> Any:
    """The item of ``key``, or None (Any, as the tests index it without a check first)."""
    return (
        deployment.client("dynamodb")
        .get_item(TableName=names["dynamodb_table_name"], Key={"object_key": {"S": key}})
        .get("Item")
    )


def test_replay_while_processing_is_stopped_moves_the_event_to_wait_in_the_uploads_queue(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, names = stack
    send_failed_event(deployment, names, "uploads/replay-stopped.png")
    run_block(deployment, "stop-processing")
    try:
        replayed = run_block(deployment, "replay-failed-events")
        again = run_block(deployment, "replay-failed-events")
        process(deployment, names)  # the mapping is off: nothing runs
        while_stopped = record_of(deployment, names, "uploads/replay-stopped.png")
    finally:
        run_block(deployment, "resume-processing")
    process(deployment, names)

    assert "replayed 1 event(s)" in replayed.stdout
    assert "replayed 0 event(s)" in again.stdout
    assert queue_depth(deployment, names) == 0
    assert while_stopped is None
    assert record_of(deployment, names, "uploads/replay-stopped.png")["status"]["S"] == "PROCESSED"


def test_the_replay_refuses_forged_events_and_replays_a_valid_one(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> None:
    """Issue 20, item 3: a message planted in the failed-events queue is not replayed.

    The planting is what the queue's policy denies on AWS (DenyEverySender,
    terraform/tests/pipeline.tftest.hcl); the local AWS does not evaluate queue
    policies, so the replay's own check is what is tested here.
    """
    deployment, names = stack
    sqs, bucket = deployment.client("sqs"), names["s3_bucket_name"]
    dlq, uploads = names["dead_letter_queue_url"], names["uploads_queue_url"]
    forged = {
        # The attack: a clean verdict for an upload nobody scanned (malware gating is off here).
        "a GuardDuty scan result, but malware gating is off": scan_result_event(
            bucket, "uploads/infected.png"
        ),
        "an object of bucket another-bucket": s3_event(
            "another-bucket", "uploads/x.png", size=1, sequencer="0A"
        ),
        "the key processed/thumb.png is outside uploads/": s3_event(
            bucket, "processed/thumb.png", size=1, sequencer="0B"
        ),
        "neither an S3 event nor a GuardDuty scan result": {"not": "an event"},
        "the body is not a JSON object": ["not", "an", "object"],
    }
    try:
        for event in forged.values():
            sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(event))
        send_failed_event(deployment, names, "uploads/replay-valid.png")

        first = run_block(deployment, "replay-failed-events")
        second = run_block(deployment, "replay-failed-events")  # the 3 a.m. double run
        replayed = sqs.receive_message(QueueUrl=uploads, MaxNumberOfMessages=10).get("Messages", [])
        left = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0)
    finally:
        purge(sqs, dlq)  # the forged events must not outlive the test

    refusals = [line for line in first.stdout.splitlines() if line.startswith("refused ")]
    assert "replayed 1 event(s), refused 5" in first.stdout
    assert "replayed 0 event(s), refused 5" in second.stdout
    assert len(refusals) == 5
    for reason in forged:
        assert len([line for line in refusals if f": {reason}" in line]) == 1, reason
    assert all(line.endswith("; left in the failed-events queue") for line in refusals)
    assert [json.loads(m["Body"])["Records"][0]["s3"]["object"]["key"] for m in replayed] == [
        "uploads/replay-valid.png"
    ]
    assert sorted(m["Body"] for m in left.get("Messages", [])) == sorted(
        json.dumps(event) for event in forged.values()
    )  # visible again, unchanged, where the alarm sees them
    for message in replayed:
        sqs.change_message_visibility(
            QueueUrl=uploads, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    process(deployment, names)
    assert record_of(deployment, names, "uploads/replay-valid.png")["status"]["S"] == "PROCESSED"
    assert record_of(deployment, names, "uploads/infected.png") is None


def test_dlq_depth_is_reported(stack: tuple[LocalDeployment, dict[str, str]]) -> None:
    deployment, _ = stack

    result = run_block(deployment, "dlq-depth")

    report = result.stdout.split("\n", 1)[1]  # after the set-up block's own line
    assert json.loads(report)["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_undelivered_alerts_are_shown_and_left_in_the_queue(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, names = stack
    sqs = deployment.client("sqs")
    queue = names["undelivered_events_queue_url"]
    alert = json.dumps(
        {"detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": "DisableKey"}}
    )
    sqs.send_message(QueueUrl=queue, MessageBody=alert)
    try:
        shown = run_block(deployment, "undelivered-events")
        left = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    finally:
        purge(sqs, queue)
    empty = run_block(deployment, "undelivered-events")

    assert json.loads(shown.stdout.split("\n", 1)[1]) == [alert]
    assert [message["Body"] for message in left] == [alert]  # read, not removed
    assert empty.stdout.split("\n", 1)[1].strip() == "null"


def test_failed_sweeps_are_shown_with_why_and_left_in_the_queue(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, _ = stack
    sqs = deployment.client("sqs")
    queue = sqs.get_queue_url(QueueName="image-processor-local-failed-sweeps")["QueueUrl"]
    # What Lambda sends to a dead-letter queue: the event, and why in its attributes
    # (https://docs.aws.amazon.com/lambda/latest/dg/dlq.html).
    why = "Task timed out after 60.00 seconds"
    sqs.send_message(
        QueueUrl=queue,
        MessageBody=json.dumps({"source": "aws.events", "detail-type": "Scheduled Event"}),
        MessageAttributes={"ErrorMessage": {"DataType": "String", "StringValue": why}},
    )
    try:
        shown = run_block(deployment, "failed-sweeps")
        left = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    finally:
        purge(sqs, queue)

    assert json.loads(shown.stdout.split("\n", 1)[1]) == [why]
    assert len(left) == 1  # read, not removed


@pytest.mark.parametrize(
    ("output", "variable"),
    [("security_kms_key_arn", "SECURITY_KEY_ID"), ("audit_kms_key_arn", "AUDIT_KEY_ID")],
)
def test_the_key_state_block_reads_the_security_and_audit_keys_too(
    stack: tuple[LocalDeployment, dict[str, str]], output: str, variable: str
) -> None:
    deployment, names = stack
    kms = deployment.client("kms")
    key_id = names[output].rsplit("/", 1)[1]
    kms.disable_key(KeyId=key_id)
    try:
        # As the runbook says: the same block, with KEY_ID=$SECURITY_KEY_ID (or $AUDIT_KEY_ID).
        result = run_block(deployment, "key-state", before=f"KEY_ID=${variable}")
    finally:
        kms.enable_key(KeyId=key_id)

    assert "state: Disabled | deletion date: none" in result.stdout


def test_reprocess_an_object_by_copying_it_onto_itself(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, names = stack
    before = deployment.client("dynamodb").get_item(
        TableName=names["dynamodb_table_name"], Key={"object_key": {"S": "uploads/photo.png"}}
    )["Item"]

    run_block(deployment, "reprocess-object")
    process(deployment, names)

    after = deployment.client("dynamodb").get_item(
        TableName=names["dynamodb_table_name"], Key={"object_key": {"S": "uploads/photo.png"}}
    )["Item"]
    assert after["version_id"] != before["version_id"]
    assert after["status"]["S"] == "PROCESSED"


def test_cancel_a_key_deletion(stack: tuple[LocalDeployment, dict[str, str]]) -> None:
    deployment, names = stack
    kms = deployment.client("kms")
    key_id = names["kms_key_arn"].rsplit("/", 1)[1]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    result = run_block(deployment, "cancel-key-deletion")

    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert "Enabled" in result.stdout


def test_key_state_prints_the_deletion_date_in_utc(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, names = stack
    kms = deployment.client("kms")
    key_id = names["kms_key_arn"].rsplit("/", 1)[1]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    expected = kms.describe_key(KeyId=key_id)["KeyMetadata"]["DeletionDate"]
    try:
        pending = run_block(deployment, "key-state")
    finally:
        kms.cancel_key_deletion(KeyId=key_id)
        kms.enable_key(KeyId=key_id)
    enabled = run_block(deployment, "key-state")

    # The AWS CLI v1 would print 1733...; the reader gets a date.
    assert f"deletion date: {expected.isoformat(timespec='seconds')}" in pending.stdout
    assert "state: PendingDeletion" in pending.stdout
    assert "state: Enabled | deletion date: none" in enabled.stdout


def test_table_encryption_is_shown(stack: tuple[LocalDeployment, dict[str, str]]) -> None:
    deployment, _ = stack

    result = run_block(deployment, "table-encryption")

    report = json.loads(result.stdout.split("\n", 1)[1])
    assert report["status"] == "ACTIVE"
    assert report["key_inaccessible_since"] is None


def test_lifecycle_rules_are_shown(stack: tuple[LocalDeployment, dict[str, str]]) -> None:
    deployment, _ = stack

    result = run_block(deployment, "lifecycle")

    assert "expire-uploads" in result.stdout


def test_the_trail_block_shows_where_each_trail_writes_and_whether_it_logs(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, names = stack
    cloudtrail = deployment.client("cloudtrail")
    (trail,) = cloudtrail.describe_trails()["trailList"]  # the stack's, <name>-trail

    logs = run_block(deployment, "trail-changed").stdout.splitlines()[1:]
    cloudtrail.stop_logging(Name=trail["TrailARN"])  # what the alarm reports
    try:
        stopped = run_block(deployment, "trail-changed").stdout.splitlines()[1:]
    finally:
        cloudtrail.start_logging(Name=trail["TrailARN"])

    # Name, bucket, key and multi-region; then each trail's ARN, IsLogging and delivery error.
    where = "\t".join(["image-processor-local-trail", names["audit_bucket_name"],
                       names["audit_kms_key_arn"], "True"])  # fmt: skip
    assert logs == [where, f"{trail['TrailARN']}\tTrue\tNone"]
    assert stopped == [where, f"{trail['TrailARN']}\tFalse\tNone"]


def test_the_resource_policy_block_shows_the_policies_in_force(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, names = stack
    s3, bucket = deployment.client("s3"), names["s3_bucket_name"]
    queue = deployment.client("sqs").get_queue_attributes(
        QueueUrl=names["undelivered_events_queue_url"], AttributeNames=["Policy"]
    )["Attributes"]

    result = run_block(deployment, "resource-policy-changed")

    # The bucket policy, as one line of JSON, then the public access block, then the queue's.
    policy, rest = result.stdout.split("\n", 1)[1].split("\n", 1)
    assert json.loads(policy) == json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    blocked, shown = rest.split("\n}\n", 1)
    assert json.loads(blocked + "\n}")["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
        True,
    )
    attributes = json.loads(shown)["Attributes"]
    assert attributes["KmsMasterKeyId"] == names["security_kms_key_arn"]
    assert json.loads(attributes["Policy"]) == json.loads(queue["Policy"])


def test_the_function_block_shows_the_build_in_force_its_concurrency_and_its_mapping(
    stack: tuple[LocalDeployment, dict[str, str]],
) -> None:
    deployment, names = stack
    awslambda, name = deployment.client("lambda"), names["lambda_function_name"]
    package = (deployment.repo / "dist" / "lambda.zip").read_bytes()
    build = base64.b64encode(hashlib.sha256(package).digest()).decode()
    function = awslambda.get_function(FunctionName=name)["Configuration"]
    uploads_queue = deployment.client("sqs").get_queue_attributes(
        QueueUrl=names["uploads_queue_url"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    awslambda.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=3)
    try:
        result = run_block(deployment, "function-changed")
    finally:  # the stack reserves none (lambda_reserved_concurrency = null)
        awslambda.delete_function_concurrency(FunctionName=name)

    lines = result.stdout.splitlines()[1:]
    # CodeSha256 is the build's, and the openssl line prints the same; then the rest in force.
    assert lines[:2] == [
        "\t".join([build, function["LastModified"], function["Role"], names["kms_key_arn"]]),
        build,
    ]
    assert json.loads("\n".join(lines[2:-1])) == {"ReservedConcurrentExecutions": 3}
    assert lines[-1] == "\t".join([names["event_source_mapping_uuid"], "Enabled", uploads_queue])
