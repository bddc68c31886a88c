"""moto's server, with corrections where it differs from AWS in ways this project relies on.

    python scripts/local/moto_server.py -H 127.0.0.1 -p 5055

1. Bucket policies are evaluated with the request's context.

moto 5.2.5 enforces bucket policies on object requests, but without the
request's context: a conditional statement applies to every request, and
moto's condition check fails a statement whose condition it cannot match,
so a TLS-only Deny refuses everything. This wrapper evaluates the bucket
policy itself, as IAM documents it, for each object request:

- Deny wins over Allow; a statement applies when its Principal, Action and
  Resource (or NotResource) match and every condition holds.
- Condition operators (reference_policies_elements_condition_operators): the
  ones the stack's policies use, StringEquals, StringLike, ArnEquals, ArnLike,
  their Not- forms, Bool and Null, and the ForAnyValue: qualifier. A key
  missing from the request makes a positive operator false and a negated one
  (StringNotEquals, ArnNotLike, ...) true.
  Several operators, or several keys under one operator, must all hold;
  several values of one key are ORed (NORed for negated operators)
  (reference_policies_multi-value-conditions).
- The request context holds: aws:SecureTransport = true (the local hop
  stands for TLS; there is no plain-HTTP path to refuse), the principal
  from the request's access key (aws:PrincipalArn, aws:PrincipalAccount,
  aws:userid, and aws:username for IAM users), and the encryption headers
  s3:x-amz-server-side-encryption, s3:x-amz-server-side-encryption-aws-kms-key-id
  and s3:x-amz-server-side-encryption-customer-algorithm when the request
  sends them, and the object tags (tagging-and-policies):
  s3:ExistingObjectTag/<key> from the tags of the object (the version) the
  request names, for every object request but PutObject and DeleteObject,
  which S3 does not support it for, and s3:RequestObjectTagKeys from the
  x-amz-tagging header (PutObject, CreateMultipartUpload, CopyObject; not
  from PutObjectTagging's body). A key with several values is matched with
  ForAnyValue: only. aws:SourceArn, aws:SourceAccount,
  aws:SourceOwner, aws:SourceVpc and aws:SourceVpce are known to be absent
  (no service or VPC endpoint calls the local AWS on anyone's behalf).
- The caller's principal tags (aws:PrincipalTag/<key>): the tags of its IAM
  user, or of the role it assumed overridden by the session tags it passed
  to AssumeRole ("session tags override a role tag with the same key",
  https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html;
  tag keys compared without case). moto keeps no session tags; the wrapper
  records them. The role's trust policy (sts:TagSession) is not checked.
- Policy variables in Resource and NotResource (reference_policies_variables:
  "You can use a policy variable in the Resource element"): ${aws:PrincipalTag/<key>}
  and the other keys above are replaced by the request's value, matched as
  literal text. A statement whose conditions hold and whose resource only
  a variable without a value could decide cannot be evaluated (below).
- Fail closed: a statement that uses any other condition key, another
  operator (Numeric, Date, IpAddress, Binary, ...IgnoreCase, ...IfExists,
  ForAllValues:), NotPrincipal or NotAction, a policy variable in a
  condition, or a variable without a value cannot be evaluated. Such a
  Deny applies and such an Allow does not; the server log says which
  statement and why, once.
- The action is the one AWS authorizes: CreateMultipartUpload,
  UploadPart, CompleteMultipartUpload and CopyObject are s3:PutObject;
  HeadObject is s3:GetObject; a request for a version is s3:*ObjectVersion.
- A denied request gets AWS's error: 403 AccessDenied, naming the principal,
  the action and the resource (troubleshoot-403-errors).

The evaluator is hand-written: moto's own (moto.iam.policy_conditions)
knows StringEquals only, and no maintained Python library evaluates IAM
conditions.

2. S3 event notifications into SQS. moto sends the uploads queue the event S3
would (Put, Copy, CompleteMultipartUpload) but leaves out the object's
versionId and sequencer, which the handler orders uploads by, and who caused
it (userIdentity.principalId, "The unique ID of the IAM resource that caused
the event", notification-content-structure); the wrapper adds the three (the
sequencer grows with each event, as S3's does for one key; the principal is
the caller's aws:userid: S3's exact format of principalId is unverified),
and URL-encodes the key as S3 does, slashes kept. For
a multipart upload moto also sends a Put before the CompleteMultipartUpload;
S3 sends only the last, so the wrapper drops that Put. And moto would invoke
a function mapped to the queue itself, through Docker, on every message: the
wrapper leaves the messages in the queue for scripts/local/local_lambda.py, which
consumes them as Lambda's event source mapping does. moto also drops a
queue's RedriveAllowPolicy, for which Terraform then waits until its
timeout; the wrapper stores and returns it.

3. CloudTrail DeleteTrail. AWS accepts a trail's name or ARN; moto 5.2.5
looks the trail up by name only and silently does nothing for an ARN, which
is what Terraform sends, so a destroyed trail stayed listed.

4. and 5. KMS key rotation periods and Lambda logging configs, which moto
does not return, and 6. its state dump, which fails once a function exists
(see the sections at the end), 7. GuardDuty feature updates, which
moto applies as a replacement of all features, 8. the detector's
dataSources, which moto never derives from its features, 9. and 10. a
security group rule's description and a replication rule's source
selection, which moto drops, 11. an SDK's retry of a call the server has
already done, and 12. the mappings of a function listed by its name.
"""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlparse
from xml.sax.saxutils import escape

