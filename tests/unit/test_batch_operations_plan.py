"""S3 Batch Operations: AWS's documented request parsed, the documented response built,
and the plan for each task (what a reprocess does, or why it does nothing)."""

from __future__ import annotations

import importlib.util
import json
import re
from typing import Any

import pytest

import batch_operations
from batch_operations import ResultCode, TaskResult, failure_of, plan, result_of
from config import ConfigError, load_settings
from errors import MalformedEvent, UploadInProgress
from events import (
    BatchTask,
    EventKind,
    Upload,
    event_kind,
    parse_batch_invocation,
    parse_batch_task,
)
from helpers import EVENTS, LIMITS_ENV, ROOT, batch_invocation, s3_event, sqs_batch
from image_processor import recipe_digest
from storage import (
    REPROCESS_FLOOR_SEQUENCER,
    SEED_RECIPE_DIGEST,
    Status,
    Trigger,
    UploadRecord,
)

_spec = importlib.util.spec_from_file_location("prices", ROOT / "bench" / "prices.py")
assert _spec is not None
assert _spec.loader is not None
prices = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(prices)

ENV = {
    "TABLE_NAME": "uploads",
    "NOTIFICATIONS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:notifications",
    "SECURITY_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:security",
} | LIMITS_ENV
SETTINGS = load_settings(ENV)
BUCKET = "images"
SEQ = "0055AED6DCD90281E5".ljust(64, "0")


def fixture(name: str) -> dict[str, Any]:
    with (EVENTS / name).open() as f:
        event: dict[str, Any] = json.load(f)
    return event


def record(**changes: Any) -> UploadRecord:
    values: dict[str, Any] = {
        "object_key": "uploads/a.png",
        "bucket": BUCKET,
        "sequencer": SEQ,
        "version_id": "v1",
        "etag": "e1",
        "request_id": "r1",
        "received_at": "2026-01-01T00:00:00+00:00",
        "expires_at": 2_000_000_000,
        "status": Status.PROCESSED,
        "recipe_digest": SEED_RECIPE_DIGEST,
        "output_key": "processed/a.png",
    }
    return UploadRecord(**(values | changes))


def task(key: str = "uploads/a.png", bucket: str = BUCKET) -> BatchTask:
    return BatchTask(task_id="t1", bucket=bucket, key=key, version_id=None)


# --------------------------------------------------------------------------
# The documented request and response
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["s3_batch_operations_invocation_v1.json", "s3_batch_operations_invocation_v2.json"]
)
def test_the_documented_requests_are_batch_operations(name: str) -> None:
    assert event_kind(fixture(name)) is EventKind.BATCH_OPERATIONS


def test_other_events_are_not_taken_for_batch_operations() -> None:
    event = s3_event(BUCKET, "uploads/a.png", size=1, sequencer="01")

    assert event_kind(event) is EventKind.S3
    assert event_kind(sqs_batch(event)) is EventKind.SQS


def test_schema_1_0_names_the_bucket_by_arn() -> None:
    invocation = parse_batch_invocation(fixture("s3_batch_operations_invocation_v1.json"))

    assert invocation.schema_version == "1.0"
    assert invocation.invocation_id == "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo"
    assert invocation.job_id == "f3cc4f60-61f6-4a2b-8a21-d07600c373ce"
    assert invocation.user_arguments == {}
    assert parse_batch_task(invocation.tasks[0], "1.0") == BatchTask(
        task_id="dGFza2lkZ29lc2hlcmUK",
        bucket="amzn-s3-demo-bucket",
        key="customerImage1.jpg",
        version_id="1",
    )


def test_schema_1_0_with_the_s3_user_guides_arn_form() -> None:
    raw = fixture("s3_batch_operations_invocation_v1.json")["tasks"][0]
    raw["s3BucketArn"] = "arn:aws:s3:us-east-1:0123456788:awsexamplebucket1"

    assert parse_batch_task(raw, "1.0").bucket == "awsexamplebucket1"


