"""`make bench`: the project's processor beside a naive Pillow baseline and pyvips.

Prints, and writes to bench/results/ (JSON and Markdown):
  1. per file x operation: median CPU and wall ms, ratios, output bytes and
     size, PSNR against a high-quality reference downscale;
  2. peak RSS of a fresh process that imports the handler as Lambda would;
  3. cold start (import time) and the package size;
  4. the memory table: duration, fit and GB-seconds for each Lambda size;
  5. the cost model behind the encoder settings: for each candidate, the
     encoder's CPU (as Lambda GB-seconds, Arm price) plus the S3 storage of
     its output for the lifecycle's 30 days, at list prices (bench/prices.py);
  6. the targets: every case within 2x pyvips, geometric mean <= 1.0x, PSNR
     equal or better than the naive baseline.

    python bench/run.py [--runs N] [--only NAME]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import PIL
from PIL import Image, ImageChops, ImageOps, ImageStat

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "lambda"))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402
import prices  # noqa: E402

import image_processor  # noqa: E402
from image_processor import (  # noqa: E402
    BOX_SIZE,
    Limits,
    Operation,
    Recipe,
    estimate_working_bytes,
    is_lossless_webp,
    process_image,
    process_recipes,
    route,
)

try:
    import pyvips
except (ImportError, OSError):  # not installed, or libvips missing
    pyvips = None

#: A JSON object of the report (bench.json): a case, a row of a table, the report.
JSONObject = dict[str, Any]
#: An implementation under test: (upload bytes, key) -> output bytes.
Implementation = Callable[[bytes, str], bytes]

OPERATIONS = {"resize": "", "thumbnail": "_thumb", "grayscale": "_grayscale"}
LIMITS = Limits()
LAMBDA_SIZES_MB = (128, 256, 512, 1024, 1769)
FULL_VCPU_MB = prices.FULL_VCPU_MB
FREE_TIER_GB_S = 400_000
TIMEOUT_S = 30


# --------------------------------------------------------------------------
# The three implementations
# --------------------------------------------------------------------------


def project(data: bytes, key: str) -> bytes:
    return process_image(data, route(key), LIMITS).data


def naive(data: bytes, key: str) -> bytes:
    """The AWS tutorial's approach: open, thumbnail/convert with defaults, save."""
    operation = route(key).operation
    image: Image.Image
    with Image.open(io.BytesIO(data)) as image:
        fmt = image.format
        if operation is Operation.GRAYSCALE:
            image = image.convert("L")
        else:
            image.thumbnail((BOX_SIZE[operation],) * 2)
        buffer = io.BytesIO()
        image.save(buffer, fmt)
    return buffer.getvalue()


def vips(data: bytes, key: str) -> bytes:
    target = route(key)
    if target.operation is Operation.GRAYSCALE:
        image = pyvips.Image.new_from_buffer(data, "").autorot()  # rotation needs random access
        image = image.colourspace("b-w")
    else:
        box = BOX_SIZE[target.operation]
        image = pyvips.Image.thumbnail_buffer(data, box, height=box, size="down")
    options = {"JPEG": (".jpg", {"Q": 85}), "PNG": (".png", {"compression": 6}),
               "WEBP": (".webp", {"Q": 80})}[target.expected_format]  # fmt: skip
    if target.expected_format == "WEBP" and is_lossless_webp(data):
        options = (".webp", {"lossless": True})  # like the project: lossless stays lossless
    output: bytes = image.write_to_buffer(options[0], keep=0, **options[1])
    return output


# --------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------


def timed(function: Implementation, data: bytes, key: str, runs: int) -> JSONObject:
    output = function(data, key)  # warm-up
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        function(data, key)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    return {"cpu_ms": statistics.median(cpu), "wall_ms": statistics.median(wall), "output": output}


def reference(data: bytes, key: str, size: tuple[int, int]) -> Image.Image:
    """High-quality reference: full decode, upright, LANCZOS straight to the output size."""
    image: Image.Image
    with Image.open(io.BytesIO(data)) as image:
        image = ImageOps.exif_transpose(image).convert("RGB")
    if route(key).operation is Operation.GRAYSCALE:
        image = image.convert("L")
    return image.resize(size, Image.Resampling.LANCZOS) if image.size != size else image


