"""Settings read from the environment once per container and validated.

A missing or malformed variable raises ``ConfigError`` at import time of the
handler (the Lambda init phase), with a message that names the variable.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from storage import SEED_RECIPE_DIGEST

_LOG_LEVELS = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})


class ConfigError(ValueError):
    """An environment variable is missing or has an invalid value."""


@dataclass(frozen=True, slots=True)
class Settings:
    table_name: str
    notifications_topic_arn: str
    security_topic_arn: str
    #: The limits have one source, Terraform's max_upload_mb and max_dimension,
    #: which the function receives as MAX_UPLOAD_BYTES and MAX_DIMENSION.
    max_upload_bytes: int
    max_dimension: int
    input_prefix: str = "uploads/"
    output_prefix: str = "processed/"
    record_ttl_days: int = 90
    log_level: str = "INFO"
    #: GuardDuty Malware Protection for S3 gates processing: only a scan result
    #: starts it, and S3's own events for uploads are ignored.
    malware_protection: bool = False
    #: A PROCESSING record whose lease ran out this long ago is recorded FAILED
    #: by the sweep (its invocation died and no retry came).
    stuck_after_s: int = 900
    #: Optional DynamoDB index on ``lease_until`` that the sweep scans instead of the table.
    processing_index: str | None = None
    #: The digest of the recipe set each record stores (``recipe_digest``): a
    #: reprocess under the same digest is a no-op, under another one it redoes the upload.
    recipe_digest: str = SEED_RECIPE_DIGEST


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required but missing or empty")
    return value


def _arn(env: Mapping[str, str], name: str, service: str) -> str:
    value = _required(env, name)
    if not value.startswith("arn:") or f":{service}:" not in value:
        raise ConfigError(f"environment variable {name} must be an {service} ARN, got {value!r}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(
            f"environment variable {name} must be between {minimum} and {maximum}, got {value}"
        )
    return value


def _required_int(env: Mapping[str, str], name: str, minimum: int, maximum: int) -> int:
    _required(env, name)
    return _int(env, name, 0, minimum, maximum)


def _prefix(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    if not value.endswith("/") or value.startswith("/") or value == "/":
        raise ConfigError(
            f"environment variable {name} must be a key prefix like 'uploads/', got {value!r}"
        )
    return value


def _switch(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower() or "off"
    if raw not in ("on", "off"):
        raise ConfigError(f"environment variable {name} must be 'on' or 'off', got {raw!r}")
    return raw == "on"


def recipe_digest(recipes: object) -> str:
    """A short digest of a recipe set (its canonical JSON); ``None`` is the seed's rule."""
    canonical = "seed" if recipes is None else recipes
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _recipe_digest(env: Mapping[str, str], name: str = "RECIPES") -> str:
    """The digest of the RECIPES variable (a JSON list); empty is the seed's rule."""
    raw = env.get(name, "").strip()
    if raw in ("", "null", "[]"):
        return recipe_digest(None)
    try:
        recipes = json.loads(raw)
    except ValueError as e:
        raise ConfigError(f"environment variable {name} must be a JSON list: {e}") from None
    if not isinstance(recipes, list):
        raise ConfigError(f"environment variable {name} must be a JSON list")
    return recipe_digest(recipes)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build validated ``Settings`` from ``env`` (defaults to ``os.environ``)."""
    env = os.environ if env is None else env
    input_prefix = _prefix(env, "INPUT_PREFIX", "uploads/")
    output_prefix = _prefix(env, "OUTPUT_PREFIX", "processed/")
    # The function must never read what it writes, or one upload could
    # trigger itself forever.
    if input_prefix.startswith(output_prefix) or output_prefix.startswith(input_prefix):
        raise ConfigError(
            f"INPUT_PREFIX {input_prefix!r} and OUTPUT_PREFIX {output_prefix!r} must not overlap"
        )
    log_level = (env.get("LOG_LEVEL", "").strip() or "INFO").upper()
    if log_level not in _LOG_LEVELS:
        raise ConfigError(
            f"environment variable LOG_LEVEL must be one of {sorted(_LOG_LEVELS)}, "
            f"got {log_level!r}"
        )
    return Settings(
        table_name=_required(env, "TABLE_NAME"),
        notifications_topic_arn=_arn(env, "NOTIFICATIONS_TOPIC_ARN", "sns"),
        security_topic_arn=_arn(env, "SECURITY_TOPIC_ARN", "sns"),
        input_prefix=input_prefix,
        output_prefix=output_prefix,
        max_upload_bytes=_required_int(env, "MAX_UPLOAD_BYTES", 1, 100 * 1024 * 1024),
        max_dimension=_required_int(env, "MAX_DIMENSION", 1, 16384),
        record_ttl_days=_int(env, "RECORD_TTL_DAYS", 90, 1, 3650),
        log_level=log_level,
        malware_protection=_switch(env, "MALWARE_PROTECTION"),
        stuck_after_s=_int(env, "STUCK_AFTER_S", 900, 60, 86_400),
        processing_index=env.get("PROCESSING_INDEX", "").strip() or None,
        recipe_digest=_recipe_digest(env),
    )
