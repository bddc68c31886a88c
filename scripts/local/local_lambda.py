#!/usr/bin/env python3
"""The uploads queue -> Lambda hop of the local AWS, which cannot run Lambda code.

moto's server holds the deployed function, the uploads queue S3 sends its
events into, and the event source mapping between them, but cannot execute the
code (that needs Docker). This runner does what the mapping would
(https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html): it receives
batches of up to BatchSize messages, runs up to the mapping's
MaximumConcurrency batches at a time through ``lambda_function.handler``
in-process (the deployed function's environment variables, its role's
credentials), deletes the messages the handler did not report in
``batchItemFailures``, and leaves those (or the whole batch, when the handler
raises) to reappear after the visibility timeout. The queue itself moves a
message to the failed-events queue after its receive limit.

A disabled mapping ("stop processing") receives nothing, and a function whose
KMS key cannot decrypt its environment is not run (Lambda's
KMSDisabledException or KMSInvalidStateException): its batch stays in the queue.

    python scripts/local/local_lambda.py --function NAME --once    # until the queue is drained
    python scripts/local/local_lambda.py --function NAME --watch   # until Ctrl-C

It talks to the endpoint in AWS_ENDPOINT_URL and refuses to run without one.
Exit status: 0 when every delivery succeeded, 1 when any failed (they stay
queued, as on AWS), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from types_boto3_kms import KMSClient
    from types_boto3_lambda import LambdaClient
    from types_boto3_lambda.type_defs import FunctionConfigurationResponseTypeDef
    from types_boto3_sqs import SQSClient
    from types_boto3_sqs.type_defs import MessageTypeDef, ReceiveMessageRequestTypeDef
    from types_boto3_sts import STSClient

REPO_ROOT = Path(__file__).resolve().parents[2]
# The Lambda API's errors when the function's environment cannot be decrypted
# (botocore: Lambda.Client.exceptions.KMSDisabledException, KMSInvalidStateException).
KMS_DISABLED = (
    "KMSDisabledException: Lambda couldn't decrypt the environment variables "
    "because the KMS key used is disabled. Check the Lambda function's KMS key settings."
)
KMS_INVALID_STATE = (
    "KMSInvalidStateException: Lambda couldn't decrypt the environment variables "
    "because the state of the KMS key used is not valid for Decrypt. "
    "Check the function's KMS key settings."
)
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class LocalContext:
    """The parts of the Lambda context object the handler uses."""

    memory_limit_in_mb: str
    timeout_ms: int
    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.timeout_ms - int((time.monotonic() - self._started) * 1000))


@dataclass
class Mapping:
    """The event source mapping of an SQS queue to the function, as Lambda reports it."""

    uuid: str
    queue_arn: str
    queue_url: str
    enabled: bool
    batch_size: int
    maximum_concurrency: int


@dataclass
class Tally:
    """What a run delivered: one outcome per upload, and the messages left queued."""

    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    messages: int = 0
    redelivered: int = 0  # messages received more than once (ApproximateReceiveCount > 1)
    failed: int = 0  # messages reported failed or in a batch that raised: they reappear
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self) -> str:
        done = ", ".join(f"{n} {status.lower()}" for status, n in sorted(self.outcomes.items()))
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(self.reasons.items()))
        return (
            f"{self.messages} message(s) in {self.batches} batch(es): {done or 'no uploads'}"
            + (f" (rejected: {reasons})" if reasons else "")
            + f"; {self.failed} failed and left queued; {self.redelivered} redelivered"
        )


def mappings(lam: LambdaClient, sqs: SQSClient, function_arn: str) -> list[Mapping]:
    """The function's SQS mappings. (Filtered here by ARN: plain moto's FunctionName filter
    matches only the text the mapping was created with; moto_server.py, 12., corrects it.)"""
    found = []
    for page in lam.get_paginator("list_event_source_mappings").paginate():
        for m in page["EventSourceMappings"]:
            arn = m["EventSourceArn"]
            if m.get("FunctionArn") != function_arn or arn.split(":")[2] != "sqs":
                continue
            account, name = arn.split(":")[4], arn.split(":")[5]
            url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            found.append(
                Mapping(
                    uuid=m["UUID"],
                    queue_arn=arn,
                    queue_url=url,
                    enabled=m.get("State", "Enabled") == "Enabled",
                    batch_size=int(m.get("BatchSize", 10)),
                    # Without a cap, Lambda scales up to 1,000 batches at once; a laptop cannot.
                    maximum_concurrency=int(
                        (m.get("ScalingConfig") or {}).get("MaximumConcurrency", 10)
                    ),
                )
            )
    return found


def sqs_event(messages: list[MessageTypeDef], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS mapping sends (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def load_handler(environment: dict[str, str]) -> Handler:
    os.environ.update(environment)
    sys.path.insert(0, str(REPO_ROOT / "lambda"))
    handler: Handler = importlib.import_module("lambda_function").handler
    return handler


def invoke_error(kms: KMSClient, function: FunctionConfigurationResponseTypeDef) -> str | None:
    """Lambda's error on invoke when the key of the function's environment cannot decrypt."""
    key = function.get("KMSKeyArn")
    if not key:  # Lambda's own key (aws/lambda)
        return None
    state = kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"]
    if state == "Enabled":
        return None
    return KMS_DISABLED if state == "Disabled" else f"{KMS_INVALID_STATE} (key state {state})"


def role_environment(
    sts: STSClient, function: FunctionConfigurationResponseTypeDef
) -> dict[str, str]:
    """The credentials Lambda gives the function: a session of its execution role."""
    credentials = sts.assume_role(
        RoleArn=function["Role"], RoleSessionName=function["FunctionName"]
    )["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


class Runner:
    """One function's event source mappings, consumed like Lambda would."""

    def __init__(
        self,
        function_name: str,
        *,
        visibility_timeout: int | None = None,
        load: Callable[[dict[str, str]], Handler] = load_handler,
        out: Callable[[str], None] = print,
        session: boto3.Session | None = None,
    ) -> None:
        # The runner's own clients use the caller's credentials; the handler gets the role's.
        session = session or boto3.Session()
        self.lam = session.client("lambda")
        self.sqs = session.client("sqs")
        self.kms = session.client("kms")
        self.sts = session.client("sts")
        self.region = session.region_name or "us-east-1"
        self.function = self.lam.get_function_configuration(FunctionName=function_name)
        self.visibility_timeout = visibility_timeout
        self._load = load
        self._handler: Handler | None = None
        self._out = out
        self.tally = Tally()

    def handler(self) -> Handler:
        if self._handler is None:
            environment = self.function.get("Environment", {}).get("Variables", {})
            self._handler = self._load(environment | role_environment(self.sts, self.function))
        return self._handler

    def receive(self, mapping: Mapping) -> list[MessageTypeDef]:
        request: ReceiveMessageRequestTypeDef = {
            "QueueUrl": mapping.queue_url,
            "MaxNumberOfMessages": mapping.batch_size,
            "AttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
            "WaitTimeSeconds": 0,
        }
        if self.visibility_timeout is not None:
            request["VisibilityTimeout"] = self.visibility_timeout
        return self.sqs.receive_message(**request).get("Messages", [])

    def run_batch(self, mapping: Mapping, messages: list[MessageTypeDef]) -> None:
        """One invocation: the handler's partial batch response decides what is deleted."""
        context = LocalContext(
            memory_limit_in_mb=str(self.function["MemorySize"]),
            timeout_ms=self.function["Timeout"] * 1000,
            function_name=self.function["FunctionName"],
        )
        with self.tally.lock:
            self.tally.batches += 1
            self.tally.messages += len(messages)
            self.tally.redelivered += sum(
                int(m.get("Attributes", {}).get("ApproximateReceiveCount", "1")) > 1
                for m in messages
            )
        refused = invoke_error(self.kms, self.function)
        if refused:
            self._left_queued(messages, f"not invoked: {refused}")
            return
        try:
            result = self.handler()(sqs_event(messages, mapping.queue_arn, self.region), context)
        except Exception as e:  # noqa: BLE001 - what Lambda does with a function error
            self._left_queued(messages, f"the function raised {type(e).__name__}: {e}")
            return
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=mapping.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(done[start : start + 10])
                ],
            )
        with self.tally.lock:
            self.tally.failed += len(failed)
            for outcome in result.get("outcomes", []):
                self.tally.outcomes[outcome["status"]] += 1
                if outcome.get("reason") and outcome["status"] == "REJECTED":
                    self.tally.reasons[outcome["reason"]] += 1
        for outcome in result.get("outcomes", []):
            reason = f" ({outcome['reason']})" if outcome.get("reason") else ""
            self._out(f"  {outcome['status']:<10} {outcome['object_key']}{reason}")
        if failed:
            self._out(
                f"  {len(failed)} message(s) failed: queued again after the visibility timeout"
            )

    def _left_queued(self, messages: list[MessageTypeDef], why: str) -> None:
        with self.tally.lock:
            self.tally.failed += len(messages)
        self._out(f"  {len(messages)} message(s) left queued: {why}")

    def drain(self, mapping: Mapping) -> int:
        """Receive and run batches until a receive comes back empty; returns batches run."""
        runs = 0
        with ThreadPoolExecutor(max_workers=mapping.maximum_concurrency) as pool:
            while True:
                batches = []
                for _ in range(mapping.maximum_concurrency):
                    messages = self.receive(mapping)
                    if not messages:
                        break
                    batches.append(messages)
                if not batches:
                    return runs
                list(pool.map(lambda b: self.run_batch(mapping, b), batches))
                runs += len(batches)

    def run(self, watch: bool = False, interval: float = 1.0) -> int:
        notice = None
        while True:
            found = mappings(self.lam, self.sqs, self.function["FunctionArn"])
            if not found:
                self._out(f"no SQS event source mapping feeds {self.function['FunctionName']}")
                return 1
            for mapping in found:
                if not mapping.enabled:
                    message = (
                        f"processing stopped: the mapping {mapping.uuid} is disabled; "
                        "uploads wait in the queue"
                    )
                    if message != notice:  # once, not on every poll of --watch
                        self._out(message)
                    notice = message
                    continue
                notice = None
                self.drain(mapping)
            if not watch:
                return 1 if self.tally.failed else 0
            time.sleep(interval)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        epilog="Exit status: 0 all delivered, 1 some failed (they stay queued), 2 usage error.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="drain the queue, then exit (default)")
    mode.add_argument("--watch", action="store_true", help="keep consuming until interrupted")
    parser.add_argument("--function", required=True, help="deployed function name")
    parser.add_argument(
        "--visibility-timeout",
        type=int,
        help="seconds a received message stays invisible (default: the queue's own)",
    )
    parser.add_argument(
        "--interval", type=float, default=1.0, help="seconds between polls (--watch)"
    )
    args = parser.parse_args()
    if not os.environ.get("AWS_ENDPOINT_URL"):
        parser.error("AWS_ENDPOINT_URL is not set: this runner only talks to the local AWS")
    try:
        runner = Runner(args.function, visibility_timeout=args.visibility_timeout)
        code = runner.run(args.watch, args.interval)
    except KeyboardInterrupt:
        return 0
    except (BotoCoreError, ClientError) as e:
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        return 1
    print(runner.tally.summary())
    return code


if __name__ == "__main__":
    sys.exit(main())