def psnr(output: bytes, data: bytes, key: str) -> float | None:
    with Image.open(io.BytesIO(output)) as decoded:
        got = decoded.convert("RGB")
    want = reference(data, key, got.size).convert("RGB")
    with Image.open(io.BytesIO(data)) as source:
        expected = ImageOps.exif_transpose(source).size
    if (got.width >= got.height) != (expected[0] >= expected[1]) and got.width != got.height:
        return None  # wrong orientation: no meaningful comparison
    stat = ImageStat.Stat(ImageChops.difference(got, want))
    mse = sum(stat.sum2) / (3 * got.width * got.height)
    return 99.0 if mse == 0 else 10 * math.log10(255**2 / mse)


def peak_rss(path: Path, key: str) -> JSONObject:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "peak_rss.py"), str(path), key],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    measured: JSONObject = json.loads(result.stdout)
    return measured


def import_time(statement: str, runs: int = 7) -> float:
    code = (
        "import os, sys, time\n"
        f"sys.path.insert(0, {str(ROOT / 'lambda')!r})\n"
        "os.environ.update(TABLE_NAME='b', NOTIFICATIONS_TOPIC_ARN='arn:aws:sns:us-east-1:1:n',"
        " SECURITY_TOPIC_ARN='arn:aws:sns:us-east-1:1:s', AWS_DEFAULT_REGION='us-east-1',"
        f" MAX_UPLOAD_BYTES='{LIMITS.max_bytes}', MAX_DIMENSION='{LIMITS.max_dimension}')\n"
        f"t = time.perf_counter(); {statement}; print((time.perf_counter() - t) * 1000)\n"
    )
    samples = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(samples)


def package() -> JSONObject:
    path = ROOT / "dist" / "lambda.zip"
    if not path.exists():
        subprocess.run([str(ROOT / "scripts" / "build_lambda.sh")], check=True, capture_output=True)
    with zipfile.ZipFile(path) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    return {"zipped_mb": path.stat().st_size / 2**20, "unzipped_mb": unzipped / 2**20}


def memory_table(cases: list[JSONObject]) -> list[JSONObject]:
    worst_cpu_ms = max(case["project"]["cpu_ms"] for case in cases)
    worst_rss = max(case["peak_rss_mb"] for case in cases)
    worst_plan = max(case["guard_estimate_mb"] for case in cases)
    mean_cpu_ms = statistics.mean(case["project"]["cpu_ms"] for case in cases)
    rows = []
    for size in LAMBDA_SIZES_MB:
        share = min(1.0, size / FULL_VCPU_MB)
        worst_s = worst_cpu_ms / 1000 / share
        mean_s = mean_cpu_ms / 1000 / share
        gb_s = size / 1024 * mean_s
        rows.append({
            "memory_mb": size,
            "vcpu_share": round(share, 3),
            "worst_duration_s": round(worst_s, 2),
            "mean_duration_s": round(mean_s, 2),
            # Measured peak within 85%, and the handler's guard accepts every input.
            "all_fit": worst_rss <= 0.85 * size and worst_plan <= 0.9 * size,
            "well_inside_timeout": worst_s <= TIMEOUT_S / 2,
            "gb_s_per_image": round(gb_s, 4),
            "gb_s_per_10k": round(gb_s * 10_000),
            "free_tier_share_10k": round(gb_s * 10_000 / FREE_TIER_GB_S, 4),
        })  # fmt: skip
    return rows


# --------------------------------------------------------------------------
# The cost model behind the encoder settings
# --------------------------------------------------------------------------

#: Candidate encoder settings per output kind; the project's own is marked in the report.
#: Pillow's defaults, which the naive baseline uses, are compress_level 6 for PNG
#: and quality 80, method 4 for WEBP
#: (https://pillow.readthedocs.io/en/stable/handbook/image-file-formats.html).
PILLOW_DEFAULTS = {"PNG": {"compress_level": 6}, "WEBP": {"quality": 80, "method": 4},
                   "WEBP lossless": {"lossless": True, "quality": 80, "method": 4}}  # fmt: skip
