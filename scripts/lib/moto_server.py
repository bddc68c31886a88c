"""moto's server, with two corrections where it differs from AWS.

1. Bucket policies.

moto 5.2.5 enforces bucket policies on object requests, but it evaluates them
without the request's context: no `aws:SecureTransport`, no encryption
headers. A condition on a key it does not have counts as *met*, so every
conditional Deny applies to every request: a TLS-only policy (Deny when
`aws:SecureTransport` is false) refuses all uploads, downloads and deletes,
over TLS or not. Real AWS evaluates those conditions and lets a normal
request through.

This wrapper lets a statement whose conditions moto cannot evaluate (it has
no context values) not apply. Unconditional statements are enforced as
before, so a plain Deny (INCIDENT_RESPONSE.md, "Block new uploads") still
blocks.

2. CloudTrail DeleteTrail. AWS accepts a trail's name or ARN; moto 5.2.5
looks the trail up by name only and silently does nothing for an ARN, which
is what Terraform sends, so a destroyed trail stayed listed.

3. and 4. KMS key rotation periods and Lambda logging configs, which moto
does not return, and 5. its state dump, which fails once a function exists
(see the sections at the end).

Nothing else is changed.

    python scripts/lib/moto_server.py -H 127.0.0.1 -p 5055
"""

from __future__ import annotations

import sys

from moto.cloudtrail import models as cloudtrail_models
from moto.iam import access_control
from moto.server import main

_is_action_permitted = access_control.IAMPolicyStatement.is_action_permitted


def _is_action_permitted_with_context(
    self: access_control.IAMPolicyStatement,
    action: str,
    resource: str = "*",
    principal: str | None = None,
    incoming_condition_values: dict[str, str] | None = None,
) -> access_control.PermissionResult:
    if self._statement.get("Condition") and not incoming_condition_values:
        return access_control.PermissionResult.NEUTRAL  # cannot be evaluated: does not apply
    return _is_action_permitted(self, action, resource, principal, incoming_condition_values)


access_control.IAMPolicyStatement.is_action_permitted = _is_action_permitted_with_context

_delete_trail = cloudtrail_models.CloudTrailBackend.delete_trail


def _delete_trail_by_name_or_arn(self: cloudtrail_models.CloudTrailBackend, name: str) -> None:
    _delete_trail(self, name.rsplit(":trail/", 1)[-1])


cloudtrail_models.CloudTrailBackend.delete_trail = _delete_trail_by_name_or_arn

# ---------------------------------------------------------------------------
# 3. and 4.: attributes AWS returns and moto 5.2.5 drops, so that a second
# `terraform plan` against the local AWS says "No changes", as it does on AWS.
#
# 3. KMS GetKeyRotationStatus returns RotationPeriodInDays for a key with
#    rotation on (365 unless EnableKeyRotation named another period):
#    https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyRotationStatus.html
#    moto forgets the period; the provider then plans 0 -> 365 on every run.
# 4. Lambda GetFunction returns the function's LoggingConfig (by default
#    LogFormat Text into /aws/lambda/<function name>):
#    https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html
#    moto returns none; the provider then plans to add logging_config on every
#    run.
# ---------------------------------------------------------------------------

import json  # noqa: E402 - this section's own imports
from typing import Any  # noqa: E402

from moto.awslambda import models as lambda_models  # noqa: E402
from moto.kms import responses as kms_responses  # noqa: E402

_DEFAULT_ROTATION_PERIOD_DAYS = 365
_enable_key_rotation = kms_responses.KmsResponse.enable_key_rotation
_get_key_rotation_status = kms_responses.KmsResponse.get_key_rotation_status


def _rotated_key(response: kms_responses.KmsResponse) -> Any:
    backend = response.kms_backend
    return backend.keys[backend.get_key_id(response._get_param("KeyId"))]


def _enable_key_rotation_with_period(self: kms_responses.KmsResponse) -> str:
    result = _enable_key_rotation(self)
    period = self._get_param("RotationPeriodInDays") or _DEFAULT_ROTATION_PERIOD_DAYS
    _rotated_key(self).rotation_period_in_days = int(period)
    return result


def _get_key_rotation_status_with_period(self: kms_responses.KmsResponse) -> str:
    status = json.loads(_get_key_rotation_status(self))
    if status.get("KeyRotationEnabled"):
        key = _rotated_key(self)
        status["KeyId"] = key.arn
        status["RotationPeriodInDays"] = getattr(
            key, "rotation_period_in_days", _DEFAULT_ROTATION_PERIOD_DAYS
        )
    return json.dumps(status)


kms_responses.KmsResponse.enable_key_rotation = _enable_key_rotation_with_period
kms_responses.KmsResponse.get_key_rotation_status = _get_key_rotation_status_with_period

Function = lambda_models.LambdaFunction
_function_init = Function.__init__
_function_configuration = Function.get_configuration
_function_update = Function.update_configuration


def _logging_config(function: Function, given: dict[str, Any] | None) -> dict[str, Any]:
    config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function.function_name}"}
    return config | (given or {})


def _function_init_with_logging(
    self: Function, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any
) -> None:
    _function_init(self, account_id, spec, *args, **kwargs)
    self.logging_config = _logging_config(self, spec.get("LoggingConfig"))


def _function_configuration_with_logging(self: Function, *args: Any, **kwargs: Any) -> dict:
    config = _function_configuration(self, *args, **kwargs)
    config["LoggingConfig"] = getattr(self, "logging_config", _logging_config(self, None))
    return config


def _function_update_with_logging(self: Function, config_updates: dict[str, Any]) -> dict:
    if "LoggingConfig" in config_updates:
        self.logging_config = _logging_config(self, config_updates["LoggingConfig"])
    return _function_update(self, config_updates)


Function.__init__ = _function_init_with_logging
Function.get_configuration = _function_configuration_with_logging
Function.update_configuration = _function_update_with_logging

# ---------------------------------------------------------------------------
# 5. The state dump (/moto-api/data.json, which scripts/local_aws.sh and
# deploy.sh --local probe) skips attributes that fail to serialise, but not
# the Docker client a Lambda function holds: without Docker, reading it raises
# DockerException and the dump answers HTTP 500 once a function exists, so a
# second `deploy.sh --local` found "the local AWS is not running". Reading the
# client without Docker now raises AttributeError, which the dump skips.
# ---------------------------------------------------------------------------

from moto.utilities import docker_utilities  # noqa: E402

_docker_client = docker_utilities.DockerModel.docker_client


def _docker_client_or_attribute_error(self: docker_utilities.DockerModel) -> Any:
    import docker  # moto's own dependency for Lambda

    try:
        return _docker_client.fget(self)
    except docker.errors.DockerException as error:
        raise AttributeError(
            "Docker is not available: the local AWS runs no Lambda code"
        ) from error


docker_utilities.DockerModel.docker_client = property(_docker_client_or_attribute_error)

if __name__ == "__main__":
    sys.exit(main())