def test_schema_2_0_names_the_bucket_and_carries_user_arguments() -> None:
    invocation = parse_batch_invocation(fixture("s3_batch_operations_invocation_v2.json"))

    assert invocation.schema_version == "2.0"
    assert invocation.user_arguments == {"k1": "v1", "k2": "v2"}
    assert parse_batch_task(invocation.tasks[0], "2.0") == BatchTask(
        task_id="dGFza2lkZ29lc2hlcmUK",
        bucket="powertools-dataset",
        key="prefix/dataset/dataset.20231222.json.gz",
        version_id=None,
    )


def test_keys_are_percent_decoded_and_a_plus_stays_a_plus() -> None:
    event = batch_invocation(BUCKET, "uploads/a b+c é.png", "uploads/x+y.png")
    assert event["tasks"][0]["s3Key"] == "uploads/a%20b%2Bc%20%C3%A9.png"  # as in a manifest
    event["tasks"][1]["s3Key"] = "uploads/x+y.png"  # a literal + in a manifest

    keys = [parse_batch_task(raw, "2.0").key for raw in event["tasks"]]

    assert keys == ["uploads/a b+c é.png", "uploads/x+y.png"]


def test_the_response_has_the_documented_shape() -> None:
    documented = fixture("s3_batch_operations_response.json")
    invocation = parse_batch_invocation(fixture("s3_batch_operations_invocation_v1.json"))
    only = documented["results"][0]

    built = batch_operations.response(
        invocation,
        [TaskResult(only["taskId"], ResultCode(only["resultCode"]), only["resultString"])],
    )

    assert built == documented


def test_result_codes_are_the_three_documented_ones() -> None:
    assert {code.value for code in ResultCode} == {
        "Succeeded",
        "TemporaryFailure",
        "PermanentFailure",
    }


def test_a_long_result_string_is_cut() -> None:
    result = TaskResult("t", ResultCode.SUCCEEDED, "x" * 5000).to_json()

    assert len(result["resultString"]) == batch_operations.MAX_RESULT_STRING


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"invocationSchemaVersion": "3.0"}, "not 1.0 or 2.0"),
        ({"invocationId": None}, None),
        ({"job": {"id": "j", "userArguments": ["not", "a", "map"]}}, "userArguments"),
    ],
)
def test_an_invocation_that_cannot_be_answered_is_malformed(
    change: dict[str, Any], message: str | None
) -> None:
    event = fixture("s3_batch_operations_invocation_v2.json") | change
    if change.get("invocationId", "") is None:
        del event["invocationId"]

    with pytest.raises(MalformedEvent, match=message):
        parse_batch_invocation(event)


@pytest.mark.parametrize(
    ("schema", "change"),
    [
        ("2.0", {"s3Key": None}),
        ("2.0", {"s3Key": ""}),
        ("2.0", {"s3Bucket": None}),
        ("1.0", {"s3BucketArn": "amzn-s3-demo-bucket"}),
    ],
)
def test_a_task_without_bucket_or_key_is_malformed_and_named(
    schema: str, change: dict[str, Any]
) -> None:
    name = f"s3_batch_operations_invocation_v{schema[0]}.json"
    raw = fixture(name)["tasks"][0] | change
    raw = {k: v for k, v in raw.items() if v is not None}

    with pytest.raises(MalformedEvent, match="dGFza2lkZ29lc2hlcmUK"):
        parse_batch_task(raw, schema)


# --------------------------------------------------------------------------
# The plan of a task
# --------------------------------------------------------------------------


def test_a_key_outside_the_input_prefix_fails_permanently() -> None:
    result = plan(task("processed/a.png"), None, SETTINGS)

    assert result == TaskResult(
        "t1", ResultCode.PERMANENT_FAILURE, "not reprocessed: key is outside uploads/"
    )


def test_a_folder_marker_is_skipped() -> None:
    result = plan(task("uploads/2026/"), None, SETTINGS)

    assert result == TaskResult("t1", ResultCode.SUCCEEDED, "skipped: a folder marker")


@pytest.mark.parametrize("status", [Status.PROCESSED, Status.REJECTED])
def test_a_decided_record_of_the_same_recipe_set_is_unchanged(status: Status) -> None:
    result = plan(task(), record(status=status), SETTINGS)

    assert result == TaskResult(
        "t1",
        ResultCode.SUCCEEDED,
        f"unchanged: already {status.value} under recipe set {SEED_RECIPE_DIGEST}",
    )


