#!/usr/bin/env python3
"""parliament over every policy document of a deployment, read back from AWS.

Reads, with boto3 from the account of the environment (the local AWS when
AWS_ENDPOINT_URL points at it), every policy the stack attaches: IAM role
trust and inline policies and customer-managed policies attached to them,
bucket policies, key policies, topic and queue policies, and the function's
resource policy. Each is linted by parliament (https://github.com/duo-labs/parliament)
with its community auditors, one statement at a time. A finding above LOW
fails unless it is in KNOWN below with its reason; an entry of KNOWN that
no finding matches any more (it was fixed) fails too.

    audit_policies.py --out reports/audit/policies.json   # read, lint, write; exit 1 on a finding
    audit_policies.py --summary reports/audit/policies.json

The local AWS holds only this stack; against a real account, pass --prefix
(the stack's name prefix, project-environment) to read only its resources.
"""

from __future__ import annotations

import argparse
import fnmatch
import gc
import json
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, overload

import boto3
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from types_boto3_iam import IAMClient
    from types_boto3_kms import KMSClient
    from types_boto3_lambda import LambdaClient
    from types_boto3_s3 import S3Client
    from types_boto3_sns import SNSClient
    from types_boto3_sqs import SQSClient

with warnings.catch_warnings():
    # parliament 1.6.4 imports pkg_resources (deprecated) and leaves the files of
    # its data open: silence both here, where it loads them, and close them now.
    warnings.simplefilter("ignore", UserWarning)
    warnings.simplefilter("ignore", ResourceWarning)
    import parliament

    # The community auditors' severities, as `parliament --include-community-auditors` loads them.
    parliament.override_config(
        str(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml")
    )
    gc.collect()

#: A policy document or statement as JSON reads it.
JSONObject = dict[str, Any]

SEVERITIES = ("MUTE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")
THRESHOLD = "LOW"  # anything above fails


@dataclass(frozen=True)
class Document:
    source: str  # what it is attached to, e.g. "s3 bucket policy: my-bucket"
    kind: str  # identity, trust or resource
    policy: JSONObject


@dataclass(frozen=True)
class Finding:
    source: str
    kind: str
    sid: str
    issue: str
    severity: str
    title: str
    detail: str
    accepted: str = ""  # why it does not fail, when it is a known finding
    statement: JSONObject | None = None


@dataclass(frozen=True)
class Known:
    """A parliament finding that does not fail the audit, and why.

    status "false positive": parliament is wrong about it, or it is AWS's own
    form. status "open": a real finding whose fix belongs to the Terraform;
    it is listed with the fix so that it is visible, and the test fails once
    it is fixed and the entry is stale.
    """

    issue: str
    status: str
    reason: str
    kind: str = "*"  # identity, trust, resource or *
    source: str = "*"  # glob on the document's source
    detail: str = "*"  # glob on parliament's detail
    statement: JSONObject = field(default_factory=dict)  # globs on statement fields
    # globs that must NOT match the statement (any one matching rules the entry out)
    unless: tuple[JSONObject, ...] = ()

    def matches(self, finding: Finding) -> bool:
        return (
            finding.issue == self.issue
            and self.kind in ("*", finding.kind)
            and fnmatch.fnmatchcase(finding.source, self.source)
            and fnmatch.fnmatchcase(finding.detail, self.detail)
            and _subset(self.statement, finding.statement or {})
            and not any(_subset(other, finding.statement or {}) for other in self.unless)
        )


def _subset(pattern: object, value: object) -> bool:
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(_subset(v, value.get(k)) for k, v in pattern.items())
    if isinstance(value, list):
        return any(_subset(pattern, item) for item in value)
    return value is not None and fnmatch.fnmatchcase(str(value), str(pattern))


KEY_POLICIES = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
LOCKOUT = "https://docs.aws.amazon.com/sdkforruby/api/Aws/KMS/Types/PutKeyPolicyRequest.html"
GRANTS = "https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html"
#: A statement that grants every KMS action ("kms:*" or "*", read literally): never accepted.
EVERY_KMS_ACTION = ({"Action": "kms:[*]"}, {"Action": "[*]"})
LOGS_MANAGED = "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/CloudWatchLogsAPIKeyAccess.html"

# Every finding above LOW that does not fail, with its reason. Keep them narrow.
KNOWN = (
    Known(
        issue="MALFORMED",
        status="false positive",
        kind="trust",
        detail="*Resource*",
        reason="A role's trust policy has no Resource element by design (the role is the "
        "resource); parliament lints it as an identity policy.",
    ),
    Known(
        issue="PERMISSIONS_MANAGEMENT_ACTIONS",
        status="false positive",
        source="kms key policy: *",
        statement={
            "Sid": "AccountAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws*:iam::*:root"},
        },
        unless=EVERY_KMS_ACTION,
        reason="The account (root) statement delegates the key's administration, not its use, "
        "to IAM: KMS refuses a key policy that would not let its caller call PutKeyPolicy again "
        f"({LOCKOUT}), and AWS's default statement keeps a key manageable when a named "
        f"administrator is deleted ({KEY_POLICIES}). Denies in the same policy keep grants "
        "(and, on the data and security keys, PutKeyPolicy) from everyone else (kms.tf).",
    ),
    Known(
        issue="PERMISSIONS_MANAGEMENT_ACTIONS",
        status="false positive",
        source="kms key policy: *",
        statement={
            "Sid": "BreakGlassOnly",
            "Effect": "Allow",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws*:iam::*"}},
        },
        unless=EVERY_KMS_ACTION,
        reason="The data key's break-glass statement: CreateGrant (with disabling and deletion) "
        "for the one principal named by aws:PrincipalArn (break_glass_principal_arn), which the "
        "issue asks for; a Deny refuses the same calls to everyone else (kms.tf).",
    ),
    Known(
        issue="PERMISSIONS_MANAGEMENT_ACTIONS",
        status="false positive",
        source="kms key policy: *",
        statement={
            "Sid": "DynamoDBAndLambdaCreateTheirGrants",
            "Effect": "Allow",
            "Action": "kms:CreateGrant",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
        unless=EVERY_KMS_ACTION,
        reason="CreateGrant only when DynamoDB or Lambda makes the request for a principal of the "
        f"account (kms:ViaService, kms:GrantIsForAWSResource, {GRANTS}): DynamoDB needs it to "
        "encrypt a table with a customer managed key, Lambda to encrypt a function's environment.",
    ),
    Known(
        issue="MISMATCHED_TYPE",
        status="false positive",
        source="kms key policy: *",
        detail="*ArnLike*",
        statement={"Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:*"}}},
        reason="kms:EncryptionContext:aws:logs:arn holds the log group's ARN and AWS's own "
        f"managed policy compares it with ArnLike ({LOGS_MANAGED}); parliament types it String.",
    ),
)


