"""moto's server, with one correction so bucket policies are evaluated as AWS does.

moto 5.2.5 evaluates S3 bucket policies itself (moto.iam.access_control), but
treats a statement whose Condition does not hold as an explicit *Deny*, even
when the statement is an Allow or a Deny that should simply not apply. Every
policy that denies requests without TLS (`aws:SecureTransport` = false) then
denies every object request, over TLS or not. AWS ignores a statement whose
condition does not hold; so does this wrapper. Nothing else is changed.

    python scripts/lib/moto_server.py -H 127.0.0.1 -p 5055
"""

from __future__ import annotations

import sys

from moto.iam import access_control
from moto.server import main

_is_action_permitted = access_control.IAMPolicyStatement.is_action_permitted


def _is_action_permitted_as_aws_does(
    self: access_control.IAMPolicyStatement,
    action: str,
    resource: str = "*",
    principal: str | None = None,
    incoming_condition_values: dict[str, str] | None = None,
) -> access_control.PermissionResult:
    if self._statement.get("Condition") and not self._check_conditions(incoming_condition_values):
        return access_control.PermissionResult.NEUTRAL  # the statement does not apply
    return _is_action_permitted(self, action, resource, principal, incoming_condition_values)


access_control.IAMPolicyStatement.is_action_permitted = _is_action_permitted_as_aws_does

if __name__ == "__main__":
    sys.exit(main())
