# The access proof (issue 11): every AWS request the template makes, recorded from Terraform and
# the code against moto, evaluated by @cloud-copilot/iam-simulate against the policies Terraform
# renders. Renders and recordings are cached under build/proof/ (keyed by what they depend on).
# See docs/infrastructure.md ("Access proof").

.PHONY: proof proof-docs proof-test benchmark-proof

# dev's definition, regenerated only when what it is built from changed (make definition takes
# longer than the proof itself).
PROOF_DEFINITION := build/dev/pipeline-definition.json
PROOF_DEFINITION_SOURCES := $(shell find build_pipeline code_bundle env_config training_code -type f -not -path '*/__pycache__/*' 2>/dev/null) environments/dev.yaml

$(PROOF_DEFINITION): $(PROOF_DEFINITION_SOURCES) | $(STAMP)
	@$(MAKE) --no-print-directory definition ENV=dev >/dev/null

proof: $(STAMP) $(PROOF_DEFINITION) ## Access proof: every recorded AWS request allowed, every must-deny case denied, by AWS's IAM rules
	$(PY) -m proof

proof-docs: $(STAMP) $(PROOF_DEFINITION) ## Rewrite the principals table of docs/infrastructure.md from the proof's decisions
	$(PY) -m proof --write-docs

proof-test: $(STAMP) ## Only the access proof's tests (mutations: each known policy bug must fail the proof)
	$(PY) -m pytest tests/proof

TEST_TARGETS += proof

benchmark-proof: $(STAMP) $(PROOF_DEFINITION) ## Time the access proof with its renders cached [WRITE=1 records it in docs/benchmarks.md]
	$(PY) -m benchmarks proof $(if $(WRITE),--write)
