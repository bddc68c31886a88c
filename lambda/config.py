"""Settings read from the environment once per container and validated.

A missing or malformed variable raises ``ConfigError`` at import time of the
handler (the Lambda init phase), with a message that names the variable.
"""

from __future__ import annotations

import json
import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from image_processor import (
    LOSSLESS_FORMATS,
    OUTPUT_EXTENSIONS,
    QUALITY_FORMATS,
    RECIPE_FORMATS,
    Recipe,
    recipe_digest,
)

_LOG_LEVELS = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})
#: The same rules as terraform/modules/image-pipeline/variables.tf's ``recipes`` validation.
MAX_RECIPES = 10
MAX_EDGE = 16384
_RECIPE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_RECIPE_FIELDS = frozenset(
    {"name", "max_edge", "width", "height", "grayscale", "format", "quality", "lossless", "key"}
)
#: What an output key template may use: the upload's key below the input
#: prefix without its extension, the output's extension, the recipe's name.
KEY_PLACEHOLDERS = frozenset({"path", "ext", "recipe"})
DEFAULT_KEY_TEMPLATE = "{recipe}/{path}.{ext}"


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
    #: The outputs of each upload; ``None`` is the seed's rule (one output, chosen
    #: by the file name: ``_thumb``, ``_grayscale`` or a 1,024 px resize).
    recipes: tuple[Recipe, ...] | None = None
    #: HEIC/HEIF uploads are decoded (pillow-heif); off, they are rejected as before.
    heic_input: bool = False
    #: Uploaders are kept apart by tenant (enable_uploader_isolation): each writes
    #: only under ``<input_prefix><tenant>/``, and the record names the tenant.
    uploader_isolation: bool = False

    @property
    def recipe_digest(self) -> str:
        """The digest of the recipe set each record stores (``image_processor.recipe_digest``)."""
        return recipe_digest(self.recipes)


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


def _recipes(env: Mapping[str, str], name: str = "RECIPES") -> tuple[Recipe, ...] | None:
    """The recipe set: a JSON list (Terraform's ``jsonencode``); empty is the seed's rule."""
    raw = env.get(name, "").strip()
    if raw in ("", "null", "[]"):
        return None
    try:
        entries = json.loads(raw)
    except ValueError as e:
        raise ConfigError(f"environment variable {name} must be a JSON list: {e}") from None
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_RECIPES:
        raise ConfigError(
            f"environment variable {name} must be a JSON list of 1 to {MAX_RECIPES} recipes"
        )
    recipes = tuple(_recipe(entry, f"{name}[{i}]") for i, entry in enumerate(entries))
    names = [recipe.name for recipe in recipes]
    if len(set(names)) != len(names):
        raise ConfigError(f"environment variable {name}: recipe names must be unique: {names}")
    keys = [_sample_key(recipe) for recipe in recipes]
    if len(set(keys)) != len(keys):
        raise ConfigError(
            f"environment variable {name}: two recipes would write the same output key "
            f"({', '.join(keys)}); put {{recipe}} in the key templates"
        )
    return recipes


def _recipe(entry: object, where: str) -> Recipe:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be an object")
    values = {k: v for k, v in entry.items() if v is not None}  # Terraform's unset optionals
    unknown = set(values) - _RECIPE_FIELDS
    if unknown:
        raise ConfigError(f"{where} has unknown fields: {sorted(unknown)}")
    name = values.get("name")
    if not isinstance(name, str) or not _RECIPE_NAME.fullmatch(name):
        raise ConfigError(
            f"{where}.name must be 1 to 32 of a-z, 0-9, '_' and '-', starting with a letter "
            f"or digit, got {name!r}"
        )
    max_edge = _edge(values, "max_edge", where)
    width, height = _edge(values, "width", where), _edge(values, "height", where)
    if max_edge is not None and (width is not None or height is not None):
        raise ConfigError(f"{where}: give max_edge or width and height, not both")
    if (width is None) != (height is None):
        raise ConfigError(f"{where}: a box needs both width and height")
    if max_edge is not None:
        width = height = max_edge
    fmt = values.get("format", "same")
    if fmt not in RECIPE_FORMATS:
        raise ConfigError(f"{where}.format must be one of {list(RECIPE_FORMATS)}, got {fmt!r}")
    grayscale, lossless = _flag(values, "grayscale", where), _flag(values, "lossless", where)
    quality = values.get("quality")
    if quality is not None:
        if not isinstance(quality, int) or isinstance(quality, bool) or not 1 <= quality <= 100:
            raise ConfigError(f"{where}.quality must be an integer from 1 to 100, got {quality!r}")
        if fmt not in QUALITY_FORMATS:
            raise ConfigError(f"{where}.quality does not apply to format {fmt!r} (lossless)")
        if lossless:
            raise ConfigError(f"{where}: quality and lossless exclude each other")
    if lossless and fmt not in LOSSLESS_FORMATS:
        raise ConfigError(f"{where}.lossless needs format png, webp or same, not {fmt!r}")
    key = values.get("key", DEFAULT_KEY_TEMPLATE)
    _check_template(key, where)
    return Recipe(name, width, height, grayscale, fmt, quality, lossless, key)


def _edge(values: Mapping[str, Any], field: str, where: str) -> int | None:
    value = values.get(field)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_EDGE:
        raise ConfigError(f"{where}.{field} must be an integer from 1 to {MAX_EDGE}, got {value!r}")
    return value


def _flag(values: Mapping[str, Any], field: str, where: str) -> bool:
    value = values.get(field, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{field} must be true or false, got {value!r}")
    return value


def _check_template(template: object, where: str) -> None:
    if not isinstance(template, str) or not template:
        raise ConfigError(f"{where}.key must be a non-empty string")
    try:
        fields = [f for _, f, spec, conv in string.Formatter().parse(template) if f is not None]
        specs = [(spec, conv) for _, f, spec, conv in string.Formatter().parse(template) if f]
    except ValueError as e:
        raise ConfigError(f"{where}.key {template!r} is not a valid template: {e}") from None
    if not set(fields) <= KEY_PLACEHOLDERS or any(spec or conv for spec, conv in specs):
        raise ConfigError(f"{where}.key {template!r} may use only {{path}}, {{ext}} and {{recipe}}")
    if "path" not in fields:
        raise ConfigError(f"{where}.key {template!r} must contain {{path}}")
    if template.startswith("/") or ".." in template.split("/") or "//" in template:
        raise ConfigError(f"{where}.key {template!r} must be a relative key under the prefix")


def _sample_key(recipe: Recipe) -> str:
    """The key a recipe would write for a sample upload (to find two that collide)."""
    ext = "same" if recipe.format == "same" else OUTPUT_EXTENSIONS[recipe.format.upper()]
    return recipe.key.format(path="p", ext=ext, recipe=recipe.name)


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
        recipes=_recipes(env),
        heic_input=_switch(env, "HEIC_INPUT"),
        uploader_isolation=_switch(env, "UPLOADER_ISOLATION"),
    )
