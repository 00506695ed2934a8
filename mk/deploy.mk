# After approval: deploy/ rolls an approved model package out to the environment's SageMaker
# endpoint (blue/green canary, smoke test, auto-rollback), rolls back, and reports pipeline runs.
# ENV=local dispatches status, logs, rollback and smoke-test to the local runner. See docs/deploy.md.

DEPLOY_CLI := $(PY) -m deploy
MODEL_PACKAGE_ARN ?= latest
STEP ?=
ROLLOUT_FLAGS = $(if $(filter 1 true yes,$(NO_WAIT)),--no-wait) \
	$(if $(filter 1 true yes,$(NO_SMOKE_TEST)),--no-smoke-test) \
	$(if $(TEST_DATA),--test-data "$$TEST_DATA") $(if $(TIMEOUT),--timeout "$$TIMEOUT")

.PHONY: rollout rollback prune status logs smoke-test lambda-zip deploy-test

rollout: env-check $(STAMP) ## Deploy MODEL_PACKAGE_ARN (default: latest Approved) blue/green + smoke test [NO_WAIT=1 NO_SMOKE_TEST=1 TEST_DATA= TIMEOUT=]
ifeq ($(ENV),local)
	@echo "ENV=local has no SageMaker endpoint: \`make approve ENV=local VERSION=<n>\` makes a version the champion and \`make serve ENV=local\` serves it (or \`make deploy ENV=local\` for the whole life cycle)." >&2; exit 2
else
	$(DEPLOY_CLI) rollout --env $(ENV) --model-package-arn "$$MODEL_PACKAGE_ARN" $(strip $(ROLLOUT_FLAGS))
endif

rollback: env-check $(STAMP) ## Roll out the previous Approved package served here (canary, smoke test) [MODEL_PACKAGE_ARN=<older arn> NO_WAIT=1 NO_SMOKE_TEST=1]
ifeq ($(ENV),local)
	$(PY) -m local_runner rollback
else
	$(DEPLOY_CLI) rollback --env $(ENV) $(if $(filter-out latest,$(MODEL_PACKAGE_ARN)),--model-package-arn "$$MODEL_PACKAGE_ARN") $(strip $(ROLLOUT_FLAGS))
endif

prune: env-check $(STAMP) ## Delete leftover and old <endpoint>-v* models and endpoint configs [KEEP=<n>]
	$(DEPLOY_CLI) prune --env $(ENV) $(if $(KEEP),--keep "$$KEEP")

status: env-check $(STAMP) ## Latest pipeline runs step by step (failing step, reason, logs command) and what serves where
ifeq ($(ENV),local)
	$(PY) -m local_runner status
else
	$(DEPLOY_CLI) status --env $(ENV)
endif

logs: env-check $(STAMP) ## Print a pipeline step's logs, latest run: make logs ENV=<env> STEP=<Preprocess|Train|Evaluate>
	@test -n "$$STEP" || { echo "Name the step: make logs ENV=$(ENV) STEP=<name> (make status ENV=$(ENV) lists them)." >&2; exit 2; }
ifeq ($(ENV),local)
	$(PY) -m local_runner logs --step "$$STEP"
else
	$(DEPLOY_CLI) logs --env $(ENV) --step "$$STEP"
endif

smoke-test: env-check $(STAMP) ## Invoke the endpoint with rows of the test split; check answers and latency [TEST_DATA=]
ifeq ($(ENV),local)
	$(PY) -m local_runner smoke-test $(if $(PORT),--port "$$PORT")
else
	$(DEPLOY_CLI) smoke-test --env $(ENV) $(if $(TEST_DATA),--test-data "$$TEST_DATA")
endif

lambda-zip: $(STAMP) ## Build build/lambda/deploy.zip (deploy/ for the approval Lambda; deterministic)
	$(PY) -m release.lambda_zip

deploy-test: $(STAMP) ## Only deploy/'s tests (make test runs them too)
	$(PY) -m pytest tests/deploy