from moto.cloudtrail import models as cloudtrail_models
from moto.iam import access_control
from moto.iam.models import iam_backends
from moto.s3 import models as s3_models
from moto.s3 import notifications
from moto.s3.responses import S3Response
from moto.server import main
from moto.sqs import models as sqs_models
from moto.sts.models import sts_backends
from moto.sts.responses import TokenResponse

log = logging.getLogger("local_aws")

# ---------------------------------------------------------------------------
# 1. Bucket policies, evaluated with the request's context
# ---------------------------------------------------------------------------

SSE_HEADERS = (
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-customer-algorithm",
)
ABSENT_KEYS = frozenset(
    {"aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourcevpc", "aws:sourcevpce"}
)
PRINCIPAL_KEYS = frozenset(
    {"aws:principalarn", "aws:principalaccount", "aws:userid", "aws:username"}
)
#: Object tags in conditions
#: (https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging-and-policies.html).
EXISTING_TAG_PREFIX = "s3:existingobjecttag/"
PRINCIPAL_TAG_PREFIX = "aws:principaltag/"
REQUEST_TAG_KEYS = "s3:requestobjecttagkeys"
KNOWN_KEYS = (
    frozenset({"aws:securetransport"} | {f"s3:{h}" for h in SSE_HEADERS})
    | ABSENT_KEYS
    | PRINCIPAL_KEYS
    | {REQUEST_TAG_KEYS}
)
NEGATED = frozenset({"StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike"})
OPERATORS = frozenset(
    {"StringEquals", "StringLike", "ArnEquals", "ArnLike", "Bool", "Null"} | NEGATED
)


class CannotEvaluate(Exception):
    """The statement uses a condition the local AWS cannot decide."""


@dataclass(frozen=True)
class Principal:
    arn: str  # the caller: a user, or a role session (arn:aws:sts::...:assumed-role/...)
    principal_arn: str  # aws:PrincipalArn: for a role session, the role's ARN
    account: str
    userid: str
    username: str | None = None  # IAM users only
    #: aws:PrincipalTag: tag key (lower case: keys are not case sensitive) -> value.
    tags: tuple[tuple[str, str], ...] = ()


ANONYMOUS = Principal(arn="*", principal_arn="", account="", userid="anonymous")


@dataclass(frozen=True)
class RequestContext:
    action: str
    resource: str
    principal: Principal
    #: Condition keys, lower-case names; a tuple for a key with several values.
    keys: dict[str, str | tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    effect: str  # "Deny", "Allow" or "" (no statement applies)
    sid: str = ""


def _values(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in values]


def _like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcards: * any run of characters, ? one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _matches(operator: str, expected: str, actual: str) -> bool:
    if operator == "StringEquals":
        return expected == actual
    if operator == "Bool":
        return expected.lower() == actual.lower()
    # StringLike, ArnEquals and ArnLike all take wildcards.
    return _like(expected, actual)


def evaluate_condition(
    operator: str, key: str, expected: Any, keys: dict[str, str | tuple[str, ...]]
) -> bool:
    """One key under one operator, against the request's condition keys."""
    qualifier, _, base = operator.rpartition(":")
    name = key.lower()
    if base not in OPERATORS or qualifier not in ("", "ForAnyValue"):
        raise CannotEvaluate(f"operator {operator}")
    if name not in KNOWN_KEYS and not name.startswith((EXISTING_TAG_PREFIX, PRINCIPAL_TAG_PREFIX)):
        raise CannotEvaluate(f"condition key {key}")
    values = _values(expected)
    if any("${" in v for v in values):
        raise CannotEvaluate(f"policy variable in {key}")
    actual = keys.get(name)
    if base == "Null":
        return (actual is None) == (values[0].lower() == "true")
    if actual is None:
        return base in NEGATED and not qualifier
    positive = base.replace("Not", "", 1) if base in NEGATED else base
    if isinstance(actual, tuple):  # several values: each one is matched
        if not qualifier:
            raise CannotEvaluate(f"{key} has several values; only ForAnyValue")
        return any(
            any(_matches(positive, v, a) for v in values) != (base in NEGATED) for a in actual
        )
    matched = any(_matches(positive, v, actual) for v in values)
    return not matched if base in NEGATED else matched


def _principal_matches(element: Any, principal: Principal) -> bool:
    if element == "*":
        return True
    if not isinstance(element, dict):
        return False
    for kind, entries in element.items():
        if kind != "AWS":  # Service, Federated, CanonicalUser: never a local caller
            continue
        for entry in _values(entries):
            if entry == "*":
                return True
            if principal is ANONYMOUS:
                continue
            root = re.fullmatch(r"(?:arn:aws[a-z-]*:iam::)?(\d{12})(?::root)?", entry)
            if root and root.group(1) == principal.account:
                return True
            if entry in (principal.arn, principal.principal_arn):
                return True
    return False


def _element_matches(patterns: Any, value: str) -> bool:
    """Action: IAM's wildcards, without case (actions' names are not case sensitive)."""
    return any(_like(p, value, ignore_case=True) for p in _values(patterns))


_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _resource_matches(
    patterns: Any, value: str, keys: dict[str, str | tuple[str, ...]]
) -> bool | None:
    """Resource or NotResource: wildcards as IAM's, policy variables replaced by literal values.

    ``None`` when only a variable without a value could decide (the literal
    parts match whatever the variable's value would be).
    """
    undecided = False
    for pattern in _values(patterns):
        regex, unresolved = [], False
        for position, part in enumerate(_VARIABLE.split(pattern)):
            if position % 2:  # a variable's name
                actual = keys.get(part.lower())
                unresolved = unresolved or not isinstance(actual, str)
                regex.append(re.escape(actual) if isinstance(actual, str) else ".*")
            else:
                regex.extend(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in part)
        if re.fullmatch("".join(regex), value) is not None:
            if not unresolved:
                return True
            undecided = True
    return None if undecided else False


def _statement_applies(statement: dict[str, Any], request: RequestContext) -> bool:
    if "NotPrincipal" in statement or "NotAction" in statement:
        raise CannotEvaluate("NotPrincipal or NotAction")
    if "Principal" in statement and not _principal_matches(
        statement["Principal"], request.principal
    ):
        return False
    if "Action" in statement and not _element_matches(statement["Action"], request.action):
        return False
    # A resource that names a variable without a value is decided after the
    # conditions: a Null guard on a principal tag settles the statement first.
    undecided = False
    for element, applies_when in (("Resource", True), ("NotResource", False)):
        if element in statement:
            matched = _resource_matches(statement[element], request.resource, request.keys)
            if matched is None:
                undecided = True
            elif matched is not applies_when:
                return False
    if not all(
        evaluate_condition(operator, key, expected, request.keys)
        for operator, pairs in statement.get("Condition", {}).items()
        for key, expected in pairs.items()
    ):
        return False
    if undecided:
        raise CannotEvaluate("a policy variable without a value in its resource")
    return True


_reported: set[tuple[str, str]] = set()


def evaluate_policy(policy: dict[str, Any], request: RequestContext) -> Decision:
    """The bucket policy's decision for one request: an explicit Deny wins."""
    statements = policy.get("Statement", [])
    allowed = None
    for number, statement in enumerate(
        statements if isinstance(statements, list) else [statements]
    ):
        sid = statement.get("Sid", f"statement {number + 1}")
        try:
            applies = _statement_applies(statement, request)
        except CannotEvaluate as reason:
            if (sid, str(reason)) not in _reported:
                _reported.add((sid, str(reason)))
                effect = "applies" if statement.get("Effect") == "Deny" else "does not apply"
                log.warning("bucket policy %s: cannot evaluate %s; it %s", sid, reason, effect)
            applies = statement.get("Effect") == "Deny"  # fail closed
        if applies and statement.get("Effect") == "Deny":
            return Decision("Deny", sid)
        if applies and statement.get("Effect") == "Allow" and allowed is None:
            allowed = Decision("Allow", sid)
    return allowed or Decision("")


# The request being served, for the policy check deep inside moto.
_current: contextvars.ContextVar[tuple[Any, str] | None] = contextvars.ContextVar(
    "local_aws_request", default=None
)
_denied: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "local_aws_denied", default=None
)


