"""A delete that finds its part already gone succeeds on the local AWS, as on AWS.

scripts/local/moto_server.py, 11.: a gateway endpoint is deleted even when its
route is already gone (moto 5.2.5: InvalidRoute.NotFound, and the endpoint
stays), and a revoke of a security group rule ID the group does not have
answers InvalidSecurityGroupRuleId.NotFound, which Terraform takes as already
deleted (moto 5.2.5: InvalidPermission.NotFound, which fails the destroy).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from local_aws import LocalAWS, local_aws_fixture  # noqa: F401 - the fixture


def test_a_gateway_endpoint_whose_route_is_gone_is_deleted(local_aws: LocalAWS) -> None:
    ec2 = local_aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/24")["Vpc"]["VpcId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway",
        RouteTableIds=[table],
    )["VpcEndpoint"]["VpcEndpointId"]  # fmt: skip
    routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    prefix_list = next(
        r["DestinationPrefixListId"] for r in routes if r.get("GatewayId") == endpoint
    )
    ec2.delete_route(RouteTableId=table, DestinationPrefixListId=prefix_list)

    ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint])
    ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint])  # and again: a repeated request

    state = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"][0]["State"]
    assert state.lower() == "deleted"


@pytest.mark.parametrize("direction", ["egress", "ingress"])
def test_revoking_a_rule_id_the_group_does_not_have_is_rule_id_not_found(
    local_aws: LocalAWS, direction: str
) -> None:
    ec2 = local_aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/24")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="g", Description="g", VpcId=vpc)["GroupId"]
    authorize = getattr(ec2, f"authorize_security_group_{direction}")
    revoke = getattr(ec2, f"revoke_security_group_{direction}")
    https = {
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "IpRanges": [{"CidrIp": "10.0.0.0/24"}],
    }
    rule = authorize(GroupId=group, IpPermissions=[https])["SecurityGroupRules"][0]
    revoke(GroupId=group, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])

    with pytest.raises(ClientError) as again:
        revoke(GroupId=group, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])

    assert again.value.response["Error"]["Code"] == "InvalidSecurityGroupRuleId.NotFound"
