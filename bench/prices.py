"""List prices the benchmark's cost model uses (US East, N. Virginia; USD).

AWS renders the tables on its pricing pages client-side, so a stored copy of
https://aws.amazon.com/lambda/pricing/ or https://aws.amazon.com/s3/pricing/
shows no figures; the values below are the ones those pages list, as
transcribed by third parties (checked against two each). Check the pages for
your region before relying on them.
"""

from __future__ import annotations

#: Lambda duration, Arm (the function's architecture), first 7.5 billion GB-s a month.
#: https://aws.amazon.com/lambda/pricing/ (transcribed in artillery's
#: lib/platform/aws-lambda/prices.js, "arm64: 1333340" x 1e-11, and in
#: https://cloudchipr.com/blog/aws-lambda-pricing). AWS's tiered-pricing
#: announcement confirms the first 7.5 billion arm64 GB-s carry no discount:
#: https://aws.amazon.com/blogs/compute/introducing-tiered-pricing-for-aws-lambda/
LAMBDA_ARM_USD_PER_GB_S = 0.0000133334

#: S3 Standard storage, first 50 TB a month.
#: https://aws.amazon.com/s3/pricing/ (transcribed in
#: https://gist.github.com/EverettBerry/a37438006529a55f42da6fdbc44a505c and
#: https://cloudburn.io/blog/amazon-s3-pricing).
S3_STANDARD_USD_PER_GB_MONTH = 0.023

#: Days a processed image is kept: the lifecycle rule's default
#: (terraform/modules/image-pipeline/variables.tf, upload_retention_days).
RETENTION_DAYS = 30

#: The function's default memory (terraform/modules/image-pipeline/variables.tf,
#: lambda_memory_mb)
#: and the size at which Lambda gives one full vCPU
#: (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
MEMORY_MB = 1024
FULL_VCPU_MB = 1769

#: S3 bills storage in GB-months; a 30-day stay is 30 days' share of an average month.
_DAYS_PER_MONTH = 365.25 / 12


def lambda_usd(cpu_ms: float, memory_mb: int = MEMORY_MB) -> float:
    """Duration charge for ``cpu_ms`` of single-threaded CPU at ``memory_mb``.

    Below 1,769 MB a function gets that share of a vCPU, so the wall time of
    CPU-bound work is ``cpu_ms / share`` and the GB-seconds are the same at
    every size up to a full vCPU.
    """
    share = min(1.0, memory_mb / FULL_VCPU_MB)
    return memory_mb / 1024 * (cpu_ms / 1000 / share) * LAMBDA_ARM_USD_PER_GB_S


def storage_usd(output_bytes: float, days: int = RETENTION_DAYS) -> float:
    """S3 Standard charge for keeping ``output_bytes`` for ``days``."""
    return output_bytes / 2**30 * S3_STANDARD_USD_PER_GB_MONTH * days / _DAYS_PER_MONTH


def per_image_usd(cpu_ms: float, output_bytes: int) -> float:
    return lambda_usd(cpu_ms) + storage_usd(output_bytes)
