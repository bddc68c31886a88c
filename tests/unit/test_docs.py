"""The documents say what the code does: tables that a test can check, checked."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import cast

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin

from helpers import ROOT, load_script
from image_processor import Reason

TERRAFORM = ROOT / "terraform"
README = (ROOT / "README.md").read_text()
terraform_docs = load_script("dev/terraform_docs")  # the modules' README generator
SECURITY = (ROOT / "SECURITY.md").read_text()


def terraform_files() -> list[Path]:
    """Every .tf file of the root, its modules and examples (not .terraform/)."""
    return sorted(p for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)


def terraform_skips() -> set[tuple[str, str | None, str]]:
    """(check, module directory/resource address, reason) for every inline checkov skip."""
    skips: set[tuple[str, str | None, str]] = set()
    for path in terraform_files():
        module = path.parent.relative_to(TERRAFORM).as_posix()
        block = None
        for line in path.read_text().splitlines():
            header = re.match(r'^(resource|data) "([a-z0-9_]+)" "([a-z0-9_]+)"', line)
            if header:
                prefix = "data." if header[1] == "data" else ""
                block = f"{module}/{prefix}{header[2]}.{header[3]}".removeprefix("./")
            skip = re.match(r"\s*#checkov:skip=([A-Z0-9_]+):(.*)$", line)
            if skip:
                skips.add((skip[1], block, skip[2].strip()))
    return skips


def documented_skips() -> set[tuple[str, str, str]]:
    section = SECURITY.split("<!-- checkov-skips:start -->")[1].split("<!-- checkov-skips:end -->")[
        0
    ]
    rows = re.findall(r"^\| (CKV[A-Z0-9_]+) \| `([^`]+)` \| (.*) \|$", section, flags=re.MULTILINE)
    return {(check, resource, reason.strip()) for check, resource, reason in rows}


def test_every_checkov_skip_is_in_the_exceptions_register_with_its_reason() -> None:
    in_code = terraform_skips()

    assert len(in_code) >= 1
    assert documented_skips() == in_code


def test_every_skip_has_a_real_reason() -> None:
    for check, resource, reason in terraform_skips():
        assert len(reason.split()) >= 8, f"{check} on {resource} needs a real reason"


def terraform_variables(directory: Path = TERRAFORM) -> dict[str, str]:
    """Variable name -> default of the root (or of a module's directory), read
    by the modules' README generator (scripts/dev/terraform_docs.py, python-hcl2)
    and written as HCL writes it.

    Only the names and defaults: the README's descriptions are shorter than
    variables.tf's and cite their sources, so the table is not generated."""
    return {
        v.name: terraform_docs.render_default(v.default) if v.has_default else "(required)"
        for v in terraform_docs.variables(directory)
    }


def readme_variables() -> dict[str, str]:
    section = README.split("<!-- variables:start -->")[1].split("<!-- variables:end -->")[0]
    return dict(re.findall(r"^\| `([a-z0-9_]+)` \| `([^`]*)` \|", section, flags=re.MULTILINE))


def test_the_readme_lists_every_variable_with_its_default() -> None:
    assert readme_variables() == terraform_variables()


def test_every_variable_has_description_type_and_default() -> None:
    text = (TERRAFORM / "variables.tf").read_text()
    for name, body in re.findall(r'variable "([a-z0-9_]+)" \{(.*?)\n\}', text, flags=re.DOTALL):
        for field in ("description", "type", "default"):
            assert re.search(rf"^\s*{field}\s*=", body, flags=re.MULTILINE), f"{name} lacks {field}"


def test_the_readme_lists_every_rejection_reason() -> None:
    section = README.split("<!-- reasons:start -->")[1].split("<!-- reasons:end -->")[0]
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))

    assert listed == {reason.value for reason in Reason}


@pytest.mark.parametrize("document", ["README.md", "SECURITY.md", "INCIDENT_RESPONSE.md"])
def test_documents_link_only_to_files_that_exist(document: str) -> None:
    text = (ROOT / document).read_text()
    for target in re.findall(r"\]\((?!https?://|#)([^)#]+)", text):
        assert (ROOT / target).exists(), f"{document} links to missing {target}"


