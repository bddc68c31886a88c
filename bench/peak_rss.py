"""Child process: import the handler as Lambda would, process one file, print peak RSS.

python bench/peak_rss.py FILE KEY [--recipes]  ->  {"peak_rss_mb": ..., "baseline_rss_mb": ...}

A ``.heic`` KEY is processed with HEIC input on; ``--recipes`` runs the
benchmark's three recipes (bench/run.py, THREE_RECIPES) instead of the seed's rule.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "lambda"))
from image_processor import Limits  # noqa: E402 - the limits Terraform gives the function by default

os.environ.update(
    MAX_UPLOAD_BYTES=str(Limits().max_bytes),
    MAX_DIMENSION=str(Limits().max_dimension),
    TABLE_NAME="bench",
    NOTIFICATIONS_TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:bench",
    SECURITY_TOPIC_ARN="arn:aws:sns:us-east-1:123456789012:bench-security",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - no request is ever made
)

import lambda_function  # noqa: E402 - after the environment, as in Lambda
from image_processor import Recipe, process_image, process_recipes, route  # noqa: E402

#: bench/run.py's THREE_RECIPES (not imported: that module loads the whole benchmark).
THREE_RECIPES = (
    Recipe("display", 1024, 1024, format="jpeg"),
    Recipe("thumb", 200, 200, format="webp"),
    Recipe("modern", 1024, 1024, format="avif"),
)


def rss_mb() -> float:
    """Peak RSS of this process image.

    VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forked copy of
    the parent (the benchmark, holding its whole corpus) through exec.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(path: str, key: str, recipes: bool = False) -> None:
    baseline = rss_mb()
    data = Path(path).read_bytes()  # the handler holds the downloaded bytes too
    settings = lambda_function.SETTINGS
    limits = Limits(max_bytes=settings.max_upload_bytes, max_dimension=settings.max_dimension)
    target = route(key, heif=key.lower().endswith(".heic"))
    if recipes:
        output = process_recipes(data, target.expected_format, THREE_RECIPES, limits).outputs[0]
        size = [output.output.width, output.output.height]
    else:
        result = process_image(data, target, limits)
        size = [result.output.width, result.output.height]
    print(json.dumps({
        "peak_rss_mb": round(rss_mb(), 1),
        "baseline_rss_mb": round(baseline, 1),
        "output": size,
    }))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--recipes" in sys.argv[3:])