#: A browser's POST upload signs its form, not its headers: the form's
#: x-amz-credential, while _post_object serves it.
_form_credential: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "local_aws_form_credential", default=None
)


def _access_key(request: Any, query: dict[str, list[str]]) -> str | None:
    form_credential = _form_credential.get()
    if form_credential:
        return form_credential.split("/", 1)[0]
    header = request.headers.get("Authorization", "")
    credential = re.search(r"Credential=([^/,\s]+)/", header)
    if credential:
        return credential.group(1)
    if "X-Amz-Credential" in query:  # presigned URL
        return query["X-Amz-Credential"][0].split("/", 1)[0]
    return None


def principal_for(access_key_id: str | None, account_id: str, partition: str) -> Principal:
    """Who a request's access key belongs to, as moto's STS answers GetCallerIdentity."""
    if not access_key_id:
        return ANONYMOUS
    sts = sts_backends[account_id][partition]
    iam = iam_backends[account_id][partition]
    role = sts.get_assumed_role_from_access_key(access_key_id)
    if role:
        try:
            role_tags = iam.get_role_by_arn(role.role_arn).tags
        except Exception:  # noqa: BLE001 - a role of another account, or deleted: no tags
            role_tags = []
        tags = _tag_map(role_tags) | _tag_map(getattr(role, "session_tags", []))
        return Principal(
            role.arn, role.role_arn, role.account_id, role.user_id, tags=tuple(tags.items())
        )
    user = iam.get_user_from_access_key_id(access_key_id)
    if user:
        tags = _tag_map(iam.tagger.list_tags_for_resource(user.arn)["Tags"])
        return Principal(
            user.arn, user.arn, user.account_id, user.id, user.name, tags=tuple(tags.items())
        )
    userid, arn, account = sts.get_caller_identity(access_key_id, "us-east-1")
    return Principal(arn, arn, account, userid)


def _tag_map(tags: Any) -> dict[str, str]:
    """IAM or STS tags ([{"Key", "Value"}]) by lower-case key: tag keys are not case sensitive."""
    return {str(t["Key"]).lower(): str(t["Value"]) for t in tags or [] if "Key" in t}