def test_the_alarm_count_in_the_docs_matches_the_terraform() -> None:
    pipeline = TERRAFORM / "modules" / "image-pipeline"
    alarms_tf = (pipeline / "alarms.tf").read_text()
    every_tf = "".join(path.read_text() for path in terraform_files())
    # Every alarm goes through the one map, so that counting it counts them all.
    assert len(re.findall(r'^resource "aws_cloudwatch_metric_alarm"', every_tf, re.M)) == 1
    alarm_map = alarms_tf.split("  alarms = {")[1].split("\n  }\n")[0]
    own = len(re.findall(r"^    [a-z-]+ = \{", alarm_map, re.M))
    per_policy_match = re.search(r"alarms_per_target_tracking_policy = (\d+)", alarms_tf)
    assert per_policy_match is not None
    per_policy = int(per_policy_match[1])
    # The default is on demand: no target tracking. (PROVISIONED with autoscaling
    # adds one policy for the table's writes and one for the index's:
    # terraform/tests count those from the plan.)
    default_total = own

    assert default_total <= 10  # CloudWatch's free 10
    assert f"| 10 alarms, 5 GB logs | {default_total} alarms ({own} + 0" in README
    assert f"causes {own} of its own" in alarms_tf
    assert f"= {own + 2 * per_policy}." in alarms_tf


def test_the_cost_section_names_every_paid_toggle() -> None:
    cost = README.split("## Cost, honestly")[1].split("\n## ")[0]
    for toggle in ("enable_guardduty", "enable_security_hub", "enable_config", "enable_cloudtrail"):
        assert toggle in cost
        assert toggle in terraform_variables(TERRAFORM / "modules" / "account-baseline")


def test_the_readme_states_the_limits_terraform_sets() -> None:
    variables = terraform_variables(TERRAFORM / "modules" / "image-pipeline")

    assert (
        f"Limits: {variables['max_upload_mb']} MiB (`max_upload_mb`), "
        f"{variables['max_dimension']} pixels a side (`max_dimension`)"
    ) in README


# --------------------------------------------------------------------------
# Runbook links: every INCIDENT_RESPONSE.md#anchor resolves to a heading
# --------------------------------------------------------------------------

RUNBOOK_LINK = re.compile(r"INCIDENT_RESPONSE\.md#([A-Za-z0-9_-]+)")
SKIPPED_DIRS = {".venv", ".venv-checkov", ".terraform", ".git", ".local-aws", "node_modules"}


def repository_files(pattern: str) -> list[Path]:
    return sorted(
        p for p in ROOT.rglob(pattern) if not SKIPPED_DIRS.intersection(p.relative_to(ROOT).parts)
    )


def github_anchors(markdown: str) -> set[str]:
    """The ids GitHub gives the headings: lower case, punctuation dropped, spaces to
    hyphens, repeats suffixed -1, -2 (markdown-it-py's anchors plugin, GitHub's rule)."""
    md = MarkdownIt("commonmark").use(anchors_plugin, min_level=1, max_level=6)
    return {cast(str, t.attrs["id"]) for t in md.parse(markdown) if t.type == "heading_open"}


def test_github_anchors_follow_githubs_rule() -> None:
    anchors = github_anchors("# Lambda errors\n## `<name>` and, (this)!\n## Same\n## Same\n")

    assert anchors == {"lambda-errors", "name-and-this", "same", "same-1"}


def runbook_links() -> list[tuple[str, str]]:
    """(file, anchor) for every link into the runbook from Terraform and the documents."""
    links = []
    for path in repository_files("*.tf") + repository_files("*.md"):
        name = str(path.relative_to(ROOT))
        links += [(name, anchor) for anchor in RUNBOOK_LINK.findall(path.read_text())]
    runbook = (ROOT / "INCIDENT_RESPONSE.md").read_text()
    links += [("INCIDENT_RESPONSE.md", a) for a in re.findall(r"\]\(#([^)]+)\)", runbook)]
    return links


def test_every_runbook_link_resolves_to_a_heading() -> None:
    anchors = github_anchors((ROOT / "INCIDENT_RESPONSE.md").read_text())
    links = runbook_links()

    assert sum(1 for name, _ in links if name.endswith(".tf")) >= 8  # the alarms and rules
    missing = sorted({f"{name}: #{anchor}" for name, anchor in links if anchor not in anchors})
    assert missing == []


