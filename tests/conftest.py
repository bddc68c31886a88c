"""Fixtures shared by every test suite."""

from __future__ import annotations

from collections.abc import Iterator

import botocore.loaders
import botocore.session
import pytest

from helpers import REGION, FakeLambdaContext


@pytest.fixture(scope="session", autouse=True)
def _one_botocore_loader() -> Iterator[None]:
    """Every botocore session of the run reads the service models through one loader.

    moto's mock_aws sets boto3's default session aside, so each test's
    clients come from a new session, which parsed every service's model JSON
    again (about a third of a CPU second per test of the local AWS). The
    loader only reads botocore's own data files and caches what it read; the
    clients, credentials and configuration stay each session's own.
    """
    loader = botocore.loaders.create_loader()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            botocore.session.Session,
            "_register_data_loader",
            lambda self: self._components.register_component("data_loader", loader),
        )
        yield


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region, set before any boto3 client exists."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()