def _action(moto_action: str, method: str, query: dict[str, list[str]]) -> str:
    """The action AWS authorizes for a request moto names s3:<Method>Object."""
    versioned = "versionId" in query
    if "uploadId" in query and method == "GET":
        return "s3:ListMultipartUploadParts"
    if "uploadId" in query and method == "DELETE":
        return "s3:AbortMultipartUpload"
    if "tagging" in query:
        verb = {"PUT": "Put", "DELETE": "Delete"}.get(method, "Get")
        return f"s3:{verb}Object{'Version' if versioned else ''}Tagging"
    if "acl" in query:
        verb = "Put" if method == "PUT" else "Get"
        return f"s3:{verb}Object{'Version' if versioned else ''}Acl"
    if method == "POST" and "delete" in query:  # DeleteObjects: authorized per key as a delete
        return "s3:DeleteObject"
    if method in ("PUT", "POST"):  # PutObject, UploadPart, Copy, Create/CompleteMultipartUpload
        return "s3:PutObject"
    if method in ("GET", "HEAD"):
        return "s3:GetObjectVersion" if versioned else "s3:GetObject"
    if method == "DELETE":
        return "s3:DeleteObjectVersion" if versioned else "s3:DeleteObject"
    return moto_action


def request_context(bucket: Any, moto_action: str, resource: str) -> RequestContext | None:
    current = _current.get()
    if current is None:
        return None
    request, full_url = current
    query = parse_qs(urlparse(full_url).query, keep_blank_values=True)
    keys: dict[str, str | tuple[str, ...]] = {"aws:securetransport": "true"}
    for header in SSE_HEADERS:
        if request.headers.get(header) is not None:
            keys[f"s3:{header}"] = request.headers[header]
    action = _action(moto_action, request.method, query)
    if action not in ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"):
        for tag, value in _existing_tags(bucket, resource, query).items():
            keys[f"{EXISTING_TAG_PREFIX}{tag.lower()}"] = value
    tagging = request.headers.get("x-amz-tagging")
    if tagging is not None:
        keys[REQUEST_TAG_KEYS] = tuple(parse_qs(tagging, keep_blank_values=True))
    principal = principal_for(_access_key(request, query), bucket.account_id, bucket.partition)
    if principal is not ANONYMOUS:
        keys["aws:principalarn"] = principal.principal_arn
        keys["aws:principalaccount"] = principal.account
        keys["aws:userid"] = principal.userid
        if principal.username:
            keys["aws:username"] = principal.username
        for tag, value in principal.tags:
            keys[f"{PRINCIPAL_TAG_PREFIX}{tag}"] = value
    return RequestContext(action, resource, principal, keys)


def _existing_tags(bucket: Any, resource: str, query: dict[str, list[str]]) -> dict[str, str]:
    """The tags of the object version a request names; none for an object that is not there."""
    key_name = resource.split(":::", 1)[-1].partition("/")[2]
    backend = s3_models.s3_backends[bucket.account_id][bucket.partition]
    try:
        key = backend.get_object(
            bucket.name, key_name, version_id=query.get("versionId", [None])[0]
        )
    except Exception:  # noqa: BLE001 - a delete marker or a bad version: moto answers the request
        return {}
    if key is None:
        return {}
    return dict(backend.tagger.get_tag_dict_for_resource(key.arn))


def _get_permission(self: s3_models.FakeBucket, action: str, resource: str) -> Any:
    if self.policy is None:
        return access_control.PermissionResult.NEUTRAL
    request = request_context(self, action, resource)
    if request is None:  # not from a served request (moto-internal): moto's own answer
        return _moto_get_permission(self, action, resource)
    decision = evaluate_policy(json.loads(self.policy), request)
    if decision.effect == "Deny":
        _denied.set(request)
        return access_control.PermissionResult.DENIED
    if decision.effect == "Allow":
        return access_control.PermissionResult.PERMITTED
    return access_control.PermissionResult.NEUTRAL


def access_denied(request: RequestContext) -> tuple[int, dict[str, str], str]:
    """S3's error for an explicit deny in a bucket policy (troubleshoot-403-errors)."""
    who = request.principal.arn if request.principal is not ANONYMOUS else "anonymous"
    message = (
        f"User: {who} is not authorized to perform: {request.action} on resource: "
        f'"{request.resource}" with an explicit deny in a resource-based policy'
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>AccessDenied</Code><Message>{escape(message)}</Message></Error>"
    )
    return 403, {"content-type": "application/xml"}, body


def _serving(method: Any) -> Any:
    def serve(self: S3Response, request: Any, full_url: str) -> Any:
        token = _current.set((request, full_url))
        denied = _denied.set(None)
        try:
            response = method(self, request, full_url)
            request_denied = _denied.get()
            bare_403 = isinstance(response, tuple) and response[0] == 403 and not response[2]
            if request_denied and bare_403:  # moto's bare 403 for a bucket-policy deny
                return access_denied(request_denied)
            return response
        finally:
            _current.reset(token)
            _denied.reset(denied)

    return serve


_moto_get_permission = s3_models.FakeBucket.get_permission
s3_models.FakeBucket.get_permission = _get_permission

# Session tags: moto's AssumeRole drops its Tags; they are kept on the
# session, where principal_for reads them.
_assume_role = TokenResponse.assume_role


def _assume_role_keeping_session_tags(self: TokenResponse) -> Any:
    result = _assume_role(self)
    session = result.result["Credentials"]
    session.session_tags = list(self._get_params().get("Tags") or [])
    return result


TokenResponse.assume_role = _assume_role_keeping_session_tags
S3Response._key_response = _serving(S3Response._key_response)
S3Response._bucket_response = _serving(S3Response._bucket_response)

