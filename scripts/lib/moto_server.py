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

if __name__ == "__main__":
    sys.exit(main())
