# The bad-input matrix (tests/bad_input/): one row per class of bad input across data, config,
# PARAMS, CLI, endpoint, registry and make init. `make test` runs it too (pytest's testpaths).

.PHONY: bad-input-test

bad-input-test: $(STAMP) ## Only the bad-input matrix: every bad input refused in one line, nothing changed
	$(PY) -m pytest tests/bad_input
