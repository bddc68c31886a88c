"""`make capacity`: the uploads/s each stage allows, the ceiling, and the cost per million.

Reads the configuration of a stack with python-hcl2 (the defaults of its
variables and of the image-pipeline module's, then the values its
`module "pipeline"` block sets literally, then an optional tfvars file) and
prints, per stage of the pipeline (S3 → SQS → event source mapping → Lambda →
DynamoDB, KMS, SNS), the uploads per second it allows, the limit that sets it
and the source of each quota; then the ceiling (the smallest), the cost per
million images at list prices, and how long a backfill takes.

    python bench/capacity.py [--stack terraform/examples/scale] [--vars x.tfvars]
                             [--account-concurrency 1000] [--images 10000000]

A paper model: AWS's documented quotas and list prices, and the function's
duration measured by `make bench`. It does not measure AWS request latency
(no account here); every figure's source is printed, and "unverified" marks
the ones no stored AWS page states.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import prices  # noqa: E402

#: The stack deploy.sh deploys: a thin caller of the modules, whose main.tf sets
#: the pipeline's inputs literally (each declared once, in the module).
STACK = ROOT / "terraform"
PIPELINE = STACK / "modules" / "image-pipeline"
VARIABLES_TF = (STACK / "variables.tf", PIPELINE / "variables.tf")
DYNAMODB_TF = PIPELINE / "dynamodb.tf"

# --------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------

LAMBDA_SQS_SCALING = "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html"
LAMBDA_SCALING_CONFIG = "https://docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html"
LAMBDA_QUOTAS = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
LAMBDA_SCALING_RATE = "https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html"
LAMBDA_MEMORY = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html"
SQS_STANDARD = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/standard-queues.html"
SQS_QUOTAS = (
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html"
)
SQS_KEY_REUSE = (
    "https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_AwsSqsQueueDetails.html"
)
S3_PERFORMANCE = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html"
S3_BUCKET_KEY = (
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-bucket-key-object.html"
)
DDB_PARTITION = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html"
DDB_ON_DEMAND = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html"
)
DDB_ON_DEMAND_THROTTLING = "https://repost.aws/knowledge-center/on-demand-table-throttling-dynamodb"
DDB_ITEM_SIZE = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html"
)
KMS_QUOTAS = "https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html"
SNS_QUOTAS = "https://docs.aws.amazon.com/general/latest/gr/sns.html"
LAMBDA_PRICING_WHITEPAPER = (
    "https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html"
)
LAMBDA_PRICING = "https://aws.amazon.com/lambda/pricing/"
S3_PRICING = "https://aws.amazon.com/s3/pricing/"
SQS_PRICING = "https://aws.amazon.com/sqs/pricing/"
DDB_PRICING = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
SNS_PRICING = "https://aws.amazon.com/sns/pricing/"
KMS_PRICING = "https://aws.amazon.com/kms/pricing/"
README_PERFORMANCE = "README.md, Performance and memory (make bench)"


@dataclass(frozen=True, slots=True)
class Figure:
    """A quota, price or measurement, with where it comes from."""

    value: float
    source: str
    verified: bool = True

    @property
    def cite(self) -> str:
        return self.source if self.verified else f"unverified ({self.source})"


# --------------------------------------------------------------------------
# Quotas (per account and Region unless said otherwise)
# --------------------------------------------------------------------------

#: "When messages are available, Lambda starts processing five batches at a time
#: with five concurrent invocations of your function. If messages are still
#: available, Lambda increases the number of processes that are reading batches
#: by up to 300 more instances per minute. The maximum number of batches that an
#: event source mapping can process simultaneously is 1,000."
ESM_INITIAL_CONCURRENCY = Figure(5, LAMBDA_SQS_SCALING)
ESM_SCALE_UP_PER_MINUTE = Figure(300, LAMBDA_SQS_SCALING)
ESM_MAX_BATCHES = Figure(1000, LAMBDA_SQS_SCALING)
#: ScalingConfig.MaximumConcurrency: "Minimum value of 2. Maximum value of 1000."
MAXIMUM_CONCURRENCY_RANGE = (2, 1000)
#: Concurrent executions: default quota 1,000 a Region; "New AWS accounts have
#: reduced concurrency and memory quotas" (issue 18 meets accounts at 10).
ACCOUNT_CONCURRENCY = Figure(1000, LAMBDA_QUOTAS)
#: "for each function, your concurrency scaling rate is 1,000 execution
#: environment instances every 10 seconds".
FUNCTION_SCALE_UP = Figure(1000, LAMBDA_SCALING_RATE)
FUNCTION_SCALE_UP_PERIOD_S = 10
#: One full vCPU at 1,769 MB; below it, CPU in proportion to memory.
FULL_VCPU_MB = Figure(prices.FULL_VCPU_MB, LAMBDA_MEMORY)
#: Standard queues: "a nearly unlimited number of API calls per second".
SQS_THROUGHPUT = Figure(math.inf, SQS_STANDARD)
#: "a maximum of approximately 120,000 in flight messages" per standard queue.
SQS_IN_FLIGHT = Figure(120_000, SQS_QUOTAS)
#: "at least 3,500 PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests per second
#: per partitioned Amazon S3 prefix" (the page as AWS's own guides quote it).
S3_PUT_PER_PREFIX = Figure(3500, S3_PERFORMANCE)
S3_GET_PER_PREFIX = Figure(5500, S3_PERFORMANCE)
#: "each individual partition is limited to 1,000 write units per second and
#: 3,000 read units per second".
DDB_PARTITION_WRITE_UNITS = Figure(1000, DDB_PARTITION)
#: "For new on-demand tables, you can immediately drive up to 4,000 write request
#: units"; beyond the previous peak, traffic that more than doubles it within
#: 30 minutes may be throttled. The same for a new index: unverified.
DDB_ON_DEMAND_INITIAL_WRITE_UNITS = Figure(4000, DDB_ON_DEMAND_THROTTLING)
#: The default table-level throughput quota: 40,000 write (and 40,000 read)
#: request units a second per on-demand table, adjustable (the page's note; the
#: stored copies are its Japanese and Chinese translations, and the Chinese
#: copy of DDB_ON_DEMAND_THROTTLING says the same).
DDB_TABLE_WRITE_UNITS = Figure(40_000, DDB_ON_DEMAND)
#: A write request unit covers an item of up to 1 KB (the record is smaller:
#: tests/integration/test_capacity_requests.py sizes one, item_size()).
DDB_WRITE_UNIT_BYTES = 1024
#: Cryptographic operations (symmetric) request rate, shared by every symmetric
#: key of the account in the Region (both of this stack's keys).
KMS_SHARED_DEFAULT = Figure(10_000, KMS_QUOTAS)
KMS_SHARED_BY_REGION: Mapping[str, int] = {
    **dict.fromkeys(("us-east-1", "us-west-2", "eu-west-1"), 100_000),
    **dict.fromkeys(
        (
            "us-east-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-northeast-1",
            "eu-central-1",
            "eu-west-2",
        ),
        20_000,
    ),
}
#: SNS Publish, standard topics, per account and Region. No stored AWS page gives
#: the figures: unverified (check Service Quotas for the Region).
SNS_PUBLISH_DEFAULT = Figure(1500, SNS_QUOTAS, verified=False)
SNS_PUBLISH_BY_REGION: Mapping[str, int] = {
    "us-east-1": 30_000,
    "us-west-2": 9000,
    "eu-west-1": 9000,
}

# --------------------------------------------------------------------------
# The function, measured
# --------------------------------------------------------------------------

#: Lambda GB-seconds per image at 1,024 MB, the mean over `make bench`'s corpus
#: (README, Performance and memory: "0.63 GB-s on average over the corpus").
#: Processing only: the S3, DynamoDB and SNS requests' latency is not in it.
GB_S_PER_IMAGE_AT_1024 = Figure(0.63, README_PERFORMANCE)
#: The slowest case's CPU: greyscale of a 4096² lossy WEBP, 2,550 ms (README,
#: Performance and memory), for the batch-fits-the-timeout check.
WORST_CPU_MS = Figure(2550, README_PERFORMANCE)

# --------------------------------------------------------------------------
# Requests per upload, counted from lambda/pipeline.py and lambda/storage.py
# --------------------------------------------------------------------------

#: RecordStore.claim (PutItem), RecordStore.finish (UpdateItem), and one
#: RecordStore.notified (UpdateItem) per topic announced (Pipeline._announce).
#: Every outcome goes to the notifications topic; a suspicious rejection
#: (image_processor.SUSPICIOUS_REASONS, pipeline.SECURITY_REASONS) to the
#: security topic as well (notifications.topics_for): one on the common path.
TOPICS_PER_UPLOAD = 1
TABLE_WRITES_PER_UPLOAD = 2 + TOPICS_PER_UPLOAD
#: The in-progress index holds only records with lease_until: the claim adds
#: the entry (1 index write), finish removes lease_until (1 index write); the
#: notified marks touch a record no longer in the index.
INDEX_WRITES_PER_UPLOAD = 2
#: Issue 18's table design, read from the module's dynamodb.tf: the in-progress
#: index's partition key (object_key: as spread as the table's; lease_until:
#: every claim of one second writes one key) and whether the index's write
#: capacity is autoscaled (PROVISIONED). Until the queue change lands (its
#: variables absent from variables.tf), the design it brings is assumed.
PENDING_INDEX_HASH_KEY = "object_key"
PENDING_INDEX_AUTOSCALED = True
#: S3: the client's PUT of the upload, the function's GET and its PUT of the output.
S3_PUTS_PER_UPLOAD = 2
S3_GETS_PER_UPLOAD = 1
SNS_PUBLISHES_PER_UPLOAD = TOPICS_PER_UPLOAD
#: KMS requests an upload causes if nothing were cached: S3 GenerateDataKey for
#: each PUT and Decrypt for the GET ("Each time you upload or download an S3
#: object that's encrypted with SSE-KMS, Amazon S3 makes a GenerateDataKey (for
#: uploads) or Decrypt (for downloads) request", KMS_QUOTAS); one per DynamoDB
#: write and per SNS publish (unverified: both services cache keys, by how much
#: no stored page says); SQS SendMessage (S3) and ReceiveMessage (the mapping).
KMS_UNCACHED = {
    "S3 (data key)": S3_PUTS_PER_UPLOAD + S3_GETS_PER_UPLOAD,
    "DynamoDB (data key)": TABLE_WRITES_PER_UPLOAD,
    "SNS (data key)": SNS_PUBLISHES_PER_UPLOAD,
    "SQS (security key)": 2,
}
#: What the cost counts: S3 Bucket Keys (on for every SSE-KMS bucket,
#: modules/hardened-bucket) and SQS's data key reuse (300 s, sqs.tf) take S3's
#: and SQS's requests off the per-upload count (S3_BUCKET_KEY, SQS_KEY_REUSE);
#: DynamoDB's and SNS's stay, an upper bound.
KMS_BILLED = {
    "DynamoDB (data key)": TABLE_WRITES_PER_UPLOAD,
    "SNS (data key)": SNS_PUBLISHES_PER_UPLOAD,
}

# --------------------------------------------------------------------------
# Prices (us-east-1 list prices, USD, no free tier)
# --------------------------------------------------------------------------

#: The page renders its table in the browser: as transcribed in bench/prices.py.
LAMBDA_GB_S_USD = Figure(
    prices.LAMBDA_ARM_USD_PER_GB_S, f"{LAMBDA_PRICING}, bench/prices.py", verified=False
)
LAMBDA_REQUEST_USD = Figure(0.20 / 1e6, LAMBDA_PRICING_WHITEPAPER)
S3_PUT_USD = Figure(0.005 / 1000, S3_PRICING, verified=False)
S3_GET_USD = Figure(0.0004 / 1000, S3_PRICING, verified=False)
SQS_REQUEST_USD = Figure(0.40 / 1e6, SQS_PRICING, verified=False)
DDB_WRITE_USD = Figure(0.625 / 1e6, DDB_PRICING, verified=False)
DDB_READ_USD = Figure(0.125 / 1e6, DDB_PRICING, verified=False)
SNS_PUBLISH_USD = Figure(0.50 / 1e6, SNS_PRICING, verified=False)
KMS_REQUEST_USD = Figure(0.03 / 10_000, KMS_PRICING, verified=False)

#: What the model takes as given without a number, with its source.
FACTS: tuple[tuple[str, str], ...] = (
    ("S3 Bucket Keys (on for every SSE-KMS bucket) reduce S3's requests to KMS", S3_BUCKET_KEY),
    (
        "S3 makes a GenerateDataKey per SSE-KMS upload and a Decrypt per download (without a bucket key)",
        KMS_QUOTAS,
    ),
    (
        "A KMS request per DynamoDB write and per SNS publish (an upper bound; both services cache keys)",
        "unverified",
    ),
    ("New accounts have reduced concurrency quotas", LAMBDA_QUOTAS),
)

#: Every figure the model uses, as the report lists them.
FIGURES: tuple[tuple[str, Figure], ...] = (
    ("Event source mapping: concurrent batches at the start", ESM_INITIAL_CONCURRENCY),
    ("Event source mapping: instances added a minute", ESM_SCALE_UP_PER_MINUTE),
    ("Event source mapping: concurrent batches at most", ESM_MAX_BATCHES),
    ("Lambda concurrent executions (account default)", ACCOUNT_CONCURRENCY),
    ("Lambda instances added every 10 s, per function", FUNCTION_SCALE_UP),
    ("Lambda memory of one full vCPU (MB)", FULL_VCPU_MB),
    ("SQS standard queue API calls/s", SQS_THROUGHPUT),
    ("SQS standard queue messages in flight", SQS_IN_FLIGHT),
    ("S3 PUT/s per partitioned prefix", S3_PUT_PER_PREFIX),
    ("S3 GET/s per partitioned prefix", S3_GET_PER_PREFIX),
    ("DynamoDB write units/s per partition", DDB_PARTITION_WRITE_UNITS),
    (
        "DynamoDB write units/s a new on-demand table takes at once",
        DDB_ON_DEMAND_INITIAL_WRITE_UNITS,
    ),
    ("DynamoDB write units/s per on-demand table (default quota)", DDB_TABLE_WRITE_UNITS),
    ("SQS reuses a data key before calling KMS again (s, sqs.tf)", Figure(300, SQS_KEY_REUSE)),
    ("Lambda GB-s an image at 1,024 MB (mean of the bench corpus)", GB_S_PER_IMAGE_AT_1024),
    ("Slowest image's CPU ms (4096² WEBP greyscale)", WORST_CPU_MS),
    ("Lambda USD per GB-s (Arm)", LAMBDA_GB_S_USD),
    ("Lambda USD per request", LAMBDA_REQUEST_USD),
    ("S3 USD per PUT", S3_PUT_USD),
    ("S3 USD per GET", S3_GET_USD),
    ("SQS USD per request", SQS_REQUEST_USD),
    ("DynamoDB USD per on-demand write unit", DDB_WRITE_USD),
    ("DynamoDB USD per on-demand read unit", DDB_READ_USD),
    ("SNS USD per publish", SNS_PUBLISH_USD),
    ("KMS USD per request", KMS_REQUEST_USD),
)

# --------------------------------------------------------------------------
# The configuration
# --------------------------------------------------------------------------

#: Variables issue 18 adds (the coordinator's queue and table changes), with the
#: defaults they will have: read as these when variables.tf does not have them yet.
PENDING_DEFAULTS: Mapping[str, Any] = {
    "queue_maximum_concurrency": 5,
    "queue_batch_size": 10,
    "queue_max_receive_count": 5,
    "dynamodb_billing_mode": "PAY_PER_REQUEST",
    "lambda_reserved_concurrency": None,
}


@dataclass(frozen=True, slots=True)
class Config:
    region: str
    memory_mb: int
    timeout_s: int
    reserved_concurrency: int | None
    maximum_concurrency: int
    batch_size: int
    max_receive_count: int
    billing_mode: str
    write_capacity: int
    autoscaling: bool
    #: The in-progress index's partition key and whether its writes autoscale.
    index_hash_key: str = PENDING_INDEX_HASH_KEY
    index_autoscaled: bool = PENDING_INDEX_AUTOSCALED
    #: What was read with issue 18's defaults because the Terraform lacks it yet.
    assumed: tuple[str, ...] = ()

    @classmethod
    def from_variables(
        cls,
        values: Mapping[str, Any],
        assumed: Sequence[str] = (),
        design: tuple[str, bool] = (PENDING_INDEX_HASH_KEY, PENDING_INDEX_AUTOSCALED),
    ) -> Config:
        reserved = values["lambda_reserved_concurrency"]
        config = cls(
            region=str(values["aws_region"]),
            memory_mb=int(values["lambda_memory_mb"]),
            timeout_s=int(values["lambda_timeout_s"]),
            reserved_concurrency=None if reserved is None else int(reserved),
            maximum_concurrency=int(values["queue_maximum_concurrency"]),
            batch_size=int(values["queue_batch_size"]),
            max_receive_count=int(values["queue_max_receive_count"]),
            billing_mode=str(values["dynamodb_billing_mode"]),
            write_capacity=int(values["dynamodb_write_capacity"]),
            autoscaling=bool(values["enable_dynamodb_autoscaling"]),
            index_hash_key=design[0],
            index_autoscaled=design[1],
            assumed=tuple(assumed),
        )
        low, high = MAXIMUM_CONCURRENCY_RANGE
        if not low <= config.maximum_concurrency <= high:
            raise ValueError(
                f"queue_maximum_concurrency must be {low}-{high} (the ScalingConfig range), "
                f"not {config.maximum_concurrency}"
            )
        if config.billing_mode not in ("PAY_PER_REQUEST", "PROVISIONED"):
            raise ValueError(
                f"dynamodb_billing_mode must be PAY_PER_REQUEST or PROVISIONED, not {config.billing_mode!r}"
            )
        return config


_HCL = hcl2.SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        document: dict[str, Any] = hcl2.load(f, serialization_options=_HCL)
    return document


def variable_defaults(paths: Sequence[Path] = VARIABLES_TF) -> dict[str, Any]:
    """Each variable's default in Terraform files (None when it has none)."""
    defaults: dict[str, Any] = {}
    for path in paths:
        for block in _load(path).get("variable", []):
            for name, body in block.items():
                defaults[name] = body.get("default")
    return defaults