# A POST upload (a browser form, a presigned POST policy): moto stores it
# without consulting the bucket policy. S3 authorizes it as s3:PutObject on
# the form's key by the form's signer (unverified beyond the POST Object
# reference's "s3:PutObject"); the wrapper does so. The POST policy's own
# conditions (content-length-range, exact fields, starts-with, expiration)
# and its signature are not checked (README, "Where the local AWS differs").
_bucket_response_post = S3Response._bucket_response_post


def _post_object(self: S3Response, request: Any, bucket_name: str) -> Any:
    key = (self.querystring.get("key") or [None])[0]
    if self.is_delete_keys() or not key:
        return _bucket_response_post(self, request, bucket_name)
    credential = (self.querystring.get("x-amz-credential") or [None])[0]
    token = _form_credential.set(credential)
    try:
        bucket = self.backend.get_bucket(bucket_name)
        if bucket.policy is not None:
            resource = f"arn:{bucket.partition}:s3:::{bucket_name}/{key}"
            request_ = request_context(bucket, "s3:PutObject", resource)
            if request_ is not None:
                decision = evaluate_policy(json.loads(bucket.policy), request_)
                if decision.effect == "Deny":
                    return access_denied(request_)
        return _bucket_response_post(self, request, bucket_name)
    finally:
        _form_credential.reset(token)


S3Response._bucket_response_post = _post_object

# ---------------------------------------------------------------------------
# 2. S3 event notifications into SQS, for the local event source mapping
# ---------------------------------------------------------------------------

_event_sequence = itertools.count(1)
_send_event = notifications.send_event
_get_s3_event = notifications._get_s3_event