def test_a_record_without_a_digest_counts_as_the_seed_rules() -> None:
    assert isinstance(plan(task(), record(recipe_digest=None), SETTINGS), TaskResult)


def test_a_record_of_another_recipe_set_is_reprocessed_as_the_record_says() -> None:
    settings = load_settings(ENV | {"RECIPES": '[{"name": "web", "max_edge": 800}]'})

    upload = plan(task(), record(), settings)

    assert upload == Upload(
        bucket=BUCKET,
        key="uploads/a.png",
        version_id="v1",
        sequencer=SEQ,
        etag="e1",
        trigger=Trigger.S3_EVENT,
        reprocess=True,
    )


@pytest.mark.parametrize(
    "changes",
    [{"status": Status.FAILED}, {"status": Status.PROCESSING}, {"pending_topics": {"n"}}],
)
def test_an_undecided_or_unannounced_record_goes_to_the_claim(changes: dict[str, Any]) -> None:
    assert isinstance(plan(task(), record(**changes), SETTINGS), Upload)


def test_an_object_without_a_record_is_processed_below_any_s3_sequencer() -> None:
    upload = plan(BatchTask(task_id="t1", bucket=BUCKET, key="uploads/a.png", version_id="v9"),
                  None, SETTINGS)  # fmt: skip

    assert isinstance(upload, Upload)
    assert upload.version_id == "v9"  # the version the job's manifest names
    assert upload.sequencer == REPROCESS_FLOOR_SEQUENCER
    assert upload.sequencer < "01".ljust(64, "0")
    assert upload.reprocess


def test_a_record_in_another_bucket_fails_permanently() -> None:
    result = plan(task(bucket="elsewhere"), record(), SETTINGS)

    assert result == TaskResult(
        "t1",
        ResultCode.PERMANENT_FAILURE,
        "not reprocessed: the pipeline's record of this key is in bucket images",
    )


@pytest.mark.parametrize(
    ("existing", "state"),
    [
        (None, "no record"),
        (record(trigger=Trigger.S3_EVENT), "the record is PROCESSED"),
        (
            record(trigger=Trigger.MALWARE_SCAN, status=Status.REJECTED, reason="malware"),
            "the record is REJECTED",
        ),
    ],
)
def test_with_malware_gating_only_a_clean_scanned_upload_is_reprocessed(
    existing: UploadRecord | None, state: str
) -> None:
    settings = load_settings(ENV | {"MALWARE_PROTECTION": "on", "RECIPES": '[{"name": "x"}]'})

    result = plan(task(), existing, settings)

    assert result == TaskResult(
        "t1",
        ResultCode.PERMANENT_FAILURE,
        "not reprocessed: malware gating is on and only an upload GuardDuty scanned clean "
        f"and the pipeline processed may be reprocessed ({state})",
    )


def test_with_malware_gating_a_clean_scanned_upload_is_reprocessed() -> None:
    settings = load_settings(ENV | {"MALWARE_PROTECTION": "on", "RECIPES": '[{"name": "x"}]'})

    upload = plan(task(), record(trigger=Trigger.MALWARE_SCAN), settings)

    assert isinstance(upload, Upload)
    assert upload.trigger is Trigger.MALWARE_SCAN


# --------------------------------------------------------------------------
# Outcomes to results
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "code", "message"),
    [
        (
            {"status": "PROCESSED", "output_key": "processed/a.png"},
            ResultCode.SUCCEEDED,
            "PROCESSED: wrote processed/a.png under recipe set d",
        ),
        ({"status": "REJECTED", "reason": "corrupt"}, ResultCode.SUCCEEDED, "REJECTED corrupt"),
        (
            {"status": "REJECTED", "reason": "object_missing"},
            ResultCode.PERMANENT_FAILURE,
            "REJECTED object_missing: s3://images/uploads/a.png is gone",
        ),
        (
            {"status": "DUPLICATE"},
            ResultCode.SUCCEEDED,
            "DUPLICATE: decided meanwhile (by another invocation under this recipe set, "
            "or a newer upload of the key)",
        ),
        (
            {"status": "SUPERSEDED"},
            ResultCode.SUCCEEDED,
            "SUPERSEDED: a newer upload of the key took the record over",
        ),
        (
            {"status": "PROCESSING"},
            ResultCode.TEMPORARY_FAILURE,
            "no decision recorded (status 'PROCESSING')",
        ),
        ({}, ResultCode.TEMPORARY_FAILURE, "no decision recorded (status '')"),
    ],
)
def test_each_outcome_has_its_result(
    outcome: dict[str, str], code: ResultCode, message: str
) -> None:
    assert result_of(task(), outcome, "d") == TaskResult("t1", code, message)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (UploadInProgress("the claim is held"), "retry: in_progress_elsewhere: the claim is held"),
        (TimeoutError("read timed out"), "retry: TimeoutError: read timed out"),
    ],
)
def test_a_task_whose_processing_raised_is_retried_with_its_reason(
    error: Exception, message: str
) -> None:
    assert failure_of("t1", error) == TaskResult("t1", ResultCode.TEMPORARY_FAILURE, message)