def test_the_cost_figures_add_up() -> None:
    """The README's S3, e-mail and monthly totals, recomputed from the prices it cites."""
    cost = README.split("## Cost, honestly")[1].split("\n## ")[0]
    # 12 GB of current objects (30 days), and noncurrent versions 7 days more.
    held_gb, puts, gets, emails = round(12 * 37 / 30, 1), 20_000, 10_000, 10_000
    assert f"~{held_gb} GB held" in cost
    s3 = held_gb * 0.023 + puts * 0.005 / 1000 + gets * 0.0004 / 1000
    s3_with_allowance = (held_gb - 5) * 0.023 + puts * 0.005 / 1000 + gets * 0.0004 / 1000
    email = (emails - 1_000) * 2.00 / 100_000
    pitr = 0.01 * 0.20
    alarm = 0.00  # 8 alarms by default, inside CloudWatch's free 10
    # The KMS keys the default stack creates (the pipeline's data and security
    # keys, the account baseline's audit key with the trail; the audit
    # replica's is off by default), each with 0, 1, 2+ rotations.
    keys = sum(
        len(re.findall(r'^resource "aws_kms_key"', path.read_text(), re.M))
        for module in ("image-pipeline", "account-baseline")
        for path in (TERRAFORM / "modules" / module).glob("*.tf")
    )
    assert keys == 3
    assert f"**USD {keys:.2f} for the {('two', 'three')[keys - 2]} keys**" in cost
    cloudtrail = (30_000 + 10_000 + 2_880) * 0.10 / 100_000  # S3 and Lambda data events
    year = [keys * key + s3 + alarm + cloudtrail + pitr for key in (1.00, 2.00, 3.00)]

    assert f"~USD {s3:.2f}" in cost
    assert f"~USD {s3_with_allowance:.2f} with the 5 GB allowance" in cost
    assert f"~USD {email:.2f} with it" in cost
    assert f"~USD {cloudtrail:.2f} (data events, 0.10 per 100,000)" in cost
    assert f"about **USD {year[0]:.2f} a month** in the\nfirst year" in cost
    assert f"USD {year[1]:.2f}\nin the second and USD {year[2]:.2f} from the third" in cost


def test_the_tests_make_the_in_progress_index_as_the_terraform_does() -> None:
    """tests/integration/conftest.py's table must be the one the handler meets on AWS."""
    from helpers import INDEX_KEY_SCHEMA

    dynamodb_tf = (TERRAFORM / "modules" / "image-pipeline" / "dynamodb.tf").read_text()
    index = dynamodb_tf.split("global_secondary_index {")[1].split("\n  }")[0]
    keys = dict(re.findall(r'^\s*(hash_key|range_key)\s*=\s*"([^"]+)"', index, re.M))
    locals_tf = (TERRAFORM / "modules" / "image-pipeline" / "locals.tf").read_text()

    assert keys == {"hash_key": "object_key", "range_key": "lease_until"}
    assert [k["AttributeName"] for k in INDEX_KEY_SCHEMA] == [keys["hash_key"], keys["range_key"]]
    assert 'processing_index = "in-progress"' in locals_tf


def _layout() -> dict[str, str]:
    """Path -> description for each entry of the README's layout tree. An indented
    path is under the last unindented directory; a line indented past the paths
    continues the description above it."""
    block = README.split("## Repository layout")[1].split("```\n")[1]
    entries: dict[str, str] = {}
    parent = last = ""
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip())
        if indent >= 20:
            entries[last] += " " + line.strip()
            continue
        path, _, description = line.strip().partition(" ")
        if indent:
            path = parent + path
        elif path.endswith("/"):
            parent = path
        last = path.rstrip("/")
        entries[last] = description.strip()
    return entries


def _tracked() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return listed.splitlines()


def test_the_readme_layout_names_only_paths_that_exist() -> None:
    for path in _layout():
        assert (ROOT / path).exists(), path


def test_the_readme_layout_names_every_directory_and_module() -> None:
    layout = _layout()
    named_paths = set(layout)
    directories = {name.split("/")[0] for name in _tracked() if "/" in name}
    directories |= {
        "/".join(name.split("/")[:2])
        for name in _tracked()
        if name.startswith("tests/") and name.count("/") > 1
    }
    for directory in sorted(directories):
        assert any(p == directory or p.startswith(directory + "/") for p in named_paths), (
            f"{directory}/ is not in the README's layout"
        )
    # scripts/ and each of its folders (scripts/README.md: lib, local, audit, dev).
    script_folders = {n.rsplit("/", 1)[0] for n in _tracked() if n.startswith("scripts/")}
    for folder in ("lambda", *sorted(f for f in script_folders if f.count("/") <= 1)):
        words = set(re.findall(r"[\w.]+", layout[folder]))
        for name in _tracked():
            if name.startswith(folder + "/") and name.count("/") == folder.count("/") + 1:
                module = name.rsplit("/", 1)[1]
                stem = module.rsplit(".", 1)[0]
                if module.endswith((".py", ".sh", ".json")) and module != "requirements.txt":
                    assert {module, stem} & words, f"{name} is not named in the README's layout"
            elif name.startswith(folder + "/") and folder.startswith("scripts/"):
                sub = name.split("/")[2]
                assert sub in words, f"{folder}/{sub}/ is not named in the README's layout"


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-zA-Z][\w-]*):", makefile, flags=re.MULTILINE))