def pipeline_arguments(stack: Path = STACK) -> dict[str, Any]:
    """The values a stack's `module "pipeline"` block sets literally; an
    expression (var.local_aws, ...) is left to the module's default."""
    found: dict[str, Any] = {}
    for path in sorted(stack.glob("*.tf")):
        for block in _load(path).get("module", []):
            body = block.get("pipeline", {})
            found.update(
                {
                    name: value
                    for name, value in body.items()
                    if not (isinstance(value, str) and value.startswith("${"))
                }
            )
    return found


def tfvars(path: Path) -> dict[str, Any]:
    """The assignments of a .tfvars file."""
    with path.open(encoding="utf-8") as f:
        values: dict[str, Any] = hcl2.load(f, serialization_options=_HCL)
    return values


def table_design(path: Path = DYNAMODB_TF) -> tuple[str, bool]:
    """The in-progress index's partition key, and whether an autoscaling target
    covers the index's write capacity, as the module's dynamodb.tf declares them."""
    with path.open(encoding="utf-8") as f:
        document: dict[str, Any] = hcl2.load(f, serialization_options=_HCL)
    tables = [
        block["aws_dynamodb_table"]["this"]
        for block in document.get("resource", [])
        if "aws_dynamodb_table" in block
    ]
    (index,) = tables[0]["global_secondary_index"]
    return str(index["hash_key"]), any(
        "dynamodb:index:WriteCapacityUnits" in text for text in _strings(document)
    )


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, Mapping):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def load_config(
    vars_file: Path | None = None,
    stack: Path = STACK,
    dynamodb_tf: Path = DYNAMODB_TF,
) -> Config:
    """The configuration: the defaults of the stack's variables and of the
    module's, the values the stack's module block sets, then the tfvars
    file's values, and the table design of the module's dynamodb.tf."""
    variables_tf = [*sorted(stack.glob("*.tf")), PIPELINE / "variables.tf"]
    values = variable_defaults(variables_tf)
    values.update(pipeline_arguments(stack))
    assumed: list[str] = []
    if any(name not in values for name in PENDING_DEFAULTS):
        # The queue change has not landed: all it changes is read as it will be
        # (lambda_reserved_concurrency too: null instead of today's 5).
        assumed = [*PENDING_DEFAULTS, "the in-progress index's design (dynamodb.tf)"]
        values.update(PENDING_DEFAULTS)
        design = (PENDING_INDEX_HASH_KEY, PENDING_INDEX_AUTOSCALED)
    else:
        design = table_design(dynamodb_tf)
    if vars_file is not None:
        overrides = tfvars(vars_file)
        unknown = sorted(set(overrides) - set(values))
        if unknown:
            raise ValueError(
                f"{vars_file}: not variables of {stack} or the pipeline module: {', '.join(unknown)}"
            )
        values.update(overrides)
        assumed = [name for name in assumed if name not in overrides]
    return Config.from_variables(values, assumed, design)


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------


