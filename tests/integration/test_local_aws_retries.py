"""A retry of a call the local AWS has already done gets that call's answer, once done.

scripts/local/moto_server.py, 11.: Terraform's provider sometimes sends a call
again after the server did it and answered 200 (its answer lost on the way);
moto 5.2.5 did it twice and failed the deployment (InvalidPermission.Duplicate
for a second AuthorizeSecurityGroupEgress, InvalidPermission.NotFound for a
second revoke, InvalidRoute.NotFound for a gateway endpoint's second delete).
Here boto3 loses the first answer on purpose: its `needs-retry` event asks for
another attempt of the same call (the same amz-sdk-invocation-id).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError
from local_aws import LocalAWS, local_aws_fixture  # noqa: F401 - the fixture

from helpers import ROOT

if TYPE_CHECKING:
    from types_boto3_ec2.type_defs import IpPermissionTypeDef

HTTPS: IpPermissionTypeDef = {
    "IpProtocol": "tcp",
    "FromPort": 443,
    "ToPort": 443,
    "IpRanges": [{"CidrIp": "10.0.0.0/24"}],
}


def losing_first_answers(client: Any, before_again: Callable[[], object] = lambda: None) -> Any:
    """The client, made to send each call a second time after its first answer (and to run
    before_again in between)."""

    def again(attempts: int, **_: Any) -> float | None:
        if attempts > 1:
            return None
        before_again()
        return 0  # (seconds to wait before the next attempt)

    client.meta.events.register("needs-retry", again)
    return client


@pytest.fixture
def group(local_aws: LocalAWS) -> str:
    ec2 = local_aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/24")["Vpc"]["VpcId"]
    group: str = ec2.create_security_group(GroupName="g", Description="g", VpcId=vpc)["GroupId"]
    return group


def egress_rules(local_aws: LocalAWS, group: str) -> list[str]:
    """The IDs of the group's rules for HTTPS out."""
    rules = local_aws.client("ec2").describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group]}]
    )["SecurityGroupRules"]
    return [r["SecurityGroupRuleId"] for r in rules if r["IsEgress"] and r["FromPort"] == 443]


def test_an_authorize_sent_again_is_answered_once_done(local_aws: LocalAWS, group: str) -> None:
    ec2 = losing_first_answers(local_aws.client("ec2"))

    answer = ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[HTTPS])

    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
    assert egress_rules(local_aws, group) == [
        answer["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ]
    assert re.search(
        r"AuthorizeSecurityGroupEgress \(.*attempt=2.*not done again", local_aws.log.read_text()
    )


def test_a_revoke_sent_again_is_answered_once_done(local_aws: LocalAWS, group: str) -> None:
    rule = local_aws.client("ec2").authorize_security_group_egress(
        GroupId=group, IpPermissions=[HTTPS]
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ec2 = losing_first_answers(local_aws.client("ec2"))

    answer = ec2.revoke_security_group_egress(GroupId=group, SecurityGroupRuleIds=[rule])

    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
    assert egress_rules(local_aws, group) == []


def test_a_gateway_endpoint_delete_sent_again_is_answered_once_done(local_aws: LocalAWS) -> None:
    ec2 = local_aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/24")["Vpc"]["VpcId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway",
        RouteTableIds=[table],
    )["VpcEndpoint"]["VpcEndpointId"]  # fmt: skip

    answer = losing_first_answers(ec2).delete_vpc_endpoints(VpcEndpointIds=[endpoint])

    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
    assert answer["Unsuccessful"] == []
    routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    assert [r for r in routes if r.get("GatewayId") == endpoint] == []


def test_the_same_request_in_a_new_call_is_done_again_as_on_aws(
    local_aws: LocalAWS, group: str
) -> None:
    ec2 = local_aws.client("ec2")
    ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[HTTPS])

    with pytest.raises(ClientError) as again:
        ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[HTTPS])

    assert again.value.response["Error"]["Code"] == "InvalidPermission.Duplicate"