def _json(value: str | Mapping[str, Any]) -> JSONObject:
    """A policy document: boto3 returns some as JSON text, others already decoded."""
    parsed: JSONObject = json.loads(value) if isinstance(value, str) else dict(value)
    return parsed


def _named(prefix: str) -> Callable[[str], bool]:
    return lambda name: not prefix or prefix in name


def iam_documents(iam: IAMClient, wanted: Callable[[str], bool]) -> Iterator[Document]:
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            name = role["RoleName"]
            if role.get("Path", "/").startswith("/aws-service-role/") or not wanted(name):
                continue
            yield Document(
                f"iam role trust policy: {name}", "trust", _json(role["AssumeRolePolicyDocument"])
            )
            for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
                document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)[
                    "PolicyDocument"
                ]
                yield Document(
                    f"iam role inline policy: {name}/{policy_name}", "identity", _json(document)
                )
            for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                if attached["PolicyArn"].split(":")[4] == "aws":
                    continue  # AWS managed (AWS_ConfigRole): AWS's to write, not ours
                policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
                version = iam.get_policy_version(
                    PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
                )["PolicyVersion"]["Document"]
                yield Document(
                    f"iam managed policy: {policy['PolicyName']}", "identity", _json(version)
                )


def s3_documents(s3: S3Client, wanted: Callable[[str], bool]) -> Iterator[Document]:
    for bucket in s3.list_buckets()["Buckets"]:
        if not wanted(bucket["Name"]):
            continue
        try:
            policy = s3.get_bucket_policy(Bucket=bucket["Name"])["Policy"]
        except ClientError as error:
            if error.response["Error"]["Code"] == "NoSuchBucketPolicy":
                continue
            raise
        yield Document(f"s3 bucket policy: {bucket['Name']}", "resource", _json(policy))


