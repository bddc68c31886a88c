"""parliament over every policy document of a deployment, read back from AWS.

Reads, with boto3 from the account of the environment (the local AWS when
AWS_ENDPOINT_URL points at it), every policy the stack attaches: IAM role
trust and inline policies and customer-managed policies attached to them,
bucket policies, key policies, topic and queue policies, and the function's
resource policy. Each is linted by parliament (https://github.com/duo-labs/parliament)
with its community auditors. A finding above LOW fails, unless it is one of
the known false positives below, each listed with its reason.

    audit_policies.py --out reports/audit/policies.json   # read, lint, write; exit 1 on a finding
    audit_policies.py --summary reports/audit/policies.json

The local AWS holds only this stack; against a real account, pass --prefix
(the stack's name prefix, project-environment) to read only its resources.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

with warnings.catch_warnings():
    # parliament 1.6.4 imports pkg_resources, which warns that it is deprecated.
    warnings.simplefilter("ignore", UserWarning)
    import parliament

SEVERITIES = ("MUTE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")
THRESHOLD = "LOW"  # anything above fails


@dataclass(frozen=True)
class Document:
    source: str  # what it is attached to, e.g. "s3 bucket policy: my-bucket"
    kind: str  # identity, trust or resource
    policy: dict


@dataclass(frozen=True)
class Finding:
    source: str
    kind: str
    issue: str
    severity: str
    title: str
    detail: str
    accepted: str = ""  # the reason, when it is a known false positive


@dataclass(frozen=True)
class FalsePositive:
    issue: str
    kind: str  # which documents it applies to ("*" for all)
    reason: str
    detail: str = "*"  # glob on the finding's detail, to name the statement


# Known false positives: data, each with its reason. Keep them narrow.
FALSE_POSITIVES = (
    FalsePositive(
        issue="MALFORMED",
        kind="trust",
        detail="*Resource*",
        reason="A role's trust policy has no Resource element by design (the role is the "
        "resource); parliament lints it as an identity policy.",
    ),
)


def _json(value: str | dict) -> dict:
    return json.loads(value) if isinstance(value, str) else value


def _named(prefix: str) -> Callable[[str], bool]:
    return lambda name: not prefix or prefix in name


def iam_documents(iam, wanted: Callable[[str], bool]) -> Iterator[Document]:
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            name = role["RoleName"]
            if role.get("Path", "/").startswith("/aws-service-role/") or not wanted(name):
                continue
            yield Document(f"iam role trust policy: {name}", "trust", _json(role["AssumeRolePolicyDocument"]))
            for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
                document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
                yield Document(f"iam role inline policy: {name}/{policy_name}", "identity", _json(document))
            for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                if attached["PolicyArn"].split(":")[4] == "aws":
                    continue  # AWS managed (AWS_ConfigRole): AWS's to write, not ours
                policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
                version = iam.get_policy_version(
                    PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
                )["PolicyVersion"]["Document"]
                yield Document(f"iam managed policy: {policy['PolicyName']}", "identity", _json(version))


def s3_documents(s3, wanted: Callable[[str], bool]) -> Iterator[Document]:
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


def kms_documents(kms, wanted: Callable[[str], bool]) -> Iterator[Document]:
    aliases = {}
    for page in kms.get_paginator("list_aliases").paginate():
        for alias in page["Aliases"]:
            if "TargetKeyId" in alias:
                aliases.setdefault(alias["TargetKeyId"], alias["AliasName"])
    for page in kms.get_paginator("list_keys").paginate():
        for key in page["Keys"]:
            metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            label = aliases.get(key["KeyId"], key["KeyId"])
            if metadata.get("KeyManager") == "AWS" or label.startswith("alias/aws/"):
                continue  # AWS managed keys: AWS writes their policies
            if metadata.get("KeyState") == "PendingDeletion" or not wanted(label):
                continue
            policy = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]
            yield Document(f"kms key policy: {label}", "resource", _json(policy))


def sns_documents(sns, wanted: Callable[[str], bool]) -> Iterator[Document]:
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            arn = topic["TopicArn"]
            if not wanted(arn):
                continue
            policy = sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("Policy")
            if policy:
                yield Document(f"sns topic policy: {arn.split(':')[-1]}", "resource", _json(policy))


def sqs_documents(sqs, wanted: Callable[[str], bool]) -> Iterator[Document]:
    for url in sqs.list_queues().get("QueueUrls", []):
        if not wanted(url):
            continue
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
        policy = attributes.get("Attributes", {}).get("Policy")
        if policy:
            yield Document(f"sqs queue policy: {url.rsplit('/', 1)[-1]}", "resource", _json(policy))


def lambda_documents(awslambda, wanted: Callable[[str], bool]) -> Iterator[Document]:
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


def collect(session: boto3.Session, prefix: str = "") -> list[Document]:
    wanted = _named(prefix)
    readers = (
        (iam_documents, "iam"), (s3_documents, "s3"), (kms_documents, "kms"),
        (sns_documents, "sns"), (sqs_documents, "sqs"), (lambda_documents, "lambda"),
    )  # fmt: skip
    return [doc for reader, service in readers for doc in reader(session.client(service), wanted)]


def accepted_reason(finding: Finding) -> str:
    for known in FALSE_POSITIVES:
        if (
            finding.issue == known.issue
            and known.kind in ("*", finding.kind)
            and fnmatch.fnmatchcase(finding.detail, known.detail)
        ):
            return known.reason
    return ""


def lint(document: Document) -> list[Finding]:
    policy = parliament.analyze_policy_string(
        json.dumps(document.policy), include_community_auditors=True
    )
    findings = []
    for raw in policy.findings:
        parliament.enhance_finding(raw)
        finding = Finding(
            source=document.source, kind=document.kind, issue=raw.issue,
            severity=raw.severity, title=raw.title, detail=json.dumps(raw.detail, default=str),
        )  # fmt: skip
        findings.append(Finding(**(asdict(finding) | {"accepted": accepted_reason(finding)})))
    return findings


def failing(findings: list[Finding]) -> list[Finding]:
    """Findings above the threshold that are not known false positives."""
    limit = SEVERITIES.index(THRESHOLD)
    return [f for f in findings if SEVERITIES.index(f.severity) > limit and not f.accepted]


def summary(report: dict) -> str:
    findings = [Finding(**f) for f in report["findings"]]
    lines = [f"  {len(report['documents'])} policy documents, {len(findings)} parliament findings"]
    for finding in sorted(findings, key=lambda f: -SEVERITIES.index(f.severity)):
        verdict = f"accepted: {finding.accepted}" if finding.accepted else finding.title
        lines.append(f"  {finding.severity:<8} {finding.issue:<28} {finding.source}  ({verdict})")
    bad = failing(findings)
    lines.append(f"  {len(bad)} above {THRESHOLD} that are not known false positives")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="read, lint and write the report here")
    parser.add_argument("--summary", type=Path, help="print an earlier report")
    parser.add_argument("--prefix", default="", help="only resources whose name contains this")
    args = parser.parse_args(argv)
    if args.summary:
        report = json.loads(args.summary.read_text())
    elif args.out:
        documents = collect(boto3.Session(), args.prefix)
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
    return 1 if failing([Finding(**f) for f in report["findings"]]) else 0


if __name__ == "__main__":
    sys.exit(main())