def duration_s(memory_mb: int, gb_s_at_1024: float = GB_S_PER_IMAGE_AT_1024.value) -> float:
    """Wall time of one image at ``memory_mb``: CPU-bound, so it shrinks with
    memory up to one full vCPU (1,769 MB) and no further (single-threaded)."""
    return gb_s_at_1024 * 1024 / min(memory_mb, FULL_VCPU_MB.value)


def gb_s_per_image(memory_mb: int) -> float:
    return memory_mb / 1024 * duration_s(memory_mb)


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    uploads_per_s: float
    limit: str
    sources: tuple[str, ...]
    #: A rate the stage reaches only after a ramp, or a floor AWS raises by
    #: itself (S3 partitions, on-demand peaks): shown, and still counted.
    note: str = ""


def kms_quota(region: str) -> Figure:
    return Figure(KMS_SHARED_BY_REGION.get(region, KMS_SHARED_DEFAULT.value), KMS_QUOTAS)


def sns_quota(region: str) -> Figure:
    return Figure(
        SNS_PUBLISH_BY_REGION.get(region, SNS_PUBLISH_DEFAULT.value), SNS_QUOTAS, verified=False
    )


def stages(
    config: Config,
    account_concurrency: int = int(ACCOUNT_CONCURRENCY.value),
) -> list[Stage]:
    """Uploads per second each stage allows."""
    per_instance = 1 / duration_s(config.memory_mb)
    result = [
        Stage(
            "S3 uploads/ prefix",
            min(S3_PUT_PER_PREFIX.value, S3_GET_PER_PREFIX.value),
            f"{S3_PUT_PER_PREFIX.value:,.0f} PUT/s (the upload; the output is another prefix) "
            f"and {S3_GET_PER_PREFIX.value:,.0f} GET/s per partitioned prefix, at least",
            (S3_PERFORMANCE,),
            "S3 adds partitions as the rate grows",
        ),
        Stage(
            "S3 event notifications → SQS queue",
            SQS_THROUGHPUT.value,
            "standard queue: nearly unlimited API calls per second; "
            f"in flight {config.maximum_concurrency * config.batch_size:,} of ~{SQS_IN_FLIGHT.value:,.0f} messages",
            (SQS_STANDARD, SQS_QUOTAS),
        ),
        Stage(
            "Event source mapping (maximum concurrency)",
            config.maximum_concurrency * per_instance,
            f"queue_maximum_concurrency {config.maximum_concurrency} x {per_instance:.2f} images/s an instance "
            f"({duration_s(config.memory_mb):.2f} s an image at {config.memory_mb} MB)",
            (LAMBDA_SCALING_CONFIG, README_PERFORMANCE),
            f"reached {ramp_s(config.maximum_concurrency):.0f} s after a backlog starts "
            f"(5 instances, +{ESM_SCALE_UP_PER_MINUTE.value:.0f} a minute)",
        ),
        Stage(
            "Lambda account concurrency",
            account_concurrency * per_instance,
            f"{account_concurrency:,} concurrent executions in the Region, shared by every function "
            "(default 1,000; new accounts get less)",
            (LAMBDA_QUOTAS,),
        ),
    ]
    if config.reserved_concurrency is not None:
        result.append(
            Stage(
                "Lambda reserved concurrency",
                config.reserved_concurrency * per_instance,
                f"lambda_reserved_concurrency {config.reserved_concurrency}",
                (LAMBDA_QUOTAS,),
            )
        )
    result += dynamodb_stages(config)
    kms = kms_quota(config.region)
    kms_per_upload = sum(KMS_UNCACHED.values())
    result.append(
        Stage(
            "KMS (both keys, shared quota)",
            kms.value / kms_per_upload,
            f"{kms.value:,.0f} symmetric requests/s in {config.region} ÷ {kms_per_upload} an upload if none were cached",
            (KMS_QUOTAS,),
            "bucket keys and data-key reuse cache most of them: a floor",
        )
    )
    sns = sns_quota(config.region)
    result.append(
        Stage(
            "SNS Publish",
            sns.value / SNS_PUBLISHES_PER_UPLOAD,
            f"{sns.value:,.0f} publishes/s in {config.region} ÷ {SNS_PUBLISHES_PER_UPLOAD} an upload",
            (sns.cite,),
        )
    )
    return result