def kms_documents(kms: KMSClient, wanted: Callable[[str], bool]) -> Iterator[Document]:
    aliases: dict[str, str] = {}
    for page in kms.get_paginator("list_aliases").paginate():
        for alias in page["Aliases"]:
            if "TargetKeyId" in alias:
                aliases.setdefault(alias["TargetKeyId"], alias["AliasName"])
    for keys in kms.get_paginator("list_keys").paginate():
        for key in keys["Keys"]:
            metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            label = aliases.get(key["KeyId"], key["KeyId"])
            if metadata.get("KeyManager") == "AWS" or label.startswith("alias/aws/"):
                continue  # AWS managed keys: AWS writes their policies
            if metadata.get("KeyState") == "PendingDeletion" or not wanted(label):
                continue
            policy = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]
            yield Document(f"kms key policy: {label}", "resource", _json(policy))


def sns_documents(sns: SNSClient, wanted: Callable[[str], bool]) -> Iterator[Document]:
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            arn = topic["TopicArn"]
            if not wanted(arn):
                continue
            policy = sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("Policy")
            if policy:
                yield Document(f"sns topic policy: {arn.split(':')[-1]}", "resource", _json(policy))


def sqs_documents(sqs: SQSClient, wanted: Callable[[str], bool]) -> Iterator[Document]:
    for url in sqs.list_queues().get("QueueUrls", []):
        if not wanted(url):
            continue
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
        policy = attributes.get("Attributes", {}).get("Policy")
        if policy:
            yield Document(f"sqs queue policy: {url.rsplit('/', 1)[-1]}", "resource", _json(policy))


def lambda_documents(awslambda: LambdaClient, wanted: Callable[[str], bool]) -> Iterator[Document]:
    for page in awslambda.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            name = function["FunctionName"]
            if not wanted(name):
                continue
            try:
                policy = awslambda.get_policy(FunctionName=name)["Policy"]
            except ClientError as error:
                if error.response["Error"]["Code"] == "ResourceNotFoundException":
                    continue
                raise
            yield Document(f"lambda resource policy: {name}", "resource", _json(policy))


class Clients(Protocol):
    """boto3.client, or a function that makes the same clients for another endpoint."""

    # (in boto3-stubs' order: mypy matches overloads in order)
    @overload
    def __call__(self, service_name: Literal["iam"], /) -> IAMClient: ...
    @overload
    def __call__(self, service_name: Literal["kms"], /) -> KMSClient: ...
    @overload
    def __call__(self, service_name: Literal["lambda"], /) -> LambdaClient: ...
    @overload
    def __call__(self, service_name: Literal["s3"], /) -> S3Client: ...
    @overload
    def __call__(self, service_name: Literal["sns"], /) -> SNSClient: ...
    @overload
    def __call__(self, service_name: Literal["sqs"], /) -> SQSClient: ...


def collect(client: Clients = boto3.client, prefix: str = "") -> list[Document]:
    """Every policy document, read with client(service) (boto3.client by default)."""
    wanted = _named(prefix)
    return [
        *iam_documents(client("iam"), wanted),
        *s3_documents(client("s3"), wanted),
        *kms_documents(client("kms"), wanted),
        *sns_documents(client("sns"), wanted),
        *sqs_documents(client("sqs"), wanted),
        *lambda_documents(client("lambda"), wanted),
    ]


