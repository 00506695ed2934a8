# Terraform: the AWS side of dev, staging and prod (terraform/, environments/<env>.{yaml,tfvars,
# backend.hcl}). See docs/infrastructure.md.
#   make plan|apply|destroy ENV=<dev|staging|prod>  preflight (terraform, AWS credentials, the
#                                                   generated definition), init with the env's backend
#   make tf-test                                    offline: fmt, init, validate, terraform test, checkov
#   make tf-lint                                    fmt, checkov, tflint (skipped with a notice if absent)
#   make test-integration                           apply + destroy of dev, and a fresh fork's first
#                                                   deploy, against a local moto server

TF_DIR := terraform
TF_BOOTSTRAP_DIR := terraform/bootstrap
# Offline provider mirror when there is one (this machine, air-gapped CI); else the registry.
TF_PLUGIN_DIR ?= $(if $(wildcard /opt/tf-plugins/registry.terraform.io),/opt/tf-plugins,)
TF_INIT_OFFLINE = -input=false -backend=false $(if $(TF_PLUGIN_DIR),-plugin-dir=$(TF_PLUGIN_DIR))
# Tests keep their own .terraform (no backend) under build/, so they never disturb the backend
# that `make plan|apply` initialised in terraform/.terraform.
TF_TEST_DATA := $(CURDIR)/build/terraform
TF_VAR_FILE := ../environments/$(ENV).tfvars
TF_BACKEND := ../environments/$(ENV).backend.hcl
CHECKOV := $(VENV)/bin/checkov
CHECKOV_ARGS := --framework terraform --quiet --compact --skip-download
# A TF_CLI_CONFIG_FILE that points at a missing file only produces a warning on every call:
# use an empty configuration instead.
ifneq ($(TF_CLI_CONFIG_FILE),)
ifeq ($(wildcard $(TF_CLI_CONFIG_FILE)),)
export TF_CLI_CONFIG_FILE := /dev/null
endif
endif
AUTO_APPROVE ?= $(if $(TF_IN_AUTOMATION),1,)
# The apply's one helper (modules/approval/set_github_token.py) runs with this venv's boto3.
export TF_VAR_python := $(CURDIR)/$(PY)
# approval.deploy_target: lambda needs build/lambda/deploy.zip before plan/apply (mk/deploy.mk).
TF_DEPLOY_TARGET = $(shell sed -n 's/^ *deploy_target: *\([a-z]*\).*/\1/p' environments/$(ENV).yaml 2>/dev/null)
TF_LAMBDA_ZIP = $(if $(filter lambda,$(TF_DEPLOY_TARGET)),lambda-zip)

.PHONY: plan apply destroy foundation tf-preflight tf-init tf-test tf-lint tf-fmt-check tf-validate \
	tf-unit checkov tflint test-integration tf-outputs

tf-preflight: env-check $(STAMP) ## Check terraform, AWS credentials and the definition for ENV (plan, apply, destroy run it)
	@$(PY) $(TF_DIR)/scripts/preflight.py --env $(ENV) $(PREFLIGHT_ARGS)

tf-init: tf-preflight $(TF_LAMBDA_ZIP) ## terraform init of terraform/ with ENV's backend (environments/<env>.backend.hcl)
	terraform -chdir=$(TF_DIR) init -input=false -reconfigure -backend-config=$(TF_BACKEND) \
	  $(if $(TF_PLUGIN_DIR),-plugin-dir=$(TF_PLUGIN_DIR))

# A plan writes nothing, so it takes no state lock (-lock=false): the read-only plan role of pull
# requests may not write the lock file (terraform/bootstrap/policies.tf).
# TARGET="module.storage module.ecr": a targeted plan (the first deploy's foundation step), which
# needs no pipeline definition.
plan: PREFLIGHT_ARGS = $(if $(TARGET),--skip-definition)
plan: tf-init ## Terraform plan of ENV=dev|staging|prod (checks terraform, credentials, definition) [PLAN_FILE=path TARGET=module...]
	terraform -chdir=$(TF_DIR) plan -input=false -lock=false -var-file=$(TF_VAR_FILE) \
	  $(if $(TARGET),$$(printf -- '-target=%s ' $$TARGET)) $(if $(PLAN_FILE),-out="$$(realpath -m -- "$$PLAN_FILE")")

