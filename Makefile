# image-processor — development entry points. `make` lists them.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# The Lambda runs Python 3.13; develop on it when the machine has it.
# (pyenv shims exist for versions that are not active, so each candidate is run.)
PYTHON ?= $(shell for p in python3.13 $(HOME)/.pyenv/versions/3.13*/bin/python3 python3; do \
                    "$$p" -c 'import sys' >/dev/null 2>&1 && { command -v "$$p"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.installed
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
PROWLER_VENV := .venv-prowler
PROWLER_STAMP := $(PROWLER_VENV)/.installed
PYTEST_ARGS ?=
# make test runs whole test files in parallel, one per core.
PYTEST_WORKERS ?= auto
BATS_ARGS ?=

# A TF_CLI_CONFIG_FILE that names a missing file only adds a warning to every
# terraform command (scripts/lib/common.sh does the same for the scripts).
ifneq ($(TF_CLI_CONFIG_FILE),)
ifeq ($(wildcard $(TF_CLI_CONFIG_FILE)),)
unexport TF_CLI_CONFIG_FILE
endif
endif

.PHONY: help
help: ## Show this help
	@if [ -t 1 ]; then c='\033[36m'; r='\033[0m'; else c=''; r=''; fi; \
	awk -v c="$$c" -v r="$$r" 'BEGIN {FS = ":.*## "; printf "Usage: make <target>\n\n"} \
	  /^[a-zA-Z_-]+:.*## / {printf "  %s%-22s%s %s\n", c, $$1, r, $$2}' $(MAKEFILE_LIST)

# --------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------

# need TOOL HINT: one clear line, before anything runs, when a tool is missing.
need = @command -v $(1) >/dev/null 2>&1 || { echo "error: '$(1)' was not found on PATH: $(2)" >&2; exit 1; }
# The version README.md names for make demo and make test (terraform test needs 1.11).
TERRAFORM_HINT := install Terraform >= 1.11 (https://developer.hashicorp.com/terraform/install)

# The targets of the user's loop that need Terraform: without it, one line
# (make's own "*** ... Stop.") before a virtualenv is built or a local AWS started.
ifneq ($(filter demo local-deploy fmt,$(MAKECMDGOALS)),)
ifeq ($(shell command -v terraform 2>/dev/null),)
$(error 'terraform' was not found on PATH: $(TERRAFORM_HINT))
endif
endif

# uv installs the pinned requirements into every virtualenv: uv installed
# requirements-dev.txt into a fresh virtualenv in 1.5 s of CPU, and compiling
# its bytecode (below) took 25 s more; make setup's times beside pip's are in
# README, "Development". uv is one pinned wheel that .venv's own pip
# installs (the machine needs nothing but Python); the other virtualenvs use
# .venv's uv (order-only: a new uv reinstalls nothing). uv reads no pip
# configuration (pip.conf, PIP_INDEX_URL): README, "Development", says how to
# name a private index. .venv keeps a pinned pip: scripts/build_lambda.sh and
# make lock-lambda run it.
UV_VERSION := 0.13.10
PIP_VERSION := 26.3
UV := $(BIN)/uv
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)

# logged_install VENV WHAT COMMAND: one line when it starts and one when it
# ends (with the time); the installer's own output goes to VENV/pip.log, and
# its end is shown on failure. (Even with --quiet, pip prints a warning per
# package for each find-links or index location of a machine's pip
# configuration that does not exist.)
logged_install = @printf ' ..  %s into %s\n' '$(2)' '$(1)'; start=$$SECONDS; \
	if $(3) >>$(1)/pip.log 2>&1; then \
	  printf ' ok  %s into %s (%ss; output in %s)\n' '$(2)' '$(1)' $$((SECONDS - start)) '$(1)/pip.log'; \
	else rc=$$?; tail -n 25 $(1)/pip.log >&2; \
	  printf 'error: %s into %s failed (exit %s); full output in %s\n' '$(2)' '$(1)' $$rc '$(1)/pip.log' >&2; exit $$rc; fi
# pip_install VENV ARGS: VENV's own pip (only to bootstrap uv).
pip_install = $(call logged_install,$(1),pip install $(2),$(1)/bin/python -m pip install --quiet $(2))
# uv_install VENV ARGS: .venv's uv into VENV's Python.
uv_install = $(call logged_install,$(1),uv pip install $(2),$(UV) pip install --python $(1)/bin/python $(2))
# uv compiles no bytecode unless asked; pip did. Uncompiled, each tool start
# compiles what it imports (at every start where PYTHONDONTWRITEBYTECODE is
# set: cli.bats and terraform_progress.bats took 27 s of CPU instead of 19 s,
# a checkov scan of terraform/ 17 s instead of 13 s), and parliament prints
# SyntaxWarnings into audit_policies.py --help (cli.bats fails). So .venv and
# .venv-checkov are compiled at install, as pip did; Prowler's virtualenv is
# not, as before (pip's --no-compile: one run per audit).
COMPILE := --compile-bytecode

$(UV_STAMP):
	@test -n "$(PYTHON)" || { echo "error: no python3 found: install Python >= 3.12 (3.13 preferred) or set PYTHON=/path/to/python3.13" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { echo "error: $(PYTHON) is older than 3.12: install Python >= 3.12 (3.13 preferred) or set PYTHON=/path/to/python3.13" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(call pip_install,$(VENV),uv==$(UV_VERSION))
	@touch $@

$(VENV_STAMP): requirements-dev.txt lambda/requirements.in | $(UV_STAMP)
	$(call uv_install,$(VENV),$(COMPILE) pip==$(PIP_VERSION) -r requirements-dev.txt)
	@touch $@

# The tools' own virtualenvs need no pip: uv installs into them.
$(CHECKOV_STAMP): requirements-checkov.txt | $(UV_STAMP)
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv --without-pip $(CHECKOV_VENV)
	$(call uv_install,$(CHECKOV_VENV),$(COMPILE) -r requirements-checkov.txt)
	@touch $@

# Prowler pins its own versions of 245 packages (uv's count): a virtualenv of
# its own too (66,000 .py files, 1.4 GB; Prowler's AWS checks import a
# fraction of them, so they are not compiled at install).
$(PROWLER_STAMP): requirements-prowler.txt | $(UV_STAMP)
	@test -x $(PROWLER_VENV)/bin/python || $(PYTHON) -m venv --without-pip $(PROWLER_VENV)
	$(call uv_install,$(PROWLER_VENV),-r requirements-prowler.txt)
	@touch $@

.PHONY: setup
setup: $(VENV_STAMP) $(CHECKOV_STAMP) ## Create the virtualenvs with the pinned tools (idempotent)

.PHONY: lock-lambda
lock-lambda: $(VENV_STAMP) ## Hash-pin lambda/requirements.in into lambda/requirements.txt (every Lambda platform's wheels)
	$(BIN)/python scripts/lib/package_manifest.py lock --requirements-in lambda/requirements.in --output lambda/requirements.txt

.PHONY: lock
lock: ## Re-resolve requirements-dev.in into the pinned requirements-dev.txt
	@rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet -r requirements-dev.in
	{ echo "# Generated by 'make lock' from requirements-dev.in; do not edit by hand."; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable; } > requirements-dev.txt
	@rm -rf .venv-lock

.PHONY: lock-mutation
lock-mutation: ## Re-resolve requirements-mutation.in into the hash-pinned requirements-mutation.txt (pip-tools)
	@rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet pip-tools==7.7.0
	.venv-lock/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links --output-file=requirements-mutation.txt requirements-mutation.in
	@rm -rf .venv-lock

# --------------------------------------------------------------------------
# Quality
# --------------------------------------------------------------------------

.PHONY: lint
# The .bats files are bash with bats' own names (run, status, output) and
# loaded helpers; SC2314/SC2315 catch a `!` line that can never fail a test.
BATS_SHELLCHECK := -s bash -e SC2034,SC2030,SC2031,SC1091,SC2154

lint: $(VENV_STAMP) ## ruff, mypy --strict, shellcheck (scripts and .bats tests) and terraform fmt
	$(call need,terraform,$(TERRAFORM_HINT))
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/shellcheck scripts/*.sh scripts/lib/*.sh
	$(BIN)/shellcheck $(BATS_SHELLCHECK) tests/scripts/*.bats tests/scripts/*.bash
	terraform fmt -check -recursive terraform

.PHONY: fmt
fmt: $(VENV_STAMP) ## Format Python and Terraform in place
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	terraform fmt -recursive terraform

.PHONY: docs
docs: $(VENV_STAMP) ## Write the Inputs and Outputs tables of terraform/modules/*/README.md from their HCL (make test checks them)
	$(BIN)/python scripts/dev/terraform_docs.py

.PHONY: test
# The four suites side by side (make's own --jobs); --output-sync prints each
# suite's output whole when it ends, and make exits non-zero if any failed.
test: $(VENV_STAMP) $(CHECKOV_STAMP) ## Lint, types, unit, integration, fuzz, Terraform and bats tests side by side: no deployments (minutes)
	@echo "lint, test-terraform, test-scripts and test-python side by side; each prints its output when it ends"
	@$(MAKE) --jobs=4 --output-sync=target lint test-terraform test-scripts test-python

.PHONY: test-python
test-python: $(VENV_STAMP) ## pytest: unit, integration and fuzz, test files in parallel (no deployments)
	$(BIN)/pytest --numprocesses $(PYTEST_WORKERS) --dist loadfile --ignore=tests/e2e $(PYTEST_ARGS)

.PHONY: test-unit
test-unit: $(VENV_STAMP) ## Unit tests only (seconds)
	$(BIN)/pytest tests/unit -q $(PYTEST_ARGS)

.PHONY: breaks
breaks: $(VENV_STAMP) $(CHECKOV_STAMP) ## Each deliberate break of tests/breaks.py on a scratch copy, and whether its test catches it (minutes)
	$(BIN)/python tests/breaks.py

# Three pytest runs side by side (tests/e2e/conftest.py), each with a local
# AWS and a repository copy of its own: the demo loop (demo.sh deploys and
# destroys a stack of its own: that is what it tests), then the bats tests
# tagged local-aws; the recovery paths (they deploy, break and destroy theirs);
# and every other module on one stack deployed once, destroyed last, audited
# first (scripts/audit.sh --deployed: make audit's Prowler and parliament,
# without a deployment of its own; Prowler's virtualenv is built while that
# stack deploys). The two in the background print their output when the
# third ends. (Not pytest-xdist's loadgroup: with pytest 9 it no longer keeps
# a group on one worker.) The scan runs once first: every deployment then
# reuses its pass (a scratch copy of an unchanged tree has the same content)
# instead of scanning again.
E2E_DEMO := tests/e2e/test_demo_loop.py
E2E_RECOVERY := tests/e2e/test_recovery.py
.PHONY: test-e2e
test-e2e: $(VENV_STAMP) $(CHECKOV_STAMP) ## End-to-end: real deployments to a local AWS (the demo loop, recovery paths, the runbook, the audit) and the bats tests tagged local-aws
	$(call need,terraform,$(TERRAFORM_HINT))
	scripts/security_scan.sh --target local
	@mkdir -p reports
	@echo "$(BIN)/pytest $(E2E_DEMO), then make test-scripts-local-aws (beside the run below; output in reports/test-e2e-demo.log)"
	@echo "$(BIN)/pytest $(E2E_RECOVERY) (beside the run below; output in reports/test-e2e-recovery.log)"
	@{ rc=0; $(BIN)/pytest $(E2E_DEMO) $(PYTEST_ARGS) || rc=$$?; \
	   $(MAKE) test-scripts-local-aws || rc=$$((rc ? rc : $$?)); exit $$rc; } >reports/test-e2e-demo.log 2>&1 & demo=$$!; \
	  $(BIN)/pytest $(E2E_RECOVERY) $(PYTEST_ARGS) >reports/test-e2e-recovery.log 2>&1 & recovery=$$!; \
	  rc=0; $(BIN)/pytest tests/e2e $(addprefix --ignore=,$(E2E_DEMO) $(E2E_RECOVERY)) $(PYTEST_ARGS) || rc=$$?; \
	  wait $$demo || rc=$$((rc ? rc : $$?)); \
	  printf '\n%s\n' "--- $(E2E_DEMO) and make test-scripts-local-aws (reports/test-e2e-demo.log)"; cat reports/test-e2e-demo.log; \
	  wait $$recovery || rc=$$((rc ? rc : $$?)); \
	  printf '\n%s\n' "--- $(E2E_RECOVERY) (reports/test-e2e-recovery.log)"; cat reports/test-e2e-recovery.log; exit $$rc

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(VENV_STAMP) requirements-bench.txt
	$(call uv_install,$(VENV),$(COMPILE) -r requirements-bench.txt)
	@touch $@

.PHONY: bench
bench: $(BENCH_STAMP) ## Benchmark: processor vs naive Pillow vs pyvips, memory and cold start (minutes)
	$(BIN)/python bench/run.py

.PHONY: capacity
capacity: $(VENV_STAMP) ## Capacity model: uploads/s per stage, ceiling, cost per million (STACK=terraform/examples/scale, VARS=x.tfvars, ACCOUNT_CONCURRENCY=10)
	$(BIN)/python bench/capacity.py $(if $(STACK),--stack $(STACK)) $(if $(VARS),--vars $(VARS)) $(if $(ACCOUNT_CONCURRENCY),--account-concurrency $(ACCOUNT_CONCURRENCY))

MUTATION_STAMP := $(VENV)/.mutation-installed
$(MUTATION_STAMP): $(VENV_STAMP) requirements-mutation.txt
	$(call uv_install,$(VENV),$(COMPILE) -r requirements-mutation.txt)
	@touch $@

.PHONY: mutation
mutation: $(MUTATION_STAMP) ## Mutation score of lambda/ per file, mutmut 3 (FILES=lambda/storage.py for one file)
	$(BIN)/python scripts/dev/mutation.py $(if $(FILES),--files $(FILES))

.PHONY: fuzz
fuzz: $(VENV_STAMP) ## Long fuzzing run of the decoder path (5,000 examples per property)
	HYPOTHESIS_PROFILE=long $(BIN)/pytest tests/fuzz --hypothesis-show-statistics -q

.PHONY: soak
soak: $(VENV_STAMP) ## Soak: 1,000 uploads, 4 workers, duplicates and 3 % injected faults (a few minutes)
	SOAK=1 $(BIN)/pytest tests/integration/test_soak.py -q -s

.PHONY: load
load: $(VENV_STAMP) ## Load: 10,000 uploads through S3 -> queue -> function with faults and killed invocations (LOAD_UPLOADS changes it; many minutes)
	LOAD_UPLOADS=$${LOAD_UPLOADS:-10000} $(BIN)/pytest tests/integration/test_load.py -q -s -p no:randomly -p no:xdist

.PHONY: test-terraform
test-terraform: ## terraform validate, terraform test (no account) and validate of terraform/examples/*
	$(call need,terraform,$(TERRAFORM_HINT))
	cd terraform && terraform init -backend=false -input=false >/dev/null && terraform validate && terraform test
	for example in terraform/examples/*/; do \
	  { terraform -chdir="$$example" init -backend=false -input=false >/dev/null && terraform -chdir="$$example" validate; } || exit 1; done

.PHONY: policy-fixtures
# The local AWS tests load tests/fixtures/policies/*.json; pipeline.tftest.hcl
# fails until each is the policy Terraform renders, and its message carries
# that policy, which tests/policy_fixtures.py writes.
policy-fixtures: $(VENV_STAMP) ## Rewrite tests/fixtures/policies/*.json from the bucket policies Terraform renders (terraform test; minutes)
	$(call need,terraform,$(TERRAFORM_HINT))
	cd terraform && terraform init -backend=false -input=false >/dev/null && \
	  { terraform test -json -filter=tests/pipeline.tftest.hcl || true; } | ../$(BIN)/python ../tests/policy_fixtures.py

.PHONY: test-scripts
# Tests tagged local-aws run the real terraform against a local AWS (a destroy,
# an apply that fails, a printed hint run in a fresh shell): 10 to 25 s each,
# so make test-e2e runs them, beside the deployments.
test-scripts: $(VENV_STAMP) $(CHECKOV_STAMP) ## bats tests of the scripts' contracts (but those tagged local-aws)
	$(call need,terraform,$(TERRAFORM_HINT))
	$(call need,git,install git (https://git-scm.com/downloads))
	$(BIN)/bats --filter-tags '!local-aws' $(BATS_ARGS) tests/scripts

.PHONY: test-scripts-local-aws
test-scripts-local-aws: $(VENV_STAMP) $(CHECKOV_STAMP) ## bats tests tagged local-aws: the scripts against a local AWS with the real terraform
	$(call need,terraform,$(TERRAFORM_HINT))
	$(BIN)/bats --filter-tags local-aws $(BATS_ARGS) tests/scripts

# --------------------------------------------------------------------------
# The user's loop
# --------------------------------------------------------------------------

.PHONY: scan
scan: $(VENV_STAMP) $(CHECKOV_STAMP) ## Security scan (bandit, pip-audit, terraform, checkov, shellcheck)
	scripts/security_scan.sh

.PHONY: audit
audit: $(VENV_STAMP) $(CHECKOV_STAMP) $(PROWLER_STAMP) ## Prowler and parliament against the stack deployed to a local AWS (minutes)
	scripts/audit.sh

.PHONY: build
build: $(VENV_STAMP) ## Build dist/lambda.zip
	scripts/build_lambda.sh

.PHONY: deploy
deploy: $(VENV_STAMP) $(CHECKOV_STAMP) ## Scan, build and deploy to the AWS account of your credentials
	scripts/deploy.sh

.PHONY: destroy
destroy: $(VENV_STAMP) ## Destroy the deployment (asks first)
	scripts/destroy.sh

.PHONY: demo
demo: $(VENV_STAMP) $(CHECKOV_STAMP) ## The whole loop on a local AWS: deploy, upload, process, show, destroy
	scripts/demo.sh

.PHONY: local-up
local-up: $(VENV_STAMP) ## Start the local AWS (moto's server on 127.0.0.1:5055; LOCAL_AWS_PORT changes it)
	scripts/local_aws.sh start

.PHONY: local-down
local-down: ## Stop the local AWS
	scripts/local_aws.sh stop

.PHONY: local-deploy
local-deploy: $(VENV_STAMP) $(CHECKOV_STAMP) local-up ## Deploy to the local AWS and leave it running (full output: reports/deploy-local.log)
	scripts/deploy.sh --local --auto-approve --quiet

.PHONY: local-process
local-process: $(VENV_STAMP) ## Run the handler on the local uploads queue, as Lambda would (WATCH=1 keeps going)
	@source scripts/lib/common.sh && use_local_aws && terraform_target_args local && \
	  $(BIN)/python scripts/local/local_lambda.py $(if $(WATCH),--watch,--once) \
	    --function "$$(terraform_output lambda_function_name)"

.PHONY: clean
clean: ## Stop the local AWS servers started here, remove build output, caches, state and virtualenvs
	@for pid_file in $$(find .local-aws -name moto.pid 2>/dev/null); do \
	  LOCAL_AWS_DIR="$$(dirname "$$pid_file")" scripts/local_aws.sh stop; done
	rm -rf $(VENV) $(CHECKOV_VENV) $(PROWLER_VENV) dist reports demo-output .local-aws .terraform-scan .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
