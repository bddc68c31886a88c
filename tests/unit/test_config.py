"""Settings come from the environment once, and a bad one names itself."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from config import DEFAULT_KEY_TEMPLATE, MAX_EDGE, MAX_RECIPES, ConfigError, Settings, load_settings
from helpers import LIMITS_ENV, terraform_default
from image_processor import RECIPE_FORMATS, Limits, Recipe, recipe_digest
from storage import SEED_RECIPE_DIGEST

VALID = {
    "TABLE_NAME": "uploads",
    "NOTIFICATIONS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:notifications",
    "SECURITY_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:security",
} | LIMITS_ENV


def test_defaults_follow_the_contract() -> None:
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


def test_every_variable_is_read() -> None:
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
        "UPLOADER_ISOLATION": "on",
    }

    settings = load_settings(env)

    assert (settings.input_prefix, settings.output_prefix) == ("in/", "out/")
    assert (settings.max_upload_bytes, settings.max_dimension) == (5000, 2048)
    assert (settings.record_ttl_days, settings.log_level) == (7, "DEBUG")
    assert settings.malware_protection is True
    assert (settings.stuck_after_s, settings.processing_index) == (120, "in-progress")
    assert settings.uploader_isolation is True


@pytest.mark.parametrize("name", sorted(VALID))
def test_a_missing_required_variable_is_named(name: str) -> None:
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
        ("UPLOADER_ISOLATION", "true"),
        ("STUCK_AFTER_S", "59"),
    ],
)
def test_a_malformed_variable_is_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings(VALID | {name: value})


@pytest.mark.parametrize(
    ("input_prefix", "output_prefix"),
    [("uploads/", "uploads/"), ("uploads/", "uploads/processed/"), ("a/b/", "a/")],
)
def test_overlapping_prefixes_are_refused(input_prefix: str, output_prefix: str) -> None:
    env = VALID | {"INPUT_PREFIX": input_prefix, "OUTPUT_PREFIX": output_prefix}

    with pytest.raises(ConfigError, match="must not overlap"):
        load_settings(env)


@pytest.mark.parametrize(("value", "expected"), [("on", True), ("off", False), ("", False)])
def test_malware_gating_is_off_unless_switched_on(value: str, expected: bool) -> None:
    assert load_settings(VALID | {"MALWARE_PROTECTION": value}).malware_protection is expected


@pytest.mark.parametrize(("value", "expected"), [("on", True), ("off", False), ("", False)])
def test_uploader_isolation_is_off_unless_switched_on(value: str, expected: bool) -> None:
    assert load_settings(VALID | {"UPLOADER_ISOLATION": value}).uploader_isolation is expected


def test_the_domain_defaults_are_terraforms() -> None:
    """Limits() (used by tests and the benchmark) may not drift from the deployed limits."""
    defaults = Limits()

    assert defaults.max_bytes == int(terraform_default("max_upload_mb")) * 1024 * 1024
    assert defaults.max_dimension == int(terraform_default("max_dimension"))


# --------------------------------------------------------------------------
# Recipes and HEIC input
# --------------------------------------------------------------------------

#: RECIPES as Terraform renders it: jsonencode(var.recipes), unset optionals as null
#: (terraform/tests/pipeline.tftest.hcl asserts this shape on the planned function).
TERRAFORM_RECIPES = json.dumps(
    [
        {"name": "thumb", "max_edge": 200, "width": None, "height": None, "grayscale": False,
         "format": "webp", "quality": None, "lossless": False, "key": "{recipe}/{path}.{ext}"},
        {"name": "banner", "max_edge": None, "width": 1200, "height": 400, "grayscale": True,
         "format": "avif", "quality": 55, "lossless": False, "key": "b/{path}-{recipe}.{ext}"},
    ]
)  # fmt: skip


def test_without_recipes_the_seeds_rule_applies_and_heic_is_off() -> None:
    settings = load_settings(VALID | {"RECIPES": ""})

    assert settings.recipes is None
    assert settings.heic_input is False
    assert settings.recipe_digest == recipe_digest(None) == SEED_RECIPE_DIGEST


def test_recipes_are_read_as_terraform_renders_them() -> None:
    settings = load_settings(VALID | {"RECIPES": TERRAFORM_RECIPES, "HEIC_INPUT": "on"})

    assert settings.recipes == (
        Recipe("thumb", 200, 200, False, "webp", None, False, "{recipe}/{path}.{ext}"),
        Recipe("banner", 1200, 400, True, "avif", 55, False, "b/{path}-{recipe}.{ext}"),
    )
    assert settings.heic_input is True
    assert settings.recipe_digest != SEED_RECIPE_DIGEST


def test_the_digest_is_canonical_and_changes_with_any_option() -> None:
    recipes = load_settings(VALID | {"RECIPES": TERRAFORM_RECIPES}).recipes
    assert recipes is not None
    reordered_json = json.dumps([dict(sorted(r.items())) for r in json.loads(TERRAFORM_RECIPES)])

    same = load_settings(VALID | {"RECIPES": reordered_json}).recipes

    assert recipe_digest(same) == recipe_digest(recipes)
    changed = (dataclasses.replace(recipes[0], quality=81), recipes[1])
    assert recipe_digest(changed) != recipe_digest(recipes)
    assert recipe_digest(tuple(reversed(recipes))) != recipe_digest(recipes)  # the output order


@pytest.mark.parametrize(
    ("recipes", "message"),
    [
        ("{", "must be a JSON list"),
        ('{"name": "a"}', "1 to 10 recipes"),
        (json.dumps([{"name": f"r{i}"} for i in range(11)]), "1 to 10 recipes"),
        (json.dumps([{"name": "A"}]), "name must be"),
        (json.dumps([{"name": "a/b"}]), "name must be"),
        (json.dumps([{"name": "a"}, {"name": "a"}]), "unique"),
        (json.dumps([{"name": "a", "colour": "red"}]), "unknown fields"),
        (json.dumps([{"name": "a", "format": "heic"}]), "format must be one of"),
        (json.dumps([{"name": "a", "max_edge": 0}]), "max_edge must be"),
        (json.dumps([{"name": "a", "max_edge": 20000}]), "max_edge must be"),
        (json.dumps([{"name": "a", "max_edge": 10.5}]), "max_edge must be"),
        (json.dumps([{"name": "a", "max_edge": 10, "width": 5, "height": 5}]), "not both"),
        (json.dumps([{"name": "a", "width": 5}]), "both width and height"),
        (json.dumps([{"name": "a", "grayscale": "yes"}]), "true or false"),
        (json.dumps([{"name": "a", "format": "png", "quality": 80}]), "does not apply"),
        (json.dumps([{"name": "a", "quality": 0}]), "quality must be"),
        (json.dumps([{"name": "a", "format": "webp", "quality": 80, "lossless": True}]), "exclude"),
        (json.dumps([{"name": "a", "format": "avif", "lossless": True}]), "lossless needs"),
        (json.dumps([{"name": "a", "key": "{recipe}.{ext}"}]), "must contain {path}"),
        (json.dumps([{"name": "a", "key": "{path}.{format}"}]), "only {path}"),
        (json.dumps([{"name": "a", "key": "{path!r}.{ext}"}]), "only {path}"),
        (json.dumps([{"name": "a", "key": "{path"}]), "not a valid template"),
        (json.dumps([{"name": "a", "key": "../{path}.{ext}"}]), "relative key"),
        (json.dumps([{"name": "a", "key": "/{path}.{ext}"}]), "relative key"),
        (json.dumps([{"name": "a", "key": "{path}.x"}, {"name": "b", "key": "{path}.x"}]), "same"),
    ],
)
def test_a_bad_recipe_set_is_refused_with_what_is_wrong(recipes: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(VALID | {"RECIPES": recipes})


def test_heic_input_is_on_or_off() -> None:
    with pytest.raises(ConfigError, match="HEIC_INPUT"):
        load_settings(VALID | {"HEIC_INPUT": "yes"})


@pytest.mark.parametrize("path", ["terraform/modules/image-pipeline/variables.tf"])
def test_the_recipe_defaults_are_the_same_on_both_sides(path: str) -> None:
    # The optional attributes' defaults in var.recipes, and the same rules'
    # bounds, as config.py and image_processor.Recipe hold them.
    root = Path(__file__).resolve().parents[2]
    text = (root / path).read_text()
    variable = re.search(r'^variable "recipes" \{(.*?)^\}', text, re.M | re.S)
    assert variable is not None
    block = variable[1]

    assert f'key       = optional(string, "{DEFAULT_KEY_TEMPLATE}")' in block
    assert Recipe("r").key == DEFAULT_KEY_TEMPLATE
    assert 'format    = optional(string, "same")' in block
    assert Recipe("r").format == "same"
    assert f"contains({json.dumps(list(RECIPE_FORMATS))}, r.format)" in block
    assert f"length(var.recipes) <= {MAX_RECIPES}" in block
    assert f"v <= {MAX_EDGE}" in block
    assert terraform_default("recipes") == "null"
    assert terraform_default("enable_heic_input") == "false"
