# The fork experience: `make init` makes a fork yours (fork/init.py); `make dag` and
# `make docs-images` draw the pipeline and the architecture (pipeline_graph/). See CONTRIBUTING.md
# and docs/architecture.md. Their tests (tests/fork, tests/docs) run in `make test` via pytest.

# Only the values that were given are passed on; the others are asked for (or refused without a
# terminal, with the command to run).
# Values reach the shell as "$$NAME" (exported variables), never as text in the recipe.
INIT_ARGS = $(strip $(if $(PROJECT),--project "$$PROJECT") $(if $(AWS_REGION),--region "$$AWS_REGION") \
	$(if $(AWS_ACCOUNT_ID),--account-id "$$AWS_ACCOUNT_ID") $(if $(GITHUB_REPO),--github-repo "$$GITHUB_REPO") \
	$(if $(filter 1 true yes,$(FORCE)),--force))
DAG_STATUS_ARGS = $(if $(STATUS),$(if $(filter 1 true yes,$(STATUS)),--local-run,--statuses "$$STATUS"))

.PHONY: init dag docs-images fork-test docs-test

init: $(STAMP) ## Make a fork yours: rename project, account, region, GitHub repo everywhere [PROJECT= AWS_REGION= AWS_ACCOUNT_ID= GITHUB_REPO=; asks if missing]
	@$(PY) -m fork init $(INIT_ARGS)

dag: definition ## Draw ENV's pipeline: Mermaid on stdout, build/<env>/pipeline-dag.{mmd,svg} [STATUS=1: colour by the latest local run; STATUS=<json>]
	@$(PY) -m pipeline_graph $(DEFINITION) --print --mermaid $(BUILD)/pipeline-dag.mmd --svg $(BUILD)/pipeline-dag.svg $(DAG_STATUS_ARGS)

docs-images: $(STAMP) ## Redraw docs/images/*.svg: the architecture and dev's pipeline DAG (deterministic)
	$(MAKE) definition ENV=dev
	$(PY) -m pipeline_graph.docs_images --definition build/dev/pipeline-definition.json --out docs/images

fork-test: $(STAMP) ## Only the fork tests: init on a fresh clone, no placeholder left, the copy's tests pass
	$(PY) -m pytest tests/fork

docs-test: $(STAMP) ## Only the doc tests: commands and make targets in the docs exist, links resolve, images are current
	$(PY) -m pytest tests/docs
