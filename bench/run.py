"""`make bench`: the project's processor beside a naive Pillow baseline and pyvips.

Prints, and writes to bench/results/ (JSON and Markdown):
  1. per file x operation: median CPU and wall ms, ratios, output bytes and
     size, PSNR against a high-quality reference downscale;
  2. peak RSS of a fresh process that imports the handler as Lambda would;
  3. cold start (import time) and the package size;
  4. the memory table: duration, fit and GB-seconds for each Lambda size.

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
from pathlib import Path

from PIL import Image, ImageChops, ImageOps, ImageStat

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "lambda"))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402

from image_processor import (  # noqa: E402
    BOX_SIZE,
    Limits,
    Operation,
    estimate_working_bytes,
    process_image,
    route,
)

try:
    import pyvips
except (ImportError, OSError):  # not installed, or libvips missing
    pyvips = None

OPERATIONS = {"resize": "", "thumbnail": "_thumb", "grayscale": "_grayscale"}
LIMITS = Limits()
LAMBDA_SIZES_MB = (128, 256, 512, 1024, 1769)
FULL_VCPU_MB = 1769
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
    return image.write_to_buffer(options[0], keep=0, **options[1])


# --------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------


def timed(function, data: bytes, key: str, runs: int) -> dict:
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


def peak_rss(path: Path, key: str) -> dict:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "peak_rss.py"), str(path), key],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


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


def package() -> dict:
    path = ROOT / "dist" / "lambda.zip"
    if not path.exists():
        subprocess.run([str(ROOT / "scripts" / "build_lambda.sh")], check=True, capture_output=True)
    with zipfile.ZipFile(path) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    return {"zipped_mb": path.stat().st_size / 2**20, "unzipped_mb": unzipped / 2**20}


def memory_table(cases: list[dict]) -> list[dict]:
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
# Report
# --------------------------------------------------------------------------


def markdown(report: dict) -> str:
    lines = [
        f"# Benchmark ({report['machine']})",
        "",
        "| file | op | project CPU ms | naive CPU ms | pyvips CPU ms | project/naive | project/pyvips |"
        " output | bytes | PSNR project | PSNR naive | PSNR pyvips | peak RSS MB | guard plans MB |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in report["cases"]:
        vips_ms = f"{c['pyvips']['cpu_ms']:.0f}" if c.get("pyvips") else "n/a"
        vips_ratio = f"{c['ratio_pyvips']:.2f}" if c.get("ratio_pyvips") else "n/a"
        lines.append(
            f"| {c['file']} | {c['operation']} | {c['project']['cpu_ms']:.0f} | {c['naive']['cpu_ms']:.0f}"
            f" | {vips_ms} | {c['ratio_naive']:.2f} | {vips_ratio} | {c['size'][0]}x{c['size'][1]}"
            f" | {c['project']['bytes']} | {_db(c['project']['psnr'])} | {_db(c['naive']['psnr'])}"
            f" | {_db(c.get('pyvips', {}).get('psnr'))} | {c['peak_rss_mb']:.0f} | {c['guard_estimate_mb']:.0f} |"
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
    return "\n".join(lines) + "\n"


def _db(value: float | None) -> str:
    return "wrong" if value is None else f"{value:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 7)))
    parser.add_argument("--only", help="run only files whose name contains this")
    args = parser.parse_args()

    files = corpus.build(RESULTS / "corpus")
    cases = []
    for name, path in files.items():
        if args.only and args.only not in name:
            continue
        data = path.read_bytes()
        stem, ext = name.rsplit(".", 1)
        for operation, suffix in OPERATIONS.items():
            key = f"uploads/{stem}{suffix}.{ext}"
            row = {"file": name, "operation": operation, "input_bytes": len(data)}
            for label, function in (("project", project), ("naive", naive), ("pyvips", vips)):
                if label == "pyvips" and pyvips is None:
                    continue
                result = timed(function, data, key, args.runs)
                output = result.pop("output")
                with Image.open(io.BytesIO(output)) as decoded:
                    size = decoded.size
                row[label] = result | {"bytes": len(output), "size": size,
                                       "psnr": psnr(output, data, key)}  # fmt: skip
            row["size"] = row["project"]["size"]
            row["ratio_naive"] = row["project"]["cpu_ms"] / row["naive"]["cpu_ms"]
            if "pyvips" in row:
                row["ratio_pyvips"] = row["project"]["cpu_ms"] / row["pyvips"]["cpu_ms"]
            rss = peak_rss(path, key)
            row["peak_rss_mb"] = rss["peak_rss_mb"]
            with Image.open(path) as header:
                estimate = estimate_working_bytes(*header.size, header.format) / 2**20
            # What the handler's memory guard plans for: baseline + working set.
            row["guard_estimate_mb"] = round(64 + estimate, 1)
            row["baseline_rss_mb"] = rss["baseline_rss_mb"]
            cases.append(row)
            print(
                f"{name:18} {operation:9} project {row['project']['cpu_ms']:7.0f} ms"
                f"  naive {row['naive']['cpu_ms']:7.0f} ms"
                f"  pyvips {row.get('pyvips', {}).get('cpu_ms', float('nan')):7.0f} ms"
                f"  rss {row['peak_rss_mb']:5.0f} MB  psnr {_db(row['project']['psnr'])}",
                flush=True,
            )

    table = memory_table(cases)
    recommended = next(
        (r["memory_mb"] for r in table if r["all_fit"] and r["well_inside_timeout"]), None
    )
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" Pillow {Image.__version__}, pyvips {getattr(pyvips, '__version__', 'not installed')}",
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
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench.json").write_text(json.dumps(report, indent=2, default=str))
    (RESULTS / "bench.md").write_text(markdown(report))
    print("\n" + markdown(report))
    print(f"Results: {RESULTS / 'bench.json'} and bench.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