@pytest.mark.parametrize("document", ["README.md", "SECURITY.md", "INCIDENT_RESPONSE.md"])
def test_every_make_command_in_the_documents_is_a_makefile_target(document: str) -> None:
    text = (ROOT / document).read_text()
    # As code: `make x` inline, or a line of a code block that starts with it.
    named = set(re.findall(r"(?:`|^)make ([a-z][\w-]*)", text, flags=re.MULTILINE))
    missing = named - _make_targets()
    assert not missing, f"{document} names make targets that do not exist: {sorted(missing)}"


def test_the_terraform_minimum_is_the_same_in_the_root_the_scripts_and_the_readme() -> None:
    root = re.search(r'required_version = ">= ([\d.]+)"', (TERRAFORM / "providers.tf").read_text())
    hint = re.search(r"install Terraform >= ([\d.]+)", (ROOT / "scripts/lib/common.sh").read_text())
    assert root
    assert hint
    assert hint[1] == root[1]
    assert f"Terraform ≥ {root[1]} (≥ 1.11 to run" in README


def test_every_cited_terraform_test_names_a_run_or_a_labelled_block() -> None:
    """A document cites a Terraform test as `<file>.tftest.hcl::<name>` or `terraform test`
    `<name>`; the name must be a run of that file (of any file for the second form), or a
    block of asserts labelled `# <name>` (a note in brackets may follow) inside a run, as
    runs that share their variables label their parts. A trailing `*` cites every name with
    that prefix (at least one)."""
    tests = {p.name: p.read_text() for p in (TERRAFORM / "tests").glob("*.tftest.hcl")}

    def names(text: str) -> set[str]:
        return set(re.findall(r'^run "(\w+)"', text, re.M)) | set(
            re.findall(r"^\s+# (\w+)(?: \(.*\))?$", text, re.M)
        )

    every = set().union(*(names(text) for text in tests.values()))
    cited: list[tuple[str, str, set[str]]] = []
    for doc in ("README.md", "SECURITY.md", "INCIDENT_RESPONSE.md"):
        text = (ROOT / doc).read_text()
        for file, name in re.findall(r"(\w+\.tftest\.hcl)::(\w+\*?)", text):
            cited.append((doc, f"{file}::{name}", names(tests.get(file, ""))))
        for name in re.findall(r"`terraform test` `(\w+\*?)`", text):
            cited.append((doc, name, every))
    assert len(cited) >= 10, cited  # the forms above are still how the documents cite

    def found(name: str, among: set[str]) -> bool:
        name = name.rsplit("::", 1)[-1]
        if name.endswith("*"):
            return any(n.startswith(name[:-1]) for n in among)
        return name in among

    missing = [(doc, name) for doc, name, among in cited if not found(name, among)]
    assert not missing, (
        f"cited Terraform tests that are neither a run nor a labelled block: {missing}"
    )


def test_the_readmes_fuzz_counts_are_the_profiles_times_the_properties() -> None:
    fuzz = (ROOT / "tests" / "fuzz" / "test_fuzz_processor.py").read_text()
    properties = fuzz.count("\n@given(")
    examples = dict(re.findall(r'register_profile\(\s*"(\w+)", max_examples=(\d+)', fuzz))
    line = next(
        s for s in (ROOT / "README.md").read_text().splitlines() if s.startswith("make fuzz ")
    )

    long, ci = int(examples["long"]), int(examples["ci"])
    assert f"# {properties * long:,} fuzzing examples" in line, line
    assert f"{long:,} per property" in line, line
    assert f"(make test runs {properties * ci:,})" in line, line


def test_the_readme_says_how_long_and_how_many_answers_the_local_aws_keeps() -> None:
    source = (ROOT / "scripts" / "local" / "moto_server.py").read_text()
    [(kept_for, kept_calls)] = re.findall(
        r"^KEPT_FOR, KEPT_CALLS = ([\d.]+), ([\d_]+)$", source, re.M
    )
    [waits] = re.findall(r"^WAIT_FOR_EARLIER = ([\d.]+)$", source, re.M)
    readme = (ROOT / "README.md").read_text().splitlines()
    row = next(line for line in readme if line.startswith("| A call sent again after it was done"))

    assert f"for {float(kept_for) / 60:g} minutes" in row
    assert f"newest {int(kept_calls):,} calls at most" in row
    assert f"for at most {float(waits) / 60:g} minutes" in row
