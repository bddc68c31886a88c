"""Settings come from the environment once, and a bad one names itself."""

from __future__ import annotations

import pytest

from config import ConfigError, Settings, load_settings
from helpers import LIMITS_ENV, terraform_default
from image_processor import Limits

VALID = {
    "TABLE_NAME": "uploads",
    "NOTIFICATIONS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:notifications",
    "SECURITY_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:security",
} | LIMITS_ENV


def test_defaults_follow_the_contract():
    settings = load_settings(VALID)

    assert settings == Settings(
        table_name="uploads",
        notifications_topic_arn=VALID["NOTIFICATIONS_TOPIC_ARN"],
        security_topic_arn=VALID["SECURITY_TOPIC_ARN"],
        input_prefix="uploads/",
        output_prefix="processed/",
        max_upload_bytes=int(LIMITS_ENV["MAX_UPLOAD_BYTES"]),
        max_dimension=int(LIMITS_ENV["MAX_DIMENSION"]),
        record_ttl_days=90,
        log_level="INFO",
        malware_protection=False,
        stuck_after_s=900,
        processing_index=None,
    )


def test_every_variable_is_read():
    env = VALID | {
        "INPUT_PREFIX": "in/",
        "OUTPUT_PREFIX": "out/",
        "MAX_UPLOAD_BYTES": "5000",
        "MAX_DIMENSION": "2048",
        "RECORD_TTL_DAYS": "7",
        "LOG_LEVEL": "debug",
        "MALWARE_PROTECTION": "ON",
        "STUCK_AFTER_S": "120",
        "PROCESSING_INDEX": "in-progress",
    }

    settings = load_settings(env)

    assert (settings.input_prefix, settings.output_prefix) == ("in/", "out/")
    assert (settings.max_upload_bytes, settings.max_dimension) == (5000, 2048)
    assert (settings.record_ttl_days, settings.log_level) == (7, "DEBUG")
    assert settings.malware_protection is True
    assert (settings.stuck_after_s, settings.processing_index) == (120, "in-progress")


@pytest.mark.parametrize("name", sorted(VALID))
def test_a_missing_required_variable_is_named(name):
    env = {k: v for k, v in VALID.items() if k != name}

    with pytest.raises(ConfigError, match=name):
        load_settings(env)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NOTIFICATIONS_TOPIC_ARN", "not-an-arn"),
        ("SECURITY_TOPIC_ARN", "arn:aws:sqs:eu-west-1:1:q"),
        ("MAX_UPLOAD_BYTES", "ten"),
        ("MAX_UPLOAD_BYTES", "0"),
        ("MAX_DIMENSION", "-1"),
        ("RECORD_TTL_DAYS", "1.5"),
        ("INPUT_PREFIX", "uploads"),
        ("OUTPUT_PREFIX", "/processed/"),
        ("LOG_LEVEL", "LOUD"),
        ("MALWARE_PROTECTION", "yes"),
        ("STUCK_AFTER_S", "59"),
    ],
)
def test_a_malformed_variable_is_named(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings(VALID | {name: value})


@pytest.mark.parametrize(
    ("input_prefix", "output_prefix"),
    [("uploads/", "uploads/"), ("uploads/", "uploads/processed/"), ("a/b/", "a/")],
)
def test_overlapping_prefixes_are_refused(input_prefix, output_prefix):
    env = VALID | {"INPUT_PREFIX": input_prefix, "OUTPUT_PREFIX": output_prefix}

    with pytest.raises(ConfigError, match="must not overlap"):
        load_settings(env)


@pytest.mark.parametrize(("value", "expected"), [("on", True), ("off", False), ("", False)])
def test_malware_gating_is_off_unless_switched_on(value, expected):
    assert load_settings(VALID | {"MALWARE_PROTECTION": value}).malware_protection is expected


def test_the_domain_defaults_are_terraforms():
    """Limits() (used by tests and the benchmark) may not drift from the deployed limits."""
    defaults = Limits()

    assert defaults.max_bytes == int(terraform_default("max_upload_mb")) * 1024 * 1024
    assert defaults.max_dimension == int(terraform_default("max_dimension"))
