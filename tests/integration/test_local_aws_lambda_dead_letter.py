"""The local AWS keeps a function's dead-letter queue, as Lambda does.

The stack's function names a queue for the events of failed asynchronous
invocations (its DeadLetterConfig:
https://docs.aws.amazon.com/lambda/latest/api/API_DeadLetterConfig.html);
Terraform reads it back after the apply and Prowler reads it from
ListFunctions. moto alone drops it (scripts/local/moto_server.py, 5.).
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from local_aws import LocalAWS, local_aws_fixture  # noqa: F401 - the fixture


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