def test_a_retry_of_a_failed_attempt_is_done_again(local_aws: LocalAWS, group: str) -> None:
    rule = local_aws.client("ec2").authorize_security_group_egress(
        GroupId=group, IpPermissions=[HTTPS]
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    revoke = local_aws.client("ec2").revoke_security_group_egress
    ec2 = losing_first_answers(  # the first attempt: InvalidPermission.Duplicate
        local_aws.client("ec2"), lambda: revoke(GroupId=group, SecurityGroupRuleIds=[rule])
    )

    answer = ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[HTTPS])

    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
    assert egress_rules(local_aws, group) == [
        answer["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ]


#: The server's own wrapper around a stand-in for moto; it runs the scenario given as its
#: argument (attempt(CALL, NUMBER) sends an attempt of a call) and prints the attempts moto
#: saw and the answers. In while_the_first_runs(HOLD), the first attempt is in moto when the
#: second is sent, and moto answers it only once HOLD is set: after the second attempt found
#: the first's record (looked_up_again), or after moto was called again (moto_again): no
#: outcome depends on how fast a loaded machine runs.
STAND_IN = """
import json, sys, threading, time
import moto_server as server

calls, answers, HOLD = [], [], None
entered, looked_up_again, moto_again = threading.Event(), threading.Event(), threading.Event()
def moto(self, environ, start_response):
    calls.append(environ["HTTP_AMZ_SDK_INVOCATION_ID"] + ":" + environ["HTTP_AMZ_SDK_REQUEST"])
    if len(calls) > 1:
        moto_again.set()
    elif HOLD is not None:
        entered.set()
        HOLD.wait(timeout=60)
    start_response("200 OK", [("Content-Length", "4")])
    return [b"done"]

first_attempt, lookups = server._first_attempt, []
def counting_first_attempt(invocation):
    found = first_attempt(invocation)
    lookups.append(invocation)
    if len(lookups) == 2:
        looked_up_again.set()
    return found
server._first_attempt = counting_first_attempt

serve = server._answering_each_call_once(moto)
def attempt(call, number):
    environ = {"REQUEST_METHOD": "POST", "HTTP_AMZ_SDK_INVOCATION_ID": call,
               "HTTP_AMZ_SDK_REQUEST": f"attempt={number}", "wsgi.input": None}
    answers.append(b"".join(serve(None, environ, lambda *args: None)).decode())
def while_the_first_runs(hold):
    global HOLD
    HOLD, first = hold, threading.Thread(target=attempt, args=("one", 1))
    first.start()
    entered.wait(timeout=60)
    attempt("one", 2)
    first.join()
exec(sys.argv[1])
print(json.dumps({"calls": calls, "answers": answers}))
"""


def attempts_moto_saw(scenario: str) -> tuple[list[str], str]:
    """The attempts the stand-in for moto saw in the scenario (each answered "done"), and
    what the server logged."""
    ran = subprocess.run(
        [sys.executable, "-c", STAND_IN, scenario], cwd=ROOT / "scripts" / "local",
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    seen = json.loads(ran.stdout)
    assert set(seen["answers"]) == {"done"}, seen
    calls: list[str] = seen["calls"]
    return calls, ran.stderr


def test_an_attempt_sent_while_the_first_runs_gets_its_answer() -> None:
    seen, _ = attempts_moto_saw("while_the_first_runs(looked_up_again)")

    assert seen == ["one:attempt=1"]


def test_an_attempt_that_waited_too_long_for_the_first_is_done_again() -> None:
    seen, log = attempts_moto_saw("server.WAIT_FOR_EARLIER = 0.2; while_the_first_runs(moto_again)")

    assert seen == ["one:attempt=1", "one:attempt=2"]
    assert "an earlier attempt still runs; done again" in log


def test_an_answer_is_forgotten_after_kept_for() -> None:
    seen, _ = attempts_moto_saw(
        "attempt('one', 1); attempt('one', 2); server.KEPT_FOR = 0; time.sleep(0.01); "
        "attempt('one', 3)"
    )

    assert seen == ["one:attempt=1", "one:attempt=3"]


def test_only_the_newest_kept_calls_answers_are_kept() -> None:
    seen, _ = attempts_moto_saw(
        "server.KEPT_CALLS = 2; attempt('one', 1); attempt('two', 1); attempt('three', 1); "
        "attempt('two', 2); attempt('three', 2); attempt('one', 2)"
    )

    assert seen == ["one:attempt=1", "two:attempt=1", "three:attempt=1", "one:attempt=2"]