CANDIDATES = {
    "PNG": [{"compress_level": level} for level in (1, 2, 3, 6, 9)],
    "WEBP": [
        {"quality": quality, "method": method}
        for quality, method in ((80, 0), (80, 2), (84, 2), (80, 3), (82, 3), (80, 4))
    ],
    "WEBP lossless": [
        {"lossless": True, "quality": quality, "method": method}
        for method, quality in ((0, 0), (0, 25), (1, 25), (2, 50), (4, 75))
    ],
}


def _current(kind: str) -> dict[str, Any]:
    if kind == "WEBP lossless":
        return image_processor._WEBP_LOSSLESS_OPTIONS
    return image_processor._SAVE_OPTIONS[kind]


def transformed(data: bytes, key: str) -> tuple[str, Image.Image]:
    """What the project hands its encoder for this upload (decoded, resized, upright)."""
    target = route(key)
    fmt = target.expected_format
    image = image_processor._open(data, fmt, LIMITS)
    kind = "WEBP lossless" if fmt == "WEBP" and is_lossless_webp(data) else fmt
    recipe = image_processor.SEED_RECIPES[target.operation]
    [(_recipe, _fmt, result)] = image_processor._transformed(image, (recipe,), fmt)
    return kind, result


def encoder_costs(files: dict[str, Path], runs: int) -> dict[str, list[JSONObject]]:
    """Each candidate setting over every case of its kind: encoder CPU, bytes, PSNR, cost."""
    inputs: dict[str, list[tuple[str, Image.Image]]] = {}
    for name, path in files.items():
        if name.endswith(".jpg"):
            continue  # JPEG keeps quality 85: output quality, not cost, decides it
        data = path.read_bytes()
        stem, ext = name.rsplit(".", 1)
        for suffix in OPERATIONS.values():
            kind, image = transformed(data, f"uploads/{stem}{suffix}.{ext}")
            inputs.setdefault(kind, []).append((f"{name}{suffix}", image))
    table: dict[str, list[JSONObject]] = {}
    for kind, cases in inputs.items():
        rows: list[JSONObject] = []
        fmt = kind.split()[0]
        baseline = [_psnr_of(image, fmt, PILLOW_DEFAULTS[kind]) for _label, image in cases]
        for options in CANDIDATES[kind]:
            cpu_ms, total_bytes, worst_psnr, worst_gain = 0.0, 0, 99.0, 99.0
            for (_label, image), default_psnr in zip(cases, baseline, strict=True):

                def encode(
                    image: Image.Image = image, fmt: str = fmt, options: dict[str, Any] = options
                ) -> bytes:
                    buffer = io.BytesIO()
                    image.save(buffer, fmt, **options)
                    return buffer.getvalue()

                encoded = encode()
                samples: list[float] = []
                for _ in range(runs):
                    c0 = time.process_time()
                    encode()
                    samples.append((time.process_time() - c0) * 1000)
                cpu_ms += statistics.median(samples)
                total_bytes += len(encoded)
                with Image.open(io.BytesIO(encoded)) as decoded:
                    case_psnr = _psnr(decoded.convert("RGB"), image.convert("RGB"))
                worst_psnr = min(worst_psnr, case_psnr)
                worst_gain = min(worst_gain, round(case_psnr, 1) - round(default_psnr, 1))
            count = len(cases)
            rows.append({
                "options": options,
                "current": options == _current(kind),
                "cases": count,
                "encode_cpu_ms": cpu_ms / count,
                "output_kb": total_bytes / count / 1000,
                "worst_psnr": worst_psnr,
                "worst_psnr_vs_default": worst_gain,
                "lambda_usd_per_million": prices.lambda_usd(cpu_ms / count) * 1e6,
                "s3_usd_per_million": prices.storage_usd(total_bytes / count) * 1e6,
            })  # fmt: skip
        for row in rows:
            row["total_usd_per_million"] = row["lambda_usd_per_million"] + row["s3_usd_per_million"]
        # The rule: the cheapest setting whose PSNR is nowhere below Pillow's default.
        eligible = [row for row in rows if row["worst_psnr_vs_default"] >= 0]
        cheapest = min(eligible or rows, key=lambda row: row["total_usd_per_million"])
        cheapest["cheapest"] = True
        table[kind] = rows
    return table


