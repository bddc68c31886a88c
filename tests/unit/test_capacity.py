"""The capacity model (bench/capacity.py): its arithmetic at the boundaries, and
the README's figures recomputed from the Terraform variables."""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SCALE = ROOT / "terraform" / "examples" / "scale"


def _load_capacity() -> ModuleType:
    spec = importlib.util.spec_from_file_location("capacity", ROOT / "bench" / "capacity.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["capacity"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:  # mypy reads bench/capacity.py as the module it is
    import capacity
else:
    capacity = _load_capacity()


def config(**changes: Any) -> capacity.Config:
    """A configuration fixed here (not by variables.tf's defaults), with ``changes``."""
    fixed: dict[str, Any] = {
        "region": "us-east-1",
        "memory_mb": 1024,
        "timeout_s": 30,
        "reserved_concurrency": None,
        "maximum_concurrency": 5,
        "batch_size": 10,
        "billing_mode": "PAY_PER_REQUEST",
    }
    return dataclasses.replace(capacity.load_config(), **(fixed | changes))


def readme_section() -> str:
    text = README.read_text()
    match = re.search(r"^## Capacity and scale\n(.*?)^## ", text, re.M | re.S)
    assert match, "README has no 'Capacity and scale' section"
    return match[1]


def readme_figure(pattern: str) -> str:
    match = re.search(pattern, readme_section())
    assert match, f"README's Capacity and scale section does not say {pattern!r}"
    return match[1]


def number(text: str) -> float:
    return float(text.replace(",", ""))


# --------------------------------------------------------------------------
# The README, recomputed from the variables
# --------------------------------------------------------------------------


def test_readme_default_ceiling_is_the_models() -> None:
    stated = number(
        readme_figure(r"default configuration's ceiling is\s+\*\*([\d,.]+) uploads/s\*\*")
    )
    binding = capacity.ceiling(capacity.stages(capacity.load_config()))
    assert round(binding.uploads_per_s, 1) == stated, (
        f"terraform/main.tf's configuration gives {binding.uploads_per_s:,.1f} uploads/s "
        f"({binding.name}); README says {stated:,.1f}: run make capacity and update README"
    )
    assert binding.name in " ".join(readme_section().split())


def test_readme_scale_example_ceiling_is_the_models_and_reaches_1000() -> None:
    stated = number(readme_figure(r"scale example's ceiling is\s+\*\*([\d,.]+) uploads/s\*\*"))
    binding = capacity.ceiling(capacity.stages(capacity.load_config(stack=SCALE)))
    assert round(binding.uploads_per_s, 1) == stated
    assert binding.uploads_per_s >= 1000
    assert binding.name in " ".join(readme_section().split())


def test_readme_cost_per_million_is_the_models() -> None:
    stated = number(readme_figure(r"\*\*USD ([\d,.]+) per\s+million\s+images\*\*"))
    assert round(capacity.total_usd(capacity.cost_lines(capacity.load_config())), 2) == stated


@pytest.mark.parametrize("cap", [5, 1000])
def test_readme_backfill_figures_are_the_models(cap: int) -> None:
    result = capacity.backfill(capacity.load_config(), 10_000_000, cap)
    row = readme_figure(rf"(\| {cap:,} instances \|[^\n]*)")
    assert f"{result.hours:,.1f} h" in row
    assert f"USD {result.usd:,.2f}" in row


def readme_rows() -> dict[str, tuple[str, str]]:
    """README's stage table: stage -> (default, scale example), bold removed."""
    rows = {}
    for line in readme_section().splitlines():
        cells = [cell.strip().replace("**", "") for cell in line.strip("|").split("|")]
        if len(cells) == 5 and cells[0] not in ("Stage", "---"):
            rows[cells[0]] = (cells[1], cells[2])
    return rows


@pytest.mark.parametrize(("column", "stack"), [(0, capacity.STACK), (1, SCALE)])
def test_readme_stage_table_is_the_models(column: int, stack: Path) -> None:
    rows = readme_rows()
    model = {s.name: s for s in capacity.stages(capacity.load_config(stack=stack))}
    for name, stage in model.items():
        assert name in rows, f"README's table has no row {name!r}"
        assert rows[name][column] == capacity._rate(stage.uploads_per_s), name
    for name in set(rows) - set(model):
        assert rows[name][column] == "(none)", name


def test_readme_prose_figures_are_the_models() -> None:
    text = " ".join(readme_section().split())
    per_instance = 1 / capacity.duration_s(1024)
    assert f"at {per_instance:.2f} images a second each" in text
    assert f"would allow {10 * per_instance:.1f} uploads/s" in text  # a quota of 10
    assert f"reaches 800 in {capacity.ramp_s(800):.0f} s" in text
    scale = capacity.load_config(stack=SCALE)
    assert f"in flight: {5 * 10} ({scale.maximum_concurrency * scale.batch_size:,})" in text


def test_readme_cost_table_is_the_models() -> None:
    rows = {}
    for line in readme_section().splitlines():
        cells = [cell.strip().replace("**", "") for cell in line.strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("Item", "---"):
            rows[cells[0]] = cells[3]
    lines = capacity.cost_lines(capacity.load_config())
    for cost in lines:
        assert rows[cost.item] == f"{cost.usd:.2f}", cost.item
    assert rows["Total"] == f"{capacity.total_usd(lines):.2f}"


def test_readme_provisioned_figures_are_the_models() -> None:
    provisioned = config(billing_mode="PROVISIONED", maximum_concurrency=1000)
    table = stage(capacity.stages(provisioned), "DynamoDB table (provisioned)")
    assert f"allow {table.uploads_per_s:.1f} uploads/s" in " ".join(readme_section().split())


# --------------------------------------------------------------------------
# The configuration
# --------------------------------------------------------------------------


def test_variables_are_read_from_variables_tf_with_python_hcl2() -> None:
    defaults = capacity.variable_defaults()
    assert defaults["lambda_memory_mb"] == 1024
    assert defaults["aws_region"] == "us-east-1"
    assert defaults["lambda_permissions_boundary_arn"] is None


def test_a_tfvars_file_overrides_the_defaults(tmp_path: Path) -> None:
    vars_file = tmp_path / "x.tfvars"
    vars_file.write_text('lambda_memory_mb = 2048\naws_region = "eu-west-2"\n')
    loaded = capacity.load_config(vars_file)
    assert (loaded.memory_mb, loaded.region) == (2048, "eu-west-2")


def test_a_tfvars_file_naming_no_variable_is_refused(tmp_path: Path) -> None:
    vars_file = tmp_path / "x.tfvars"
    vars_file.write_text("lambda_memroy_mb = 2048\n")
    with pytest.raises(ValueError, match="lambda_memroy_mb"):
        capacity.load_config(vars_file)


@pytest.mark.parametrize(("value", "ok"), [(1, False), (2, True), (1000, True), (1001, False)])
def test_maximum_concurrency_is_held_to_the_scaling_config_range(
    tmp_path: Path, value: int, ok: bool
) -> None:
    vars_file = tmp_path / "x.tfvars"
    vars_file.write_text(f"queue_maximum_concurrency = {value}\n")
    if ok:
        assert capacity.load_config(vars_file).maximum_concurrency == value
    else:
        with pytest.raises(ValueError, match="2-1000"):
            capacity.load_config(vars_file)


def test_the_stack_s_module_block_sets_the_values(tmp_path: Path) -> None:
    # What terraform/main.tf sets literally wins over the module's default; an
    # expression (var.local_aws) leaves the default.
    (tmp_path / "main.tf").write_text(
        'module "pipeline" {\n'
        "  lambda_memory_mb = 2048\n"
        "  enable_dynamodb_autoscaling = !var.x\n"
        "}\n"
    )
    (tmp_path / "variables.tf").write_text('variable "aws_region" {\n  default = "eu-west-3"\n}\n')
    loaded = capacity.load_config(stack=tmp_path)
    assert (loaded.memory_mb, loaded.region, loaded.autoscaling) == (2048, "eu-west-3", True)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_terraform_accepts_the_scale_example(tmp_path: Path) -> None:
    # The module's real validation rules, offline: terraform validate checks
    # the literal values the example's module block gives them.
    env = os.environ | {"TF_DATA_DIR": str(tmp_path), "TF_IN_AUTOMATION": "1"}
    terraform = ["terraform", f"-chdir={SCALE}"]
    subprocess.run(
        [*terraform, "init", "-backend=false", "-input=false", "-no-color"],
        env=env,
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [*terraform, "validate", "-no-color"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert capacity.load_config(stack=SCALE).maximum_concurrency == 800


def test_scale_example_sets_no_reserved_concurrency() -> None:
    assert capacity.load_config(stack=SCALE).reserved_concurrency is None


# --------------------------------------------------------------------------
# The arithmetic
# --------------------------------------------------------------------------


def test_duration_is_the_benchmarks_at_1024_mb() -> None:
    assert capacity.duration_s(1024) == pytest.approx(0.63)
    assert capacity.gb_s_per_image(1024) == pytest.approx(0.63)


def test_below_one_vcpu_more_memory_is_faster_for_the_same_gb_seconds() -> None:
    assert capacity.duration_s(512) == pytest.approx(2 * capacity.duration_s(1024))
    assert capacity.gb_s_per_image(512) == pytest.approx(capacity.gb_s_per_image(1769))


def test_above_one_vcpu_more_memory_only_costs_more() -> None:
    assert capacity.duration_s(3538) == pytest.approx(capacity.duration_s(1769))
    assert capacity.gb_s_per_image(3538) == pytest.approx(2 * capacity.gb_s_per_image(1769))


def stage(stages: list[capacity.Stage], name: str) -> capacity.Stage:
    (found,) = [s for s in stages if s.name == name]
    return found


def test_mapping_stage_is_maximum_concurrency_over_duration() -> None:
    stages = capacity.stages(config(maximum_concurrency=2, reserved_concurrency=None))
    mapping = stage(stages, "Event source mapping (maximum concurrency)")
    assert mapping.uploads_per_s == pytest.approx(2 / 0.63)
    assert capacity.ceiling(stages) is mapping


def test_a_new_accounts_concurrency_quota_binds_below_the_cap() -> None:
    stages = capacity.stages(config(maximum_concurrency=50, reserved_concurrency=None), 10)
    binding = capacity.ceiling(stages)
    assert binding.name == "Lambda account concurrency"
    assert binding.uploads_per_s == pytest.approx(10 / 0.63)


def test_reserved_concurrency_appears_only_when_set_and_zero_stops_everything() -> None:
    names = [s.name for s in capacity.stages(config())]
    assert "Lambda reserved concurrency" not in names
    stopped = capacity.ceiling(capacity.stages(config(reserved_concurrency=0)))
    assert (stopped.name, stopped.uploads_per_s) == ("Lambda reserved concurrency", 0)


def test_yesterdays_provisioned_index_gives_the_issues_2_5_uploads_per_second() -> None:
    # Issue 18: "Today's defaults sustain about 2.5 uploads/s": the index's own
    # 5 WCU, never autoscaled, for two index writes an upload.
    old = config(
        billing_mode="PROVISIONED",
        maximum_concurrency=1000,
        index_hash_key="lease_until",
        index_autoscaled=False,
    )
    stages = capacity.stages(old)
    binding = capacity.ceiling(stages)
    assert (binding.name, binding.uploads_per_s) == (
        "DynamoDB in-progress index (provisioned)",
        2.5,
    )
    assert stage(stages, "DynamoDB table (provisioned)").uploads_per_s == pytest.approx(25 / 3)
    hot_key = stage(stages, "DynamoDB in-progress index (partition key)")
    assert hot_key.uploads_per_s == 500


def test_an_index_keyed_like_the_table_has_no_hot_key() -> None:
    spread = stage(
        capacity.stages(config(index_hash_key="object_key")),
        "DynamoDB in-progress index (partition key)",
    )
    assert math.isinf(spread.uploads_per_s)


@pytest.mark.parametrize(
    ("text", "design"),
    [
        ('hash_key = "lease_until"', ("lease_until", False)),
        ('hash_key = "object_key"\n    range_key = "lease_until"', ("object_key", True)),
    ],
)
def test_table_design_is_read_from_dynamodb_tf(
    tmp_path: Path, text: str, design: tuple[str, bool]
) -> None:
    scaled = (
        "dynamodb:index:WriteCapacityUnits" if design[1] else "dynamodb:table:WriteCapacityUnits"
    )
    path = tmp_path / "dynamodb.tf"
    path.write_text(
        'resource "aws_dynamodb_table" "this" {\n  name = "t"\n'
        f'  global_secondary_index {{\n    name = "in-progress"\n    {text}\n  }}\n}}\n'
        f'resource "aws_appautoscaling_target" "w" {{\n  scalable_dimension = "{scaled}"\n}}\n'
    )
    assert capacity.table_design(path) == design


def test_the_modules_table_design_is_readable() -> None:
    hash_key, _ = capacity.table_design()
    assert hash_key in ("lease_until", "object_key")


def test_on_demand_table_stage_is_its_initial_write_units_over_three_writes() -> None:
    stages = capacity.stages(config(maximum_concurrency=1000, reserved_concurrency=None), 10_000)
    binding = capacity.ceiling(stages)
    assert binding.name == "DynamoDB table (on-demand, new)"
    assert binding.uploads_per_s == pytest.approx(4000 / 3)


def test_ceiling_is_the_smallest_stage_and_the_first_of_equals() -> None:
    a = capacity.Stage("a", 2.0, "", ())
    b = capacity.Stage("b", 1.0, "", ())
    c = capacity.Stage("c", 1.0, "", ())
    assert capacity.ceiling([a, b, c]) is b
    assert capacity.ceiling([capacity.Stage("q", math.inf, "", ()), a]) is a


@pytest.mark.parametrize(
    ("region", "quota"),
    [("us-east-1", 100_000), ("eu-west-2", 20_000), ("ap-south-1", 10_000)],
)
def test_kms_stage_uses_the_regions_shared_quota(region: str, quota: int) -> None:
    kms = stage(capacity.stages(config(region=region)), "KMS (both keys, shared quota)")
    assert kms.uploads_per_s == pytest.approx(quota / 9)


def test_ramp_starts_at_five_and_adds_300_a_minute() -> None:
    assert capacity.ramp_s(5) < 1  # only the function's own 1,000 every 10 s
    assert capacity.ramp_s(305) == pytest.approx(60)
    assert capacity.ramp_s(1000) == pytest.approx(995 / 300 * 60)


def test_cost_per_million_adds_up_its_lines() -> None:
    lines = capacity.cost_lines(config())
    by_item = {line.item: line for line in lines}
    assert by_item["Lambda duration (GB-s)"].usd == pytest.approx(630_000 * 0.0000133334)
    assert by_item["Lambda requests"].quantity == 100_000  # batches of 10
    assert by_item["DynamoDB writes (on-demand)"].quantity == 5_000_000  # 3 table + 2 index
    assert capacity.total_usd(lines) == pytest.approx(sum(line.usd for line in lines))


def test_backfill_time_scales_inversely_with_concurrency_and_cost_does_not() -> None:
    slow = capacity.backfill(config(), 10_000_000, 5)
    fast = capacity.backfill(config(), 10_000_000, 1000)
    assert slow.hours == pytest.approx(10_000_000 * 0.63 / 5 / 3600)
    assert fast.hours == pytest.approx(slow.hours / 200)
    assert fast.usd == slow.usd


def test_a_batch_of_the_slowest_images_that_outlasts_the_timeout_is_warned_about() -> None:
    assert capacity.warnings(config(batch_size=10, timeout_s=30))
    assert not capacity.warnings(config(batch_size=6, timeout_s=30))


def test_make_capacity_prints_the_ceiling_and_every_source(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert capacity.main(["--stack", str(SCALE)]) == 0
    out = capsys.readouterr().out
    assert "Ceiling: 1,269.8 uploads/s" in out
    for _, figure in capacity.FIGURES:
        assert figure.cite in out


def test_item_size_counts_as_dynamodbs_guide_says() -> None:
    # "abc" (3) + 5 bytes; "n" (1) + 5 significant digits -> 3 bytes + 1;
    # "ok" (2) + 1; "l" (1) + 3 + (1 + "x" 1) + (1 + "10": 1 digit -> 1 + 1).
    item = {
        "abc": {"S": "hello"},
        "n": {"N": "12345"},
        "ok": {"BOOL": True},
        "l": {"L": [{"S": "x"}, {"N": "10"}]},
    }
    assert capacity.item_size(item) == (3 + 5) + (1 + 4) + (2 + 1) + (1 + 3 + (1 + 1) + (1 + 2))


def test_scale_example_comments_are_the_models() -> None:
    text = " ".join(line.lstrip("# ") for line in (SCALE / "main.tf").read_text().splitlines())
    stages = {s.name: s for s in capacity.stages(capacity.load_config(stack=SCALE))}
    mapping = stages["Event source mapping (maximum concurrency)"].uploads_per_s
    table = stages["DynamoDB table (on-demand, new)"].uploads_per_s
    assert f"= {mapping:,.0f} uploads/s" in text
    assert f"upload: {table:,.0f} uploads/s" in text
