# Supply-chain audits: zizmor (GitHub Actions security, offline audits) and pip-audit (known
# vulnerabilities in the hashed locks). Both run in `make lint` and pre-commit. See docs/cicd.md.

ZIZMOR := $(VENV)/bin/zizmor

.PHONY: zizmor pip-audit

zizmor: $(STAMP) ## GitHub Actions security audit of .github/workflows (zizmor --offline; findings fail, skips are inline with a reason)
	$(ZIZMOR) --offline --no-progress --min-severity low .github/workflows

pip-audit: $(STAMP) ## Known vulnerabilities in requirements/dev.lock and the image locks [STRICT=1: unreachable advisories fail]
	$(PY) -m ci dependency-audit $(if $(filter 1 true yes,$(STRICT)),--strict)

LINT_TARGETS += zizmor pip-audit