def tiny_lossless(
    sizes: tuple[tuple[int, int], ...] = ((16, 16), (64, 64), (200, 150)),
) -> list[JSONObject]:
    """Very small lossless WEBPs (icons, thumbnails): lossless output beside lossy q80."""
    rows = []
    for size in sizes:
        image = corpus.screen(size, corpus.SEED + size[0])
        sizes_out = {}
        for label, options in (("lossless", image_processor._WEBP_LOSSLESS_OPTIONS),
                               ("lossy", image_processor._SAVE_OPTIONS["WEBP"])):  # fmt: skip
            buffer = io.BytesIO()
            image.save(buffer, "WEBP", **options)
            with Image.open(io.BytesIO(buffer.getvalue())) as decoded:
                sizes_out[label] = (len(buffer.getvalue()), _psnr(decoded.convert("RGB"), image))
        rows.append({"size": size, "lossless_bytes": sizes_out["lossless"][0],
                     "lossy_bytes": sizes_out["lossy"][0], "lossy_psnr": sizes_out["lossy"][1]})  # fmt: skip
    return rows


def _psnr_of(image: Image.Image, fmt: str, options: dict[str, Any]) -> float:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    with Image.open(io.BytesIO(buffer.getvalue())) as decoded:
        return _psnr(decoded.convert("RGB"), image.convert("RGB"))


def _psnr(got: Image.Image, want: Image.Image) -> float:
    stat = ImageStat.Stat(ImageChops.difference(got, want))
    mse = sum(stat.sum2) / (3 * got.width * got.height)
    return 99.0 if mse == 0 else 10 * math.log10(255**2 / mse)


