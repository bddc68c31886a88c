"""Rewrite tests/fixtures/policies/*.json from the policies Terraform renders.

The local AWS tests (tests/integration/test_local_aws_*.py) load these
fixtures. Runs of terraform/tests/pipeline.tftest.hcl assert that each one is
the rendered images-bucket policy with its ARNs as placeholders; when one is
not, the assertion's message ends with a line ``policy-fixture: NAME`` and
the rendered policy in that form. This reads `terraform test -json` on stdin
and writes each such policy to its fixture, so a fixture is never edited by
hand. Prints one line per fixture written; exits 1 if the test run failed for
any other reason.

Usage (`make policy-fixtures`, from terraform/):
  terraform test -json -filter=tests/pipeline.tftest.hcl | python ../tests/policy_fixtures.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "policies"
MARKER = "\npolicy-fixture: "


def fixtures_in(lines: list[str]) -> tuple[dict[str, object], list[str]]:
    """The policies the failed fixture assertions carry, and every other error's summary."""
    policies: dict[str, object] = {}
    others: list[str] = []
    for line in lines:
        message = json.loads(line)
        if message.get("type") != "diagnostic" or message["@level"] != "error":
            continue
        diagnostic = message["diagnostic"]
        detail = diagnostic.get("detail", "")
        if MARKER in detail:
            name, _, policy = detail.split(MARKER, 1)[1].partition("\n")
            policies[name] = json.loads(policy)
        else:
            others.append(f"{message.get('@testrun', '?')}: {diagnostic['summary']}: {detail}")
    return policies, others


def main() -> int:
    policies, others = fixtures_in(sys.stdin.read().splitlines())
    for name, policy in sorted(policies.items()):
        (FIXTURES / name).write_text(json.dumps(policy, indent=2) + "\n")
        print(f"wrote tests/fixtures/policies/{name} (the policy Terraform renders)")
    if not policies:
        print("every policy fixture is the policy Terraform renders")
    for other in others:
        print(f"error: {other}", file=sys.stderr)
    return 1 if others else 0


if __name__ == "__main__":
    sys.exit(main())