def dynamodb_stages(config: Config) -> list[Stage]:
    if config.index_hash_key == "lease_until":
        # Every claim of one second writes one lease_until value, and the
        # decision removes it: one partition key's 1,000 write units a second.
        index_key = Stage(
            "DynamoDB in-progress index (partition key)",
            DDB_PARTITION_WRITE_UNITS.value / INDEX_WRITES_PER_UPLOAD,
            f"partition key lease_until: the claims of one second write one key, "
            f"{DDB_PARTITION_WRITE_UNITS.value:,.0f} write units/s a partition ÷ {INDEX_WRITES_PER_UPLOAD}",
            (DDB_PARTITION,),
        )
    else:
        index_key = Stage(
            "DynamoDB in-progress index (partition key)",
            math.inf,
            f"partition key {config.index_hash_key}, as spread as the table's: no hot key "
            f"({DDB_PARTITION_WRITE_UNITS.value:,.0f} write units/s a partition)",
            (DDB_PARTITION,),
        )
    if config.billing_mode == "PROVISIONED":
        scaled = max(config.write_capacity, 25)
        table_wcu = scaled if config.autoscaling else config.write_capacity
        index_wcu = (
            scaled if config.autoscaling and config.index_autoscaled else config.write_capacity
        )
        return [
            Stage(
                "DynamoDB table (provisioned)",
                table_wcu / TABLE_WRITES_PER_UPLOAD,
                f"{table_wcu} WCU ÷ {TABLE_WRITES_PER_UPLOAD} writes an upload"
                + (" (autoscaled up to 25)" if config.autoscaling else ""),
                (DDB_PARTITION,),
            ),
            Stage(
                "DynamoDB in-progress index (provisioned)",
                index_wcu / INDEX_WRITES_PER_UPLOAD,
                f"{index_wcu} WCU ÷ {INDEX_WRITES_PER_UPLOAD} index writes an upload"
                + (
                    " (autoscaled up to 25)"
                    if index_wcu == scaled and config.autoscaling
                    else " (not autoscaled)"
                ),
                (DDB_PARTITION,),
            ),
            index_key,
        ]
    return [
        Stage(
            "DynamoDB table (on-demand, new)",
            DDB_ON_DEMAND_INITIAL_WRITE_UNITS.value / TABLE_WRITES_PER_UPLOAD,
            f"{DDB_ON_DEMAND_INITIAL_WRITE_UNITS.value:,.0f} write units/s at once ÷ {TABLE_WRITES_PER_UPLOAD} writes an upload",
            (DDB_ON_DEMAND_THROTTLING,),
            f"then doubles with the previous peak, up to {DDB_TABLE_WRITE_UNITS.value:,.0f} a table",
        ),
        Stage(
            "DynamoDB in-progress index (on-demand, new)",
            DDB_ON_DEMAND_INITIAL_WRITE_UNITS.value / INDEX_WRITES_PER_UPLOAD,
            f"{DDB_ON_DEMAND_INITIAL_WRITE_UNITS.value:,.0f} write units/s at once (as a new table's: unverified for an index) "
            f"÷ {INDEX_WRITES_PER_UPLOAD} index writes an upload",
            (DDB_ON_DEMAND_THROTTLING,),
        ),
        index_key,
    ]