def accepted_reason(finding: Finding, known: tuple[Known, ...] = KNOWN) -> str:
    entry = next((k for k in known if k.matches(finding)), None)
    return f"{entry.status}: {entry.reason}" if entry else ""


def lint(document: Document) -> list[Finding]:
    """parliament over each statement on its own, so that a finding names its statement."""
    statements = document.policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    findings = []
    for index, statement in enumerate(statements):
        single = {"Version": document.policy.get("Version", "2012-10-17"), "Statement": [statement]}
        policy = parliament.analyze_policy_string(
            json.dumps(single), include_community_auditors=True
        )
        for raw in policy.findings:
            parliament.enhance_finding(raw)
            finding = Finding(
                source=document.source, kind=document.kind, sid=statement.get("Sid", f"#{index}"),
                issue=raw.issue, severity=raw.severity, title=raw.title,
                detail=raw.detail if isinstance(raw.detail, str) else json.dumps(raw.detail),
                statement=statement,
            )  # fmt: skip
            findings.append(Finding(**(asdict(finding) | {"accepted": accepted_reason(finding)})))
    return findings


def stale(findings: list[Finding], known: tuple[Known, ...] = KNOWN) -> list[Known]:
    """Known entries that no finding matches any more: fixed, so remove them."""
    return [k for k in known if not any(k.matches(f) for f in findings)]


def failing(findings: list[Finding]) -> list[Finding]:
    """Findings above the threshold that are not known false positives."""
    limit = SEVERITIES.index(THRESHOLD)
    return [f for f in findings if SEVERITIES.index(f.severity) > limit and not f.accepted]


def summary(report: JSONObject) -> str:
    """A few lines: the counts, then each failing or stale entry in full."""
    findings = [Finding(**f) for f in report["findings"]]
    limit = SEVERITIES.index(THRESHOLD)
    above = [f for f in findings if SEVERITIES.index(f.severity) > limit]
    known: dict[str, int] = {}
    for finding in above:
        if finding.accepted:
            status = finding.accepted.split(":")[0]
            known[status] = known.get(status, 0) + 1
    bad = failing(findings)
    lines = [
        f"  {len(report['documents'])} policy documents, {len(findings)} findings, "
        f"{len(above)} above {THRESHOLD}: "
        + ", ".join(f"{count} known {status}" for status, count in sorted(known.items()))
        + f", {len(bad)} not known"
    ]
    for finding in bad:
        lines.append(f"  {finding.severity:<7} {finding.issue} in {finding.source} [{finding.sid}]")
        lines.append(f"          {finding.title}: {finding.detail}")
    for entry in stale(findings):
        lines.append(
            f"  STALE   {entry.issue} on {entry.source} ({entry.status}): fixed? remove it"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="read, lint and write the report here")
    parser.add_argument("--summary", type=Path, help="print an earlier report")
    parser.add_argument("--prefix", default="", help="only resources whose name contains this")
    args = parser.parse_args(argv)
    if args.summary:
        try:
            report = json.loads(args.summary.read_text())
        except OSError as e:
            parser.error(f"cannot read {args.summary}: {e.strerror}")
        except json.JSONDecodeError as e:
            parser.error(f"{args.summary} is not JSON: {e}")
    elif args.out:
        try:
            documents = collect(prefix=args.prefix)
        except (BotoCoreError, ClientError) as e:
            print(f"{parser.prog}: error: {e}", file=sys.stderr)
            return 1
        findings = [finding for document in documents for finding in lint(document)]
        report = {
            "parliament_version": parliament.__version__,
            "documents": [asdict(d) for d in documents],
            "findings": [asdict(f) for f in findings],
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    else:
        parser.error("--out or --summary is required")
    print(summary(report))
    findings = [Finding(**f) for f in report["findings"]]
    return 1 if failing(findings) or stale(findings) else 0


if __name__ == "__main__":
    sys.exit(main())