def targets(cases: list[JSONObject]) -> JSONObject:
    ratios = [case["ratio_pyvips"] for case in cases if case.get("ratio_pyvips")]
    worst = max(cases, key=lambda case: case.get("ratio_pyvips", 0))
    psnr_ok = [
        case for case in cases
        if case["naive"]["psnr"] is None
        or (case["project"]["psnr"] is not None
            and round(case["project"]["psnr"], 1) >= round(case["naive"]["psnr"], 1))
    ]  # fmt: skip
    geomean = math.exp(statistics.mean(math.log(r) for r in ratios)) if ratios else None
    return {
        "max_ratio_pyvips": worst.get("ratio_pyvips"),
        "max_case": f"{worst['file']} {worst['operation']}",
        "geomean_ratio_pyvips": geomean,
        "cases": len(cases),
        "psnr_at_least_naive": len(psnr_ok),
        "psnr_below_naive": [f"{c['file']} {c['operation']}" for c in cases if c not in psnr_ok],
    }


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def markdown(report: JSONObject) -> str:
    lines = [
        f"# Benchmark ({report['machine']})",
        "",
        "| file | op | project CPU ms | naive CPU ms | pyvips CPU ms | project/naive | project/pyvips |"
        " output | bytes | pyvips bytes | PSNR project | PSNR naive | PSNR pyvips | USD per million: project | pyvips |"
        " peak RSS MB | guard plans MB |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in report["cases"]:
        vips_ms = f"{c['pyvips']['cpu_ms']:.0f}" if c.get("pyvips") else "n/a"
        vips_ratio = f"{c['ratio_pyvips']:.2f}" if c.get("ratio_pyvips") else "n/a"
        lines.append(
            f"| {c['file']} | {c['operation']} | {c['project']['cpu_ms']:.0f} | {c['naive']['cpu_ms']:.0f}"
            f" | {vips_ms} | {c['ratio_naive']:.2f} | {vips_ratio} | {c['size'][0]}x{c['size'][1]}"
            f" | {c['project']['bytes']} | {c.get('pyvips', {}).get('bytes', 'n/a')}"
            f" | {_db(c['project']['psnr'])} | {_db(c['naive']['psnr'])}"
            f" | {_db(c.get('pyvips', {}).get('psnr'))} | {c['project']['usd_per_million']:.2f}"
            f" | {c.get('pyvips', {}).get('usd_per_million', float('nan')):.2f}"
            f" | {c['peak_rss_mb']:.0f} | {c['guard_estimate_mb']:.0f} |"
        )
    start = report["cold_start"]
    lines += [
        "",
        f"Cold start: `import lambda_function` {start['handler_ms']:.0f} ms, "
        f"`import boto3, PIL.Image` {start['baseline_ms']:.0f} ms "
        f"(ratio {start['handler_ms'] / start['baseline_ms']:.2f}).",
        f"Package: {report['package']['zipped_mb']:.1f} MB zipped, "
        f"{report['package']['unzipped_mb']:.1f} MB unzipped. "
        f"Process baseline before any image: {report['baseline_rss_mb']:.0f} MB.",
        "",
        "| Lambda MB | vCPU share | worst duration s | mean duration s | every input fits (RSS ≤ 85%, guard accepts) |"
        " worst ≤ half the timeout | GB-s per image | GB-s per 10k | share of free 400k GB-s |",
        "|---:|---:|---:|---:|---|---|---:|---:|---:|",
    ]
    for r in report["memory_table"]:
        lines.append(
            f"| {r['memory_mb']} | {r['vcpu_share']} | {r['worst_duration_s']} | {r['mean_duration_s']}"
            f" | {'yes' if r['all_fit'] else 'NO'} | {'yes' if r['well_inside_timeout'] else 'NO'}"
            f" | {r['gb_s_per_image']} | {r['gb_s_per_10k']} | {r['free_tier_share_10k']:.2%} |"
        )
    lines += ["", f"Recommended memory: **{report['recommended_memory_mb']} MB**."]
    t = report["targets"]
    geomean = "n/a" if t["geomean_ratio_pyvips"] is None else f"{t['geomean_ratio_pyvips']:.2f}x"
    max_ratio = "n/a" if t["max_ratio_pyvips"] is None else f"{t['max_ratio_pyvips']:.2f}x"
    lines += [
        "",
        "## Targets (median CPU, this run)",
        "",
        f"- Slowest case against pyvips: {max_ratio} ({t['max_case']}); target at most 2x.",
        f"- Geometric mean against pyvips over {t['cases']} cases: {geomean}; target at most 1.0x.",
        f"- PSNR equal or better than the naive baseline: {t['psnr_at_least_naive']} of {t['cases']}"
        + (f" (below: {', '.join(t['psnr_below_naive'])})" if t["psnr_below_naive"] else "")
        + ".",
        "",
        "## Cost model of the encoder settings",
        "",
        f"Per image, averaged over the corpus' outputs of each kind: the encoder's CPU as Lambda"
        f" GB-seconds at {prices.MEMORY_MB} MB (Arm, USD {prices.LAMBDA_ARM_USD_PER_GB_S}/GB-s) plus"
        f" S3 Standard storage of the output for {prices.RETENTION_DAYS} days"
        f" (USD {prices.S3_STANDARD_USD_PER_GB_MONTH}/GB-month); list prices, no free tier"
        " (sources in bench/prices.py). Decoding and resizing cost the same under every setting.",
        "",
        "Rule: the cheapest setting whose PSNR is nowhere below Pillow's default (the naive"
        " baseline's encoder), case by case; *PSNR vs default* is the worst case's difference.",
        "",
        "| output | setting | encode CPU ms | output kB | worst PSNR dB | PSNR vs default dB | Lambda USD/1M | S3 USD/1M | total USD/1M | |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for kind, rows in report["encoder_costs"].items():
        for r in rows:
            setting = ", ".join(f"{k}={v}" for k, v in r["options"].items() if k != "lossless")
            mark = " ".join(
                m
                for m, on in (("**chosen**", r["current"]), ("model's pick", r.get("cheapest")))
                if on
            )
            lines.append(
                f"| {kind} ({r['cases']} cases) | {setting} | {r['encode_cpu_ms']:.0f} | {r['output_kb']:.0f}"
                f" | {_db(r['worst_psnr'])} | {r['worst_psnr_vs_default']:+.1f} | {r['lambda_usd_per_million']:.2f} | {r['s3_usd_per_million']:.2f}"
                f" | {r['total_usd_per_million']:.2f} | {mark} |"
            )
    lines += ["", "Very small lossless WEBPs (kept lossless):", "",
              "| size | lossless bytes | lossy q80 bytes | lossy PSNR dB |", "|---|---:|---:|---:|"]  # fmt: skip
    for r in report["tiny_lossless"]:
        lines.append(
            f"| {r['size'][0]}x{r['size'][1]} | {r['lossless_bytes']} | {r['lossy_bytes']} | {_db(r['lossy_psnr'])} |"
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Recipes: several outputs from one decode, and the AVIF encoder's settings
# --------------------------------------------------------------------------

#: The issue's recipe set: a 1,024 px JPEG, a 200 px WEBP thumbnail, a 1,024 px AVIF.
THREE_RECIPES = (
    Recipe("display", 1024, 1024, format="jpeg"),
    Recipe("thumb", 200, 200, format="webp"),
    Recipe("modern", 1024, 1024, format="avif"),
)
#: AVIF candidates (libavif through Pillow; Pillow's defaults are quality 75, speed 6:
#: https://pillow.readthedocs.io/en/stable/handbook/image-file-formats.html).
AVIF_CANDIDATES = [
    {"quality": quality, "speed": speed, "max_threads": 1}
    for speed in (6, 8, 10)
    for quality in (50, 60, 70)
]
#: The ratio the issue allows: three recipes at most 1.6x today's single resize.
RECIPES_TARGET = 1.6


def twelve_megapixels() -> tuple[bytes, Image.Image]:
    """A 4000x3000 photo-like JPEG (quality 90), as a phone or camera uploads."""
    image = corpus.photo((4000, 3000), corpus.SEED + 12)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue(), image


def _cpu(function: Callable[[], object], runs: int) -> float:
    function()  # warm-up
    samples: list[float] = []
    for _ in range(runs):
        c0 = time.process_time()
        function()
        samples.append((time.process_time() - c0) * 1000)
    return statistics.median(samples)


def avif_costs(source: Image.Image, runs: int) -> list[JSONObject]:
    """Each AVIF candidate on the 1,024 px output: encoder CPU, bytes, PSNR, cost per image.

    Rule: the cheapest (Lambda GB-s of the encoder + 30 days of S3) whose PSNR
    is at least the project's JPEG (quality 85) of the same pixels.
    """
    image = source.copy()
    image.thumbnail((1024, 1024), Image.Resampling.BICUBIC, reducing_gap=2.0)
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", **image_processor._SAVE_OPTIONS["JPEG"])
    with Image.open(io.BytesIO(jpeg.getvalue())) as decoded:
        jpeg_psnr = _psnr(decoded.convert("RGB"), image)
    rows: list[JSONObject] = []
    for options in AVIF_CANDIDATES:

        def encode(options: dict[str, Any] = options) -> bytes:
            buffer = io.BytesIO()
            image.save(buffer, "AVIF", **options)
            return buffer.getvalue()

        encoded = encode()
        cpu_ms = _cpu(encode, runs)
        with Image.open(io.BytesIO(encoded)) as decoded:
            quality_db = _psnr(decoded.convert("RGB"), image)
        rows.append({
            "options": options,
            "current": options == image_processor._SAVE_OPTIONS["AVIF"],
            "encode_cpu_ms": cpu_ms,
            "output_kb": len(encoded) / 1000,
            "psnr": quality_db,
            "psnr_vs_jpeg": quality_db - jpeg_psnr,
            "total_usd_per_million": prices.per_image_usd(cpu_ms, len(encoded)) * 1e6,
        })  # fmt: skip
    eligible = [row for row in rows if row["psnr_vs_jpeg"] >= 0]
    min(eligible or rows, key=lambda row: row["total_usd_per_million"])["cheapest"] = True
    return [row | {"jpeg_kb": len(jpeg.getvalue()) / 1000, "jpeg_psnr": jpeg_psnr} for row in rows]


def recipes_report(runs: int) -> JSONObject:
    """Today's single resize beside the three recipes, on one 12-megapixel JPEG, same run."""
    data, source = twelve_megapixels()
    key = "uploads/photo.jpg"
    single_ms = _cpu(lambda: process_image(data, route(key), LIMITS), runs)
    three_ms = _cpu(lambda: process_recipes(data, "JPEG", THREE_RECIPES, LIMITS), runs)
    single = process_image(data, route(key), LIMITS)
    three = process_recipes(data, "JPEG", THREE_RECIPES, LIMITS)
    outputs: list[JSONObject] = [
        {"recipe": o.recipe.name, "format": o.output.format,
         "size": f"{o.output.width}x{o.output.height}", "bytes": o.output.size_bytes}
        for o in three.outputs
    ]  # fmt: skip
    three_bytes = sum(o["bytes"] for o in outputs)
    return {
        "input": f"4000x3000 JPEG, {len(data)} bytes",
        "single_cpu_ms": single_ms,
        "single_bytes": single.output.size_bytes,
        "three_cpu_ms": three_ms,
        "ratio": three_ms / single_ms,
        "target": RECIPES_TARGET,
        "outputs": outputs,
        "usd_per_million": {
            "seed (one 1,024 px JPEG)": prices.per_image_usd(single_ms, single.output.size_bytes)
            * 1e6,
            "three recipes": prices.per_image_usd(three_ms, three_bytes) * 1e6,
        },
        "avif": avif_costs(source, max(1, runs // 2)),
    }


def recipes_markdown(report: JSONObject) -> str:
    lines = [
        "## Recipes: one decode, several outputs",
        "",
        f"Input: {report['input']}. Median CPU of the whole processing (decode, resize, encode).",
        "",
        "| | CPU ms | outputs |",
        "|---|---:|---|",
        f"| today's single resize (seed's rule) | {report['single_cpu_ms']:.0f} |"
        f" 1,024 px JPEG, {report['single_bytes']} bytes |",
        f"| three recipes | {report['three_cpu_ms']:.0f} | "
        + ", ".join(
            f"{o['recipe']} {o['format']} {o['size']} {o['bytes']} bytes" for o in report["outputs"]
        )
        + " |",
        "",
        f"Ratio: **{report['ratio']:.2f}x** (target at most {report['target']}x).",
        "",
        "Cost per image (Lambda at the default memory + 30 days of S3 Standard, list prices):",
        "",
        "| recipe set | USD per million images |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {usd:.2f} |" for name, usd in report["usd_per_million"].items()]
    first = report["avif"][0]
    lines += [
        "",
        f"AVIF encoder settings on the 1,024 px output (JPEG quality 85 of the same pixels:"
        f" {first['jpeg_kb']:.0f} kB, {first['jpeg_psnr']:.1f} dB). Rule: the cheapest whose"
        " PSNR is at least the JPEG's.",
        "",
        "| setting | encode CPU ms | output kB | PSNR dB | vs JPEG dB | total USD/1M | |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["avif"]:
        setting = ", ".join(f"{k}={v}" for k, v in r["options"].items())
        mark = " ".join(
            m for m, on in (("**chosen**", r["current"]), ("model's pick", r.get("cheapest"))) if on
        )
        lines.append(
            f"| {setting} | {r['encode_cpu_ms']:.0f} | {r['output_kb']:.1f} | {r['psnr']:.1f}"
            f" | {r['psnr_vs_jpeg']:+.1f} | {r['total_usd_per_million']:.2f} | {mark} |"
        )
    return "\n".join(lines) + "\n"


def _db(value: float | None) -> str:
    return "wrong" if value is None else f"{value:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 7)))
    parser.add_argument("--only", help="run only files whose name contains this")
    parser.add_argument(
        "--recipes-only", action="store_true", help="run only the recipes and AVIF section"
    )
    args = parser.parse_args()

    print("recipes: one decode, three outputs ...", flush=True)
    recipes = recipes_report(args.runs)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "recipes.json").write_text(json.dumps(recipes, indent=2, default=str))
    (RESULTS / "recipes.md").write_text(recipes_markdown(recipes))
    print("\n" + recipes_markdown(recipes), flush=True)
    if args.recipes_only:
        return 0

    files = corpus.build(RESULTS / "corpus")
    cases: list[JSONObject] = []
    for name, path in files.items():
        if args.only and args.only not in name:
            continue
        data = path.read_bytes()
        stem, ext = name.rsplit(".", 1)
        for operation, suffix in OPERATIONS.items():
            key = f"uploads/{stem}{suffix}.{ext}"
            row: JSONObject = {"file": name, "operation": operation, "input_bytes": len(data)}
            implementations: tuple[tuple[str, Implementation], ...] = (
                ("project", project), ("naive", naive), ("pyvips", vips),
            )  # fmt: skip
            for label, function in implementations:
                if label == "pyvips" and pyvips is None:
                    continue
                result = timed(function, data, key, args.runs)
                output = result.pop("output")
                with Image.open(io.BytesIO(output)) as decoded:
                    size = decoded.size
                row[label] = result | {"bytes": len(output), "size": size,
                                       "psnr": psnr(output, data, key),
                                       "usd_per_million": prices.per_image_usd(result["cpu_ms"], len(output)) * 1e6}  # fmt: skip
            row["size"] = row["project"]["size"]
            row["ratio_naive"] = row["project"]["cpu_ms"] / row["naive"]["cpu_ms"]
            if "pyvips" in row:
                row["ratio_pyvips"] = row["project"]["cpu_ms"] / row["pyvips"]["cpu_ms"]
            rss = peak_rss(path, key)
            row["peak_rss_mb"] = rss["peak_rss_mb"]
            with Image.open(path) as header:
                assert header.format, f"{path}: Pillow names no format"  # the corpus is ours
                estimate = estimate_working_bytes(*header.size, header.format) / 2**20
            # What the handler's memory guard plans for: baseline + working set.
            row["guard_estimate_mb"] = round(64 + estimate, 1)
            row["baseline_rss_mb"] = rss["baseline_rss_mb"]
            cases.append(row)
            print(
                f"{name:18} {operation:9} project {row['project']['cpu_ms']:7.0f} ms"
                f"  naive {row['naive']['cpu_ms']:7.0f} ms"
                f"  pyvips {row.get('pyvips', {}).get('cpu_ms', float('nan')):7.0f} ms"
                f"  x{row.get('ratio_pyvips', float('nan')):4.2f}  rss {row['peak_rss_mb']:5.0f} MB  psnr {_db(row['project']['psnr'])}",
                flush=True,
            )

    table = memory_table(cases)
    print("cost model of the encoder settings ...", flush=True)
    costs = encoder_costs(files, max(1, args.runs // 2)) if not args.only else {}
    recommended = next(
        (r["memory_mb"] for r in table if r["all_fit"] and r["well_inside_timeout"]), None
    )
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" Pillow {PIL.__version__}, pyvips {getattr(pyvips, '__version__', 'not installed')}",
        "runs": args.runs,
        "cases": cases,
        "baseline_rss_mb": min(c["baseline_rss_mb"] for c in cases),
        "cold_start": {
            "handler_ms": import_time("import lambda_function"),
            "baseline_ms": import_time("import boto3, PIL.Image"),
        },
        "package": package(),
        "memory_table": table,
        "recommended_memory_mb": recommended,
        "targets": targets(cases),
        "encoder_costs": costs,
        "tiny_lossless": tiny_lossless(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench.json").write_text(json.dumps(report, indent=2, default=str))
    (RESULTS / "bench.md").write_text(markdown(report))
    print("\n" + markdown(report))
    print(f"Results: {RESULTS / 'bench.json'} and bench.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