def item_size(item: Mapping[str, Any]) -> int:
    """Bytes of a marshalled DynamoDB item as DynamoDB counts them (DDB_ITEM_SIZE):
    each attribute name's UTF-8 bytes plus its value's (a number: one byte per
    two significant digits, plus one; a list or map: 3 bytes, plus 1 an element)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Mapping[str, Any]) -> int:
    ((kind, v),) = value.items()
    match kind:
        case "S":
            return len(str(v).encode())
        case "N":
            digits = str(v).lstrip("-").replace(".", "").strip("0") or "0"
            return math.ceil(len(digits) / 2) + 1
        case "B":
            return len(v)
        case "BOOL" | "NULL":
            return 1
        case "SS":
            return sum(len(str(s).encode()) for s in v)
        case "NS":
            return sum(_value_size({"N": n}) for n in v)
        case "BS":
            return sum(len(b) for b in v)
        case "L":
            return 3 + sum(1 + _value_size(e) for e in v)
        case "M":
            return 3 + sum(1 + len(k.encode()) + _value_size(e) for k, e in v.items())
    raise ValueError(f"not a DynamoDB attribute value: {value!r}")


def ceiling(all_stages: Sequence[Stage]) -> Stage:
    """The stage with the lowest rate: the pipeline's ceiling and its binding limit."""
    return min(all_stages, key=lambda stage: stage.uploads_per_s)


