"""Names used on both sides of a boundary, read from both sides.

The alarms and EventBridge rules (terraform/modules/image-pipeline/alarms.tf
and events.tf) are named ``<name>-<key>`` and link a section of
INCIDENT_RESPONSE.md; the on-call engineer finds the section by the alarm's
name. A renamed alarm whose runbook keeps the old name, or a runbook section
for an alarm that no longer exists, fails here. (That each link resolves to
a heading is tests/unit/test_docs.py's.)
"""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin

from helpers import ROOT

PIPELINE = ROOT / "terraform" / "modules" / "image-pipeline"
RUNBOOK = (ROOT / "INCIDENT_RESPONSE.md").read_text()
README = (ROOT / "README.md").read_text()
# A map entry of alarms.tf or events.tf: `    key = {` and, next, its description.
ENTRY = re.compile(
    r'^ +([a-z0-9-]+) = \{\n +description += "[^\n]*Runbook: INCIDENT_RESPONSE\.md#([a-z0-9-]+)"$',
    re.MULTILINE,
)
# The name a runbook section opens with: `<name>-key`.
OPENING_NAME = re.compile(r"\A\s*`<name>-([a-z0-9-]+)`")


def paging_names() -> dict[str, str]:
    """Each alarm's and rule's key (its name without the `<name>-` prefix) -> runbook anchor."""
    found: dict[str, str] = {}
    for source in ("alarms.tf", "events.tf"):
        found |= dict(ENTRY.findall((PIPELINE / source).read_text()))
    return found


def alarm_sections() -> dict[str, str]:
    """The text of each `### ` section of the runbook's `## Alarms`, by its GitHub anchor."""
    md = MarkdownIt("commonmark").use(anchors_plugin, min_level=1, max_level=6)
    headings = {
        token.map[0]: (token.tag, str(token.attrs["id"]))
        for token in md.parse(RUNBOOK)
        if token.type == "heading_open" and token.map
    }
    sections: dict[str, str] = {}
    current, in_alarms = "", False
    for number, line in enumerate(RUNBOOK.splitlines(keepends=True)):
        tag, anchor = headings.get(number, ("", ""))
        if tag == "h2":
            in_alarms, current = anchor == "alarms", ""
        elif tag == "h3" and in_alarms:
            current = anchor
            sections[current] = ""
        elif current:
            sections[current] += line
    return sections


def test_the_parsers_find_the_alarms_rules_and_sections() -> None:
    names, sections = paging_names(), alarm_sections()

    assert len(names) >= 9  # 7 alarms and 2 rules today
    assert {"lambda-errors", "kms-key-state"} <= names.keys()
    assert {"lambda-errors", "kms-key"} <= sections.keys()


@pytest.mark.parametrize(("name", "anchor"), sorted(paging_names().items()))
def test_every_alarm_and_rule_is_named_in_the_section_it_links_to(name: str, anchor: str) -> None:
    sections = alarm_sections()

    assert anchor in sections, f"{name} links #{anchor}, which is no section of ## Alarms"
    assert f"`<name>-{name}`" in sections[anchor], (
        f"the runbook's #{anchor} does not name the alarm `<name>-{name}`"
    )


def test_every_alarm_the_runbook_opens_a_section_with_exists() -> None:
    names = paging_names()
    opened = {
        anchor: match[1]
        for anchor, text in alarm_sections().items()
        if (match := OPENING_NAME.match(text))
    }

    assert opened, "no section of ## Alarms opens with `<name>-...`"
    assert {anchor: name for anchor, name in opened.items() if name not in names} == {}


# ---------------------------------------------------------------------------
# The pipeline module and its callers: README, "Calling the pipeline module
# from another stack", names the inputs that wire the module to the account's
# services (the findings it pages for, the bucket its access logs go to),
# and the default terraform/main.tf (the stack
# deploy.sh runs) changes. Each input is declared once, in the module
# (tests/unit/test_variables_declared_once.py).
# ---------------------------------------------------------------------------

DELIVERY_INPUTS = ("enable_guardduty_findings_rule", "access_log_target")


def module_variables() -> set[str]:
    return set(
        re.findall(r'^variable "([a-z0-9_]+)"', (PIPELINE / "variables.tf").read_text(), re.M)
    )


def test_the_readme_names_the_delivery_inputs_and_the_default_the_stack_changes() -> None:
    section = README.split("## Calling the pipeline module from another stack")[1].split("\n## ")[0]
    prose = re.sub(r"```.*?```", "", section, flags=re.DOTALL)  # the example is not the prose

    for name in (*DELIVERY_INPUTS, "enable_code_signing"):
        assert f"`{name}`" in prose, f"README's prose does not name {name}"
        assert name in module_variables(), f"{name} is not an input of the module"
    # "enable_code_signing is false; terraform/main.tf turns it on": both sides.
    default = re.search(
        r'^variable "enable_code_signing" \{.*?^  default\s*=\s*(\w+)',
        (PIPELINE / "variables.tf").read_text(),
        re.M | re.S,
    )
    assert default
    assert default[1] == "false"
    assert "`enable_code_signing` is `false`" in " ".join(prose.split())
    stack = module_arguments((ROOT / "terraform" / "main.tf").read_text(), 'module "pipeline" {')
    assert stack["enable_code_signing"] == "!var.local_aws"
    for name in DELIVERY_INPUTS:
        assert name in stack, f"terraform/main.tf does not set {name}"


def module_arguments(hcl: str, opening: str = 'module "image_pipeline" {') -> dict[str, str]:
    """`name = value` of a module block, comments dropped (one argument a line)."""
    block = hcl.split(opening)[1].split("\n}")[0]
    found = {}
    for line in block.splitlines():
        line = line.split("#")[0].strip()
        if "=" in line:
            name, value = (part.strip() for part in line.split("=", 1))
            found[name] = value
    return found


def test_the_readme_calls_the_module_as_the_example_does() -> None:
    example = ROOT / "terraform" / "examples" / "with-organisation-baseline" / "main.tf"
    readme = module_arguments(README.split("## Calling the pipeline module from another stack")[1])
    validated = module_arguments(example.read_text())

    # Where the module comes from and where the package is differ by nature.
    for differs in ("source", "lambda_package_path"):
        assert differs in readme
        assert differs in validated
        del readme[differs], validated[differs]
    assert readme == validated


def test_destroy_schedules_the_kept_replica_key_with_the_stacks_window() -> None:
    """destroy.sh, with no state left, uses terraform/main.tf's deletion windows."""
    main = (ROOT / "terraform" / "main.tf").read_text()
    destroy = (ROOT / "scripts" / "destroy.sh").read_text()
    windows = re.search(r"kms_deletion_window_days = var\.local_aws \? (\d+) : (\d+)", main)
    assert windows is not None
    local, default = windows.groups()
    window = destroy[destroy.index("replica_key_window() {") :]
    window = window[: window.index("\n}\n")]
    assert f"window={default}" in window
    assert f"window={local}" in window
    local_tfvars = (ROOT / "terraform" / "local.tfvars").read_text()
    assert re.search(r"^local_aws\s*=\s*true", local_tfvars, re.M)
