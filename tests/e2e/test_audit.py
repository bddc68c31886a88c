"""`make audit`'s review of the shared stack, first, before any test changes it.

`scripts/audit.sh --deployed` runs Prowler and parliament over the stack as
the shared fixture deployed it (deploy.sh --local, as `make audit` deploys its
own), and deploys, destroys and stops nothing. It fails when a FAIL on the
stack is not muted by its row of SECURITY.md's Prowler exceptions register, a
row mutes no FAIL, or parliament finds something above LOW that
scripts/audit/audit_policies.py does not list: then so does this test, and
`make test-e2e`. Its reports are copied to reports/audit/, where `make audit`
leaves them. Prowler's virtualenv is built beside the deployment
(tests/e2e/conftest.py, prowler_venv).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from e2e.local_deployment import LocalDeployment
from helpers import ROOT

pytestmark = pytest.mark.slow


def copy_whole(source: str, target: str) -> None:
    """SOURCE to TARGET in one step for a reader: a copy beside it, then a rename."""
    partial = f"{target}.partial"
    shutil.copy2(source, partial)
    os.replace(partial, target)


@pytest.fixture(scope="module")
def audit(
    prowler_venv: subprocess.Popen[bytes] | None, shared_stack: LocalDeployment
) -> subprocess.CompletedProcess[str]:
    if prowler_venv is not None:  # begun before the deployment; done long since, as a rule
        installed = prowler_venv.wait(timeout=900)
        assert installed == 0, "make .venv-prowler/.installed failed: see .venv-prowler/pip.log"
    audited = shared_stack.script("audit.sh", "--deployed")
    reports = shared_stack.repo / "reports" / "audit"
    if reports.is_dir():
        # Each file whole (a copy, then a rename): make test reads audit.json beside this in CI.
        shutil.copytree(
            reports, ROOT / "reports" / "audit", dirs_exist_ok=True, copy_function=copy_whole
        )
    return audited


def test_every_fail_on_the_stack_is_registered_and_every_row_mutes_one(
    audit: subprocess.CompletedProcess[str], shared_stack: LocalDeployment
) -> None:
    assert audit.returncode == 0, audit.stdout[-4000:] + audit.stderr[-3000:]
    assert "every FAIL on the stack is muted by its row in SECURITY.md's register" in audit.stdout
    report = json.loads((shared_stack.repo / "reports" / "audit" / "audit.json").read_text())
    assert report["stack"], "Prowler found nothing on the stack: was it audited?"
    assert (report["unregistered"], report["stale"]) == ([], [])


def test_the_audit_deploys_nothing_and_leaves_the_shared_stack_running(
    audit: subprocess.CompletedProcess[str], shared_stack: LocalDeployment
) -> None:
    assert "deploy the stack" not in audit.stdout
    assert "destroy" not in audit.stdout
    assert shared_stack.script("local_aws.sh", "status").returncode == 0
    assert shared_stack.outputs()["logs_bucket_name"]