def ramp_s(target_concurrency: int) -> float:
    """Seconds from a backlog's start until the mapping runs ``target_concurrency`` instances."""
    esm = (
        max(0.0, target_concurrency - ESM_INITIAL_CONCURRENCY.value)
        / ESM_SCALE_UP_PER_MINUTE.value
        * 60
    )
    function = target_concurrency / FUNCTION_SCALE_UP.value * FUNCTION_SCALE_UP_PERIOD_S
    return max(esm, function)


def warnings(config: Config) -> list[str]:
    found = []
    worst_s = WORST_CPU_MS.value / 1000 / min(1.0, config.memory_mb / FULL_VCPU_MB.value)
    if config.batch_size * worst_s > config.timeout_s:
        found.append(
            f"a batch of {config.batch_size} of the slowest images ({worst_s:.1f} s each at {config.memory_mb} MB) "
            f"outlasts the {config.timeout_s} s timeout: the handler stops claiming with 5 s left and the rest "
            f"are received again (up to queue_max_receive_count = {config.max_receive_count} times)"
        )
    if (
        config.billing_mode == "PROVISIONED"
        and not config.autoscaling
        and config.write_capacity < 25
    ):
        found.append("provisioned writes below the free 25 WCU with autoscaling off")
    return found


# --------------------------------------------------------------------------
# Cost
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CostLine:
    item: str
    quantity: float
    unit_price: Figure
    note: str = ""

    @property
    def usd(self) -> float:
        return self.quantity * self.unit_price.value