def _send_event_as_s3_does(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
    name = str(getattr(event_name, "value", event_name))
    if name == "s3:ObjectCreated:Put" and getattr(key, "multipart", None) is not None:
        return  # moto's Put before a CompleteMultipartUpload: S3 sends only the latter
    _send_event(account_id, event_name, bucket, key)


def _s3_event_with_version_and_sequencer(
    event_name: str, bucket: Any, key: Any, notification_id: str
) -> dict[str, Any]:
    event: dict[str, Any] = _get_s3_event(event_name, bucket, key, notification_id)
    obj = event["Records"][0]["s3"]["object"]
    obj["key"] = quote_plus(key.name, safe="/")  # S3 keeps the slashes; moto encodes them
    if getattr(bucket, "is_versioned", False):
        obj["versionId"] = key.version_id
    obj["sequencer"] = f"{time.time_ns() // 1000:014X}{next(_event_sequence):06X}"
    uploader = _uploader(bucket)
    if uploader:
        event["Records"][0]["userIdentity"] = {"principalId": uploader}
    return event


def _uploader(bucket: Any) -> str | None:
    """Who caused the event: the served request's caller (its aws:userid), if known."""
    current = _current.get()
    if current is None:
        return None
    request, full_url = current
    query = parse_qs(urlparse(full_url).query, keep_blank_values=True)
    principal = principal_for(_access_key(request, query), bucket.account_id, bucket.partition)
    return None if principal is ANONYMOUS else principal.userid


def _no_docker_invocation(*_args: Any) -> None:
    """moto would run the function through Docker here; scripts/local/local_lambda.py does
    instead."""


notifications.send_event = _send_event_as_s3_does
notifications._get_s3_event = _s3_event_with_version_and_sequencer
notifications._invoke_awslambda = _no_docker_invocation
# RedriveAllowPolicy: moto neither stores nor returns it, and Terraform's
# aws_sqs_queue_redrive_allow_policy then waits for it until its timeout.
# Stored and returned as given (not enforced: SQS's own redrive is not used
# locally, and moto's ignores it).
sqs_models.Queue.BASE_ATTRIBUTES = [*sqs_models.Queue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]
sqs_models.Queue.redrive_allow_policy = None
_queue_attributes = sqs_models.Queue.attributes


def _attributes_with_redrive_allow_policy(self: sqs_models.Queue) -> dict[str, Any]:
    attributes: dict[str, Any] = _queue_attributes.fget(self)
    if not attributes.get("RedriveAllowPolicy"):  # never set, or removed (set to "")
        attributes.pop("RedriveAllowPolicy", None)
    # moto re-serialises RedrivePolicy with spaces; Terraform sends it compact
    # and then plans a "whitespace change" on every run (SQS returns it as set).
    if getattr(self, "redrive_policy", None):
        attributes["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
    return attributes


sqs_models.Queue.attributes = property(_attributes_with_redrive_allow_policy)
# And moto's SetQueueAttributes sets the queue's Policy to the request's even
# when the request does not name it, so setting RedriveAllowPolicy erased the
# queue policy (and Terraform, which sets the two in parallel, then waited for
# the policy until its timeout). SQS changes only the attributes named.
_set_queue_attributes = sqs_models.Queue._set_attributes


def _set_attributes_keeping_policy(
    self: sqs_models.Queue, attributes: dict[str, Any], now: float | None = None
) -> None:
    policy = getattr(self, "policy", None)
    _set_queue_attributes(self, attributes, now)
    if "Policy" not in attributes:
        self.policy = policy


sqs_models.Queue._set_attributes = _set_attributes_keeping_policy
# A queue mapped to a function: moto would receive and invoke on every
# SendMessage. The mapping itself stays listed (ListEventSourceMappings).
sqs_models.Queue.lambda_event_source_mappings = property(
    lambda _self: {}, lambda _self, _value: None
)

# ---------------------------------------------------------------------------
# 3. CloudTrail DeleteTrail by ARN
# ---------------------------------------------------------------------------

_delete_trail = cloudtrail_models.CloudTrailBackend.delete_trail


def _delete_trail_by_name_or_arn(self: cloudtrail_models.CloudTrailBackend, name: str) -> None:
    _delete_trail(self, name.rsplit(":trail/", 1)[-1])


cloudtrail_models.CloudTrailBackend.delete_trail = _delete_trail_by_name_or_arn

# ---------------------------------------------------------------------------
# 4. and 5.: attributes AWS returns and moto 5.2.5 drops, so that a second
# `terraform plan` against the local AWS says "No changes", as it does on AWS.
#
# 4. KMS GetKeyRotationStatus returns RotationPeriodInDays for a key with
#    rotation on (365 unless EnableKeyRotation named another period):
#    https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyRotationStatus.html
#    moto forgets the period; the provider then plans 0 -> 365 on every run.
# 5. Lambda GetFunction returns the function's LoggingConfig (by default
#    LogFormat Text into /aws/lambda/<function name>):
#    https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html
#    moto returns none; the provider then plans to add logging_config on every
#    run. Likewise its DeadLetterConfig, the queue that keeps the events of
#    failed asynchronous invocations
#    (https://docs.aws.amazon.com/lambda/latest/api/API_DeadLetterConfig.html):
#    moto drops it on create and update, so GetFunction never showed it.
# ---------------------------------------------------------------------------

from moto.awslambda import models as lambda_models  # noqa: E402
from moto.kms import responses as kms_responses  # noqa: E402

_DEFAULT_ROTATION_PERIOD_DAYS = 365
_enable_key_rotation = kms_responses.KmsResponse.enable_key_rotation
_get_key_rotation_status = kms_responses.KmsResponse.get_key_rotation_status


def _rotated_key(response: kms_responses.KmsResponse) -> Any:
    backend = response.kms_backend
    return backend.keys[backend.get_key_id(response._get_param("KeyId"))]


def _enable_key_rotation_with_period(self: kms_responses.KmsResponse) -> str:
    result: str = _enable_key_rotation(self)
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


def _logging_config(
    function: lambda_models.LambdaFunction, given: dict[str, Any] | None
) -> dict[str, Any]:
    config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function.function_name}"}
    return config | (given or {})


def _function_init_with_logging(
    self: lambda_models.LambdaFunction,
    account_id: str,
    spec: dict[str, Any],
    *args: Any,
    **kwargs: Any,
) -> None:
    _function_init(self, account_id, spec, *args, **kwargs)
    self.logging_config = _logging_config(self, spec.get("LoggingConfig"))
    self.dead_letter_config = spec.get("DeadLetterConfig") or {}


def _function_configuration_with_logging(
    self: lambda_models.LambdaFunction, *args: Any, **kwargs: Any
) -> dict[str, Any]:
    config: dict[str, Any] = _function_configuration(self, *args, **kwargs)
    config["LoggingConfig"] = getattr(self, "logging_config", _logging_config(self, None))
    if getattr(self, "dead_letter_config", {}).get("TargetArn"):
        config["DeadLetterConfig"] = self.dead_letter_config
    return config


def _function_update_with_logging(
    self: lambda_models.LambdaFunction, config_updates: dict[str, Any]
) -> dict[str, Any]:
    if "LoggingConfig" in config_updates:
        self.logging_config = _logging_config(self, config_updates["LoggingConfig"])
    if "DeadLetterConfig" in config_updates:
        self.dead_letter_config = config_updates["DeadLetterConfig"] or {}
    updated: dict[str, Any] = _function_update(self, config_updates)
    return updated


Function.__init__ = _function_init_with_logging
Function.get_configuration = _function_configuration_with_logging
Function.update_configuration = _function_update_with_logging

# ---------------------------------------------------------------------------
# 6. The state dump (/moto-api/data.json, which scripts/local_aws.sh and
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


# ---------------------------------------------------------------------------
# 7. GuardDuty UpdateDetector with `features` changes the features it names
# and keeps the others, as AWS does (UpdateDetector's `features` is a list of
# feature configurations to change:
# https://docs.aws.amazon.com/guardduty/latest/APIReference/API_UpdateDetector.html).
# moto 5.2.5 replaces the whole list, so the second aws_guardduty_detector_feature
# (S3, then Lambda protection) erased the first and its read found nothing.
# ---------------------------------------------------------------------------

from moto.guardduty import models as guardduty_models  # noqa: E402

_detector_update = guardduty_models.Detector.update


def _detector_update_merging_features(
    self: guardduty_models.Detector,
    enable: bool,
    finding_publishing_frequency: str,
    data_sources: dict[str, Any],
    features: list[dict[str, Any]],
) -> None:
    if features is not None:

        def name(feature: dict[str, Any]) -> Any:
            return feature.get("name", feature.get("Name"))

        changed = {name(f): f for f in features}
        kept = [f for f in self.features if name(f) not in changed]
        features = kept + list(changed.values())
    _detector_update(self, enable, finding_publishing_frequency, data_sources, features)


guardduty_models.Detector.update = _detector_update_merging_features


# ---------------------------------------------------------------------------
# 8. GetDetector reports a protection plan launched before March 2023 in both
# of its forms: "The GuardDuty APIs will continue to return a dataSources
# object as applicable", with a features object holding the same information
# (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-feature-object-api-changes-march2023.html;
# "Mapping dataSources to features" there). moto 5.2.5 builds dataSources from
# the (deprecated) dataSources request field only, so a plan enabled as a
# feature, as aws_guardduty_detector_feature does, read as DISABLED there, and
# Prowler, which reads dataSources for S3 Protection, EKS Audit Log Monitoring
# and Malware Protection for EC2, reported it off. The wrapper sets those three
# from the features of the same names; a feature that is absent leaves moto's
# answer as it was.
# ---------------------------------------------------------------------------

_detector_to_json = guardduty_models.Detector.to_json


def _data_source_status(features: list[dict[str, Any]], feature_name: str) -> str | None:
    for feature in features:
        if feature.get("name", feature.get("Name")) == feature_name:
            status = feature.get("status", feature.get("Status"))
            return str(status).upper() if status else None
    return None


def _detector_to_json_with_feature_data_sources(
    self: guardduty_models.Detector,
) -> dict[str, Any]:
    data: dict[str, Any] = _detector_to_json(self)
    sources = data["dataSources"]
    status = _data_source_status(self.features, "S3_DATA_EVENTS")
    if status:
        sources["s3Logs"] = {"status": status}
    status = _data_source_status(self.features, "EKS_AUDIT_LOGS")
    if status:
        sources["kubernetes"] = {"auditLogs": {"status": status}}
    status = _data_source_status(self.features, "EBS_MALWARE_PROTECTION")
    if status:
        sources["malwareProtection"] = {
            "scanEc2InstanceWithFindings": {"ebsVolumes": {"status": status}},
        }
    return data


guardduty_models.Detector.to_json = _detector_to_json_with_feature_data_sources


# ---------------------------------------------------------------------------
# 9. and 10.: more attributes AWS returns and moto 5.2.5 drops (as 4. and 5.),
# found when the local profile turned on enable_vpc and
# enable_audit_replication: a second `terraform plan` planned to change them
# on every run.
#
# 9. A security group rule's Description
#    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SecurityGroupRule.html):
#    moto keeps it for a CIDR rule only, not for one that names a security
#    group (UserIdGroupPairs) or a prefix list (PrefixListIds), where the
#    request carries it with the group or the list.
# 10. S3 GetBucketReplication returns each rule's SourceSelectionCriteria
#    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationRule.html):
#    moto stores it and leaves it out of the answer.
# ---------------------------------------------------------------------------

from moto.core.responses import ActionResult  # noqa: E402
from moto.ec2.models import security_groups as ec2_security_groups  # noqa: E402
from moto.s3.exceptions import ReplicationConfigurationNotFoundError  # noqa: E402

_security_group_rule_init = ec2_security_groups.SecurityGroupRule.__init__
_PREFIX_LIST_ARGUMENT = 7  # after ec2_backend, ip_protocol, group_id, ports, ip_range, source_group


def _security_group_rule_init_keeping_description(
    self: ec2_security_groups.SecurityGroupRule, *args: Any, **kwargs: Any
) -> None:
    _security_group_rule_init(self, *args, **kwargs)
    prefix_list = kwargs.get(
        "prefix_list_id", args[_PREFIX_LIST_ARGUMENT] if len(args) > _PREFIX_LIST_ARGUMENT else None
    )
    self.prefix_list_description = (prefix_list or {}).get("Description")


def _security_group_rule_description(self: ec2_security_groups.SecurityGroupRule) -> str | None:
    return (
        self.ip_range.get("Description")
        or self.source_group.get("Description")
        or getattr(self, "prefix_list_description", None)
    )


ec2_security_groups.SecurityGroupRule.__init__ = _security_group_rule_init_keeping_description
ec2_security_groups.SecurityGroupRule.description = property(_security_group_rule_description)


def _get_bucket_replication_with_selection_criteria(self: S3Response) -> Any:
    self.data["Action"] = "GetBucketReplication"
    replication = self.backend.get_bucket_replication(self.bucket_name)
    if not replication:
        raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
    rules = []
    for rule in replication["Rule"]:
        answer = {
            "ID": rule["ID"],
            "Priority": rule["Priority"],
            "Status": rule["Status"],
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Filter": {"Prefix": ""},
            "Destination": rule["Destination"],
        }
        if rule.get("SourceSelectionCriteria"):
            answer["SourceSelectionCriteria"] = rule["SourceSelectionCriteria"]
        rules.append(answer)
    return self.serialized(
        ActionResult({"ReplicationConfiguration": {"Role": replication["Role"], "Rules": rules}})
    )


S3Response.get_bucket_replication = _get_bucket_replication_with_selection_criteria


# ---------------------------------------------------------------------------
# 11. An SDK's retry of a call the server has already done. The AWS SDKs
# name each call and its attempt in two headers (amz-sdk-invocation-id, and
# amz-sdk-request: "attempt=2; max=25"), which Terraform's provider and boto3
# both send. Beside make test (as in CI), the provider sometimes sends a call
# again after the server has done it and answered 200: seven times in a
# clean-clone CI run logged for it on 7 December 2026 (six reads and a bucket
# policy's PUT; two of the answers the client reset while the server wrote
# them). Why the answers are lost is not found. moto does such a call twice,
# and a second AuthorizeSecurityGroupEgress answers
# InvalidPermission.Duplicate, a second revoke InvalidPermission.NotFound, a
# gateway endpoint's second delete InvalidRoute.NotFound: the errors that
# failed 4 of about 18 end-to-end runs before this (the failing runs did not
# log their attempts). So the server keeps its answer to each call that
# succeeded, other than a GET or HEAD (the query and JSON APIs' reads, which
# are POSTs, included), for KEPT_FOR seconds, and answers a later attempt of
# the same call with it without doing the call again; an attempt that comes
# while the first still runs waits for it. A retry of a failed attempt, and a
# new call with the same request, are done again, as on AWS. moto.log names
# each call answered so.
# ---------------------------------------------------------------------------

import threading  # noqa: E402
from collections import OrderedDict  # noqa: E402

from moto.moto_server.threaded_moto_server import DomainDispatcherApplication  # noqa: E402

#: How long, and for how many calls at most, answers are kept (the oldest forgotten first):
#: the provider's retries come within seconds to a few minutes (at most 25 attempts).
KEPT_FOR, KEPT_CALLS = 600.0, 10_000
#: How long an attempt waits for an earlier one still running, before it is done as moto would.
WAIT_FOR_EARLIER = 300.0


@dataclass
class _Call:
    at: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    answer: tuple[str, list[tuple[str, str]], bytes] | None = None


_calls: OrderedDict[str, _Call] = OrderedDict()
_calls_lock = threading.Lock()


def _call_name(environ: Any) -> str:
    """A call's action (a query API's Action, a JSON API's X-Amz-Target), else its method
    and path (a REST API's), for the log."""
    action = environ.get("HTTP_X_AMZ_TARGET")
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = parse_qs(environ["wsgi.input"].read(length).decode(errors="replace"))
        action = form.get("Action", [action])[0]
    return action or f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO')}"


def _first_attempt(invocation: str) -> tuple[_Call, bool]:
    """The call's record, and whether this attempt is to do the call: no attempt has, or the
    last one failed. Otherwise the record is an earlier attempt's, done or running."""
    with _calls_lock:
        now = time.monotonic()
        while _calls and now - next(iter(_calls.values())).at > KEPT_FOR:
            _calls.popitem(last=False)
        earlier = _calls.get(invocation)
        if earlier is not None and not (earlier.done.is_set() and earlier.answer is None):
            return earlier, False
        _calls[invocation] = call = _Call()
        _calls.move_to_end(invocation)
        while len(_calls) > KEPT_CALLS:
            _calls.popitem(last=False)
        return call, True


def _answering_each_call_once(serve: Any) -> Any:
    def wrapper(self: DomainDispatcherApplication, environ: Any, start_response: Any) -> Any:
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if not invocation or environ["REQUEST_METHOD"] in ("GET", "HEAD"):
            return serve(self, environ, start_response)
        call, first = _first_attempt(invocation)
        while not first:
            if not call.done.wait(timeout=WAIT_FOR_EARLIER):
                log.warning("%s: an earlier attempt still runs; done again", _call_name(environ))
                return serve(self, environ, start_response)
            if call.answer is not None:
                status, headers, body = call.answer
                log.warning(
                    "%s (%s): answered as its earlier attempt was, %s, not done again",
                    _call_name(environ), environ.get("HTTP_AMZ_SDK_REQUEST"), status,
                )  # fmt: skip
                start_response(status, headers)
                return [body]
            call, first = _first_attempt(invocation)  # the earlier attempt failed
        try:
            answered: list[tuple[str, list[tuple[str, str]]]] = []

            def recording(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
                answered.append((status, headers))
                return start_response(status, headers, *exc_info)

            result = serve(self, environ, recording)
            try:
                body = b"".join(result)
            finally:
                getattr(result, "close", lambda: None)()
            status, headers = answered[-1]
            if status.startswith("2"):
                call.answer = (status, headers, body)
            return [body]
        finally:
            call.done.set()

    return wrapper


DomainDispatcherApplication.__call__ = _answering_each_call_once(
    DomainDispatcherApplication.__call__
)


# ---------------------------------------------------------------------------
# 12. ListEventSourceMappings by a function's name. AWS takes the function's
# name, its ARN or a partial ARN in FunctionName
# (https://docs.aws.amazon.com/lambda/latest/api/API_ListEventSourceMappings.html);
# moto 5.2.5 compares it with the text the mapping was created with, so the
# runbook's `--function-name "$FUNCTION"` found none of the mappings Terraform
# made with the ARN. The wrapper makes an ARN of any of the three (of this
# region and account, as a name and a partial ARN are) and compares it with the
# mapping's function ARN: another account's or region's ARN finds nothing here.
# ---------------------------------------------------------------------------

from moto.utilities.utils import get_partition  # noqa: E402

_list_event_source_mappings = lambda_models.LambdaBackend.list_event_source_mappings


def _list_event_source_mappings_of_a_function(
    self: lambda_models.LambdaBackend, event_source_arn: str, function_name: str
) -> Any:
    mappings = _list_event_source_mappings(self, event_source_arn, "")
    if not function_name:
        return mappings
    arn = function_name
    if not arn.startswith("arn:"):
        prefix = f"arn:{get_partition(self.region_name)}:lambda:{self.region_name}:"
        arn = prefix + (arn if ":function:" in arn else f"{self.account_id}:function:{arn}")
    return [m for m in mappings if m.function_arn == arn]


lambda_models.LambdaBackend.list_event_source_mappings = _list_event_source_mappings_of_a_function

if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    sys.exit(main())
