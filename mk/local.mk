# ENV=local: run the generated pipeline definition on this machine (no AWS, no Docker), keep a local
# model registry and serve the champion on 127.0.0.1:PORT. See docs/local.md.
# `make deploy ENV=local` (mk/cicd.mk) calls local-deploy; `make status|logs|rollback|smoke-test
# ENV=local` (mk/deploy.mk) call `python -m local_runner status|logs|rollback|smoke-test`.

PORT ?=
LOCAL_RUNNER := $(PY) -m local_runner
LOCAL_PORT_ARG = $(if $(PORT),--port "$$PORT")
LOCAL_PARAMS_ARG = $(if $(PARAMS),--params "$$PARAMS")
LOCAL_TARGETS := run models approve reject serve undeploy local-deploy repair

.PHONY: local-only run models approve reject serve undeploy repair local-deploy local-test \
	 benchmark-local benchmark-sharded

local-only: env-check ## Refuse a local-runner target unless ENV=local, naming the AWS equivalent
	@if [ "$(ENV)" != "local" ]; then \
	  echo "'make $(filter $(LOCAL_TARGETS),$(MAKECMDGOALS))' is for ENV=local. On AWS the pipeline runs in SageMaker (make deploy ENV=$(ENV) START_PIPELINE=1) and people approve model packages in the SageMaker model registry (aws sagemaker update-model-package --model-package-arn <arn> --model-approval-status Approved)." >&2; \
	  exit 2; fi

run: local-only $(STAMP) ## ENV=local: run the pipeline here (definition if stale, sample data, cache) [PARAMS="AccuracyThreshold=0.95 MaxIter=50"] [DEFINITION_FILE=any.json] [MAX_PARALLEL=n]
	$(LOCAL_RUNNER) run $(LOCAL_PARAMS_ARG) $(if $(DEFINITION_FILE),--definition "$$DEFINITION_FILE") $(if $(MAX_PARALLEL),--max-parallel "$$MAX_PARALLEL")

models: local-only $(STAMP) ## ENV=local: list model versions with status, metrics and lineage
	@$(LOCAL_RUNNER) models

LOCAL_GROUP_ARG = $(if $(GROUP),--group "$$GROUP")

approve: local-only $(STAMP) ## ENV=local: approve VERSION=n [GROUP=another definition's group] (it becomes the champion; a running endpoint switches to it)
	@test -n "$$VERSION" || { echo "Give the version: make approve ENV=local VERSION=<n> (see make models ENV=local)." >&2; exit 2; }
	$(LOCAL_RUNNER) approve "$$VERSION" $(LOCAL_GROUP_ARG)

reject: local-only $(STAMP) ## ENV=local: reject VERSION=n [GROUP=] (if it was the champion, the previous one is restored)
	@test -n "$$VERSION" || { echo "Give the version: make reject ENV=local VERSION=<n> (see make models ENV=local)." >&2; exit 2; }
	$(LOCAL_RUNNER) reject "$$VERSION" $(LOCAL_GROUP_ARG)

serve: local-only $(STAMP) ## ENV=local: serve the champion on 127.0.0.1:PORT (default endpoint.port), zero-downtime swap
	$(LOCAL_RUNNER) serve $(LOCAL_PORT_ARG) $(LOCAL_GROUP_ARG)

undeploy: local-only $(STAMP) ## ENV=local: stop the local endpoint
	$(LOCAL_RUNNER) undeploy

repair: local-only $(STAMP) ## ENV=local: set unreadable registry files aside (<group>/corrupt/) and rebuild champion.json
	$(LOCAL_RUNNER) repair

local-deploy: local-only $(STAMP) ## ENV=local life cycle: data, definition, run, approval, serve on 127.0.0.1:PORT, smoke test
	$(LOCAL_RUNNER) deploy $(LOCAL_PORT_ARG) $(LOCAL_PARAMS_ARG)

local-test: $(STAMP) ## Only the local runner's tests (make test runs them too)
	$(PY) -m pytest tests/local_runner

benchmark-local: $(STAMP) ## Measure the local runner (overhead, cached rerun, endpoint) [WRITE=1 records it in docs/benchmarks.md]
	$(PY) -m benchmarks local $(if $(WRITE),--write)

benchmark-sharded: $(STAMP) ## Measure a 4-host ShardedByS3Key processing step on 1M rows vs 1 host [WRITE=1 records it in docs/benchmarks.md]
	$(PY) -m benchmarks sharded $(if $(WRITE),--write)