def cost_lines(
    config: Config, images: int = 1_000_000, *, via_queue: bool = True
) -> list[CostLine]:
    """List-price cost of ``images`` images (us-east-1, no free tier).

    ``via_queue`` False: a backfill, where S3 Batch Operations invokes the
    function once per object and nothing is uploaded or queued (Batch
    Operations' own job and per-object fees are not included: unverified).
    """
    invocations = images / config.batch_size if via_queue else images
    lines = [
        CostLine(
            "Lambda duration (GB-s)", images * gb_s_per_image(config.memory_mb), LAMBDA_GB_S_USD
        ),
        CostLine(
            "Lambda requests",
            invocations,
            LAMBDA_REQUEST_USD,
            "full batches" if via_queue else "one per object",
        ),
        CostLine(
            "S3 PUT",
            images * (S3_PUTS_PER_UPLOAD if via_queue else S3_PUTS_PER_UPLOAD - 1),
            S3_PUT_USD,
            "the upload and the output" if via_queue else "the output",
        ),
        CostLine("S3 GET", images * S3_GETS_PER_UPLOAD, S3_GET_USD),
    ]
    if via_queue:
        lines.append(
            CostLine(
                "SQS requests",
                images + 2 * invocations,
                SQS_REQUEST_USD,
                "S3's send; the mapping's receive and delete per batch (empty polls not counted)",
            )
        )
    if config.billing_mode == "PAY_PER_REQUEST":
        writes = TABLE_WRITES_PER_UPLOAD + INDEX_WRITES_PER_UPLOAD
        lines.append(
            CostLine(
                "DynamoDB writes (on-demand)",
                images * writes,
                DDB_WRITE_USD,
                f"{writes} write units an upload",
            )
        )
        lines.append(
            CostLine(
                "DynamoDB reads (on-demand)",
                0,
                DDB_READ_USD,
                "none per upload; the sweep's scans only",
            )
        )
    lines.append(
        CostLine(
            "SNS publishes", images * SNS_PUBLISHES_PER_UPLOAD, SNS_PUBLISH_USD, "deliveries extra"
        )
    )
    kms = sum(KMS_BILLED.values())
    lines.append(
        CostLine("KMS requests", images * kms, KMS_REQUEST_USD, f"at most {kms} an upload")
    )
    return lines


