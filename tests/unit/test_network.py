"""A decoder with no way out (enable_vpc): what no plan may contain.

terraform/tests/pipeline.tftest.hcl checks the rendered network (the route
table has no route, the function's egress names no address range, the
endpoint policies name only the stack's resources). What it cannot see is a
resource added beside them: an internet or NAT gateway, a route of its own,
a peering. None of those may exist anywhere in the Terraform, and no rule of
the function's network may name the whole internet.
"""

from __future__ import annotations

import re

from helpers import ROOT

TERRAFORM = ROOT / "terraform"
NETWORK = TERRAFORM / "modules" / "image-pipeline" / "network.tf"

#: Resource types that would give the VPC a way out
#: (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html,
#: https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html).
WAYS_OUT = (
    "aws_internet_gateway",
    "aws_egress_only_internet_gateway",
    "aws_nat_gateway",
    "aws_route",
    "aws_vpc_peering_connection",
    "aws_ec2_transit_gateway_vpc_attachment",
    "aws_vpn_gateway",
)


def terraform_text() -> str:
    files = sorted(p for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)
    return "".join(path.read_text() for path in files)


def test_no_resource_gives_the_vpc_a_way_out() -> None:
    declared = set(re.findall(r'^resource "([a-z0-9_]+)"', terraform_text(), flags=re.MULTILINE))

    assert "aws_vpc" in declared  # the parser reads the network
    assert declared.isdisjoint(WAYS_OUT), sorted(declared & set(WAYS_OUT))


def test_no_rule_of_the_functions_network_names_the_internet() -> None:
    text = NETWORK.read_text()

    assert "aws_vpc_security_group_egress_rule" in text
    for anywhere in ("0.0.0.0/0", "::/0", "cidr_ipv4", "cidr_ipv6", "cidr_blocks"):
        assert anywhere not in text, f"network.tf names {anywhere}"