# --------------------------------------------------------------------------
# The recipe digest (until wp/recipes' recipe sets land)
# --------------------------------------------------------------------------


def test_the_seed_digest_is_the_digest_of_no_recipes() -> None:
    assert recipe_digest(None) == SEED_RECIPE_DIGEST
    assert SETTINGS.recipe_digest == SEED_RECIPE_DIGEST
    assert load_settings(ENV | {"RECIPES": "[]"}).recipe_digest == SEED_RECIPE_DIGEST


def test_another_recipe_set_has_another_digest_and_key_order_does_not_matter() -> None:
    one = load_settings(ENV | {"RECIPES": '[{"name": "web", "max_edge": 800}]'})
    same = load_settings(ENV | {"RECIPES": '[{"max_edge": 800, "name": "web"}]'})
    other = load_settings(ENV | {"RECIPES": '[{"name": "web", "max_edge": 801}]'})

    assert one.recipe_digest == same.recipe_digest
    assert len({SEED_RECIPE_DIGEST, one.recipe_digest, other.recipe_digest}) == 3


@pytest.mark.parametrize("raw", ["{not json", '{"name": "web"}'])
def test_recipes_that_are_not_a_json_list_are_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="RECIPES"):
        load_settings(ENV | {"RECIPES": raw})


# --------------------------------------------------------------------------
# README, "Reprocessing (backfill)": the figures follow from their inputs
# --------------------------------------------------------------------------


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("## Reprocessing (backfill)", 1)[1].split("\n## ", 1)[0]


def test_the_readmes_backfill_durations_follow_from_the_gb_seconds_an_image() -> None:
    section = _readme_section()
    stated = re.search(r"An image costs about ([\d.]+) GB-s", section)
    assert stated is not None
    gb_s = float(stated[1])
    rows = re.findall(r"^\| (\d+)[^|]*\| ([\d,]+) \| ([\d.]+) (days|hours) \|$", section, re.M)
    assert len(rows) == 4
    for concurrency, rate, duration, unit in rows:
        per_second = int(concurrency) / gb_s  # at 1,024 MB a GB-s is a second
        assert int(rate.replace(",", "")) == round(per_second)
        seconds = 10_000_000 / per_second
        expected = seconds / 86_400 if unit == "days" else seconds / 3_600
        assert float(duration) == pytest.approx(expected, abs=0.05), (concurrency, duration)


def test_the_readmes_cost_per_million_tasks_adds_up() -> None:
    section = _readme_section()
    stated = re.search(r"An image costs about ([\d.]+) GB-s", section)
    assert stated is not None
    gb_s = float(stated[1])
    price = f"{prices.LAMBDA_ARM_USD_PER_GB_S:.10f}"
    assert f"{gb_s} GB-s \N{MULTIPLICATION SIGN} USD {price}" in section
    lines = re.findall(r"^\| (?!\*\*)[^|]+\| USD ([\d.]+) \|$", section, re.M)
    stated_total = re.search(
        r"\*\*Total, without DynamoDB and SNS\*\* \| \*\*about USD (\d+)\*\*", section
    )
    assert stated_total is not None
    total = float(stated_total[1])
    assert f"| USD {gb_s * 1_000_000 * prices.LAMBDA_ARM_USD_PER_GB_S:.2f} |" in section
    assert sum(map(float, lines)) == pytest.approx(total, abs=0.5)