def total_usd(lines: Sequence[CostLine]) -> float:
    return sum(line.usd for line in lines)


@dataclass(frozen=True, slots=True)
class Backfill:
    concurrency: int
    uploads_per_s: float
    hours: float
    usd: float


def backfill(config: Config, images: int, concurrency_cap: int) -> Backfill:
    """Time and cost of reprocessing ``images`` existing images with ``concurrency_cap`` instances."""
    rate = concurrency_cap / duration_s(config.memory_mb)
    return Backfill(
        concurrency_cap,
        rate,
        images / rate / 3600,
        total_usd(cost_lines(config, images, via_queue=False)),
    )


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def _rate(value: float) -> str:
    return "unlimited" if math.isinf(value) else f"{value:,.1f}"


def report(config: Config, account_concurrency: int, images: int, raised_cap: int) -> str:
    all_stages = stages(config, account_concurrency)
    binding = ceiling(all_stages)
    width = max(len(s.name) for s in all_stages)
    out = [
        f"Configuration: {config.region}, {config.memory_mb} MB, timeout {config.timeout_s} s, "
        f"maximum concurrency {config.maximum_concurrency}, batch {config.batch_size}, "
        f"reserved concurrency {config.reserved_concurrency}, DynamoDB {config.billing_mode}",
    ]
    if config.assumed:
        out.append(
            f"  not yet in the Terraform, read as issue 18 will have them: {', '.join(config.assumed)}"
        )
    out += ["", f"{'Stage':<{width}}  {'uploads/s':>10}  Limit"]
    for stage in all_stages:
        marker = "  <- binding" if stage is binding else ""
        out.append(
            f"{stage.name:<{width}}  {_rate(stage.uploads_per_s):>10}  {stage.limit}{marker}"
        )
        if stage.note:
            out.append(f"{'':<{width}}  {'':>10}  ({stage.note})")
    out += ["", f"Ceiling: {binding.uploads_per_s:,.1f} uploads/s, bound by {binding.name}.", ""]

    lines = cost_lines(config)
    out.append("Cost per million images (us-east-1 list prices, no free tier):")
    for line in lines:
        note = f" ({line.note})" if line.note else ""
        out.append(
            f"  {line.item:<28} {line.quantity:>13,.0f} x {line.unit_price.value:.10f} = {line.usd:8.2f}{note}"
        )
    out.append(f"  {'Total':<28} {'':>13}   {'':>12} = {total_usd(lines):8.2f} USD")
    if config.billing_mode == "PROVISIONED":
        out.append(
            "  (provisioned DynamoDB capacity is billed by the hour, not per image: not included)"
        )

    out += [
        "",
        f"Backfill of {images:,} images (S3 Batch Operations invoking the function; its own fees not included):",
    ]
    for cap in sorted({config.maximum_concurrency, raised_cap}):
        b = backfill(config, images, cap)
        out.append(
            f"  {cap:>5} instances: {b.uploads_per_s:,.1f} images/s, {b.hours:,.1f} h ({b.hours / 24:,.1f} days), USD {b.usd:,.2f}"
        )

    found = warnings(config)
    if found:
        out += ["", "Warnings:"] + [f"  - {w}" for w in found]

    out += [
        "",
        "Quotas, prices and measurements (default quotas; check Service Quotas for the account):",
    ]
    regional = [
        (f"KMS symmetric requests/s in {config.region}", kms_quota(config.region)),
        (f"SNS publishes/s in {config.region}", sns_quota(config.region)),
    ]
    for label, figure in [*FIGURES, *regional]:
        out.append(f"  {label}: {_figure(figure.value)} — {figure.cite}")
    out += [f"  {fact} — {source}" for fact, source in FACTS]
    return "\n".join(out)


def _figure(value: float) -> str:
    if math.isinf(value):
        return "nearly unlimited"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:.10f}".rstrip("0") if value < 0.01 else f"{value:,.2f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--stack",
        type=Path,
        default=STACK,
        help="the stack's directory (default terraform/; terraform/examples/scale: the scale profile)",
    )
    parser.add_argument(
        "--vars", type=Path, help="a .tfvars file applied over the stack's values (what-ifs)"
    )
    parser.add_argument(
        "--account-concurrency",
        type=int,
        default=int(ACCOUNT_CONCURRENCY.value),
        help="the account's Lambda concurrency quota in the Region (default 1,000; new accounts: as low as 10)",
    )
    parser.add_argument(
        "--images",
        type=int,
        default=10_000_000,
        help="images in the backfill estimate (default 10 million)",
    )
    parser.add_argument(
        "--raised-cap",
        type=int,
        default=1000,
        help="the raised concurrency of the backfill estimate (default 1,000)",
    )
    args = parser.parse_args(argv)
    try:
        config = load_config(args.vars, args.stack)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(report(config, args.account_concurrency, args.images, args.raised_cap))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