apply: tf-init ## Terraform apply of ENV=dev|staging|prod [AUTO_APPROVE=1; PLAN_FILE= applies a saved plan]
ifneq ($(PLAN_FILE),)
	terraform -chdir=$(TF_DIR) apply -input=false "$$(realpath -m -- "$$PLAN_FILE")"
else
	terraform -chdir=$(TF_DIR) apply -input=false -var-file=$(TF_VAR_FILE) $(if $(AUTO_APPROVE),-auto-approve)
endif

destroy: PREFLIGHT_ARGS = --skip-definition
destroy: tf-init ## Terraform destroy of ENV=dev|staging|prod (prod keeps its data: no force_destroy) [AUTO_APPROVE=1]
	@if [ "$(ENV)" = "prod" ] && [ "$$CONFIRM" != "destroy-prod" ]; then \
	  echo "Refusing to destroy prod without CONFIRM=destroy-prod (its buckets are kept anyway: storage.force_destroy is false)." >&2; exit 2; fi
	terraform -chdir=$(TF_DIR) destroy -input=false -var-file=$(TF_VAR_FILE) $(if $(AUTO_APPROVE),-auto-approve)

foundation: env-check $(STAMP) ## First deploy: create ENV's key, bucket and ECR repositories if missing (targeted apply) [AUTO_APPROVE=1]
	$(PY) -m release --env $(ENV) --only foundation $(if $(AUTO_APPROVE),--auto-approve "$$AUTO_APPROVE")

tf-outputs: tf-init ## Print the outputs of ENV=dev|staging|prod as JSON (bucket, roles, pipeline, alarms, ...)
	@terraform -chdir=$(TF_DIR) output -json

tf-fmt-check: ## terraform fmt -check of terraform/
	@command -v terraform >/dev/null || { echo "terraform not found: install Terraform >= 1.10 (https://developer.hashicorp.com/terraform/install)." >&2; exit 1; }
	terraform fmt -check -recursive $(TF_DIR)

tf-validate: tf-fmt-check ## Offline terraform init and validate of the root and bootstrap/
	@mkdir -p $(TF_TEST_DATA)
	TF_DATA_DIR=$(TF_TEST_DATA)/root terraform -chdir=$(TF_DIR) init $(TF_INIT_OFFLINE) >/dev/null
	TF_DATA_DIR=$(TF_TEST_DATA)/root terraform -chdir=$(TF_DIR) validate
	TF_DATA_DIR=$(TF_TEST_DATA)/bootstrap terraform -chdir=$(TF_BOOTSTRAP_DIR) init $(TF_INIT_OFFLINE) >/dev/null
	TF_DATA_DIR=$(TF_TEST_DATA)/bootstrap terraform -chdir=$(TF_BOOTSTRAP_DIR) validate

tf-unit: tf-validate ## Only `terraform test` (mock AWS provider) of the root per environment and of bootstrap/
	TF_DATA_DIR=$(TF_TEST_DATA)/root terraform -chdir=$(TF_DIR) test
	TF_DATA_DIR=$(TF_TEST_DATA)/bootstrap terraform -chdir=$(TF_BOOTSTRAP_DIR) test

checkov: $(STAMP) ## checkov on terraform/ (every skip is inline with its reason)
	$(CHECKOV) -d $(TF_DIR) $(CHECKOV_ARGS)

tflint: ## tflint with .tflint.hcl (AWS ruleset); skipped with a notice when tflint is not installed
	@if command -v tflint >/dev/null; then \
	  tflint --init --config=$(CURDIR)/.tflint.hcl && \
	  tflint --config=$(CURDIR)/.tflint.hcl --chdir=$(TF_DIR) --recursive; \
	else echo "tflint not installed: skipped here (GitHub Actions runs it; install: https://github.com/terraform-linters/tflint)."; fi

tf-test: tf-unit checkov ## Offline Terraform checks: fmt, init, validate, terraform test (dev/staging/prod, bootstrap), checkov

tf-lint: tf-fmt-check checkov tflint ## Terraform linters: fmt -check, checkov, tflint (if installed)

test-integration: $(STAMP) ## Against a local moto server: apply+destroy of dev; a fresh fork's first deploy (no AWS account needed)
	$(PY) -m pytest -m integration tests/terraform tests/release

# While pytest runs (make test): its own data dir (build/terraform), terraform/ only read.
TEST_ALONGSIDE += tf-test
LINT_TARGETS += tf-lint
