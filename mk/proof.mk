# The access proof (issue 11): every AWS request the template makes, recorded from Terraform and
# the code against moto, evaluated by @cloud-copilot/iam-simulate against the policies Terraform
# renders. Renders and recordings are cached under build/proof/ (keyed by what they depend on).
# See docs/infrastructure.md ("Access proof").

.PHONY: proof proof-docs proof-test benchmark-proof

proof: $(STAMP) ## Access proof: every recorded AWS request allowed, every must-deny case denied, by AWS's IAM rules
	@$(MAKE) --no-print-directory definition ENV=dev >/dev/null
	$(PY) -m proof

proof-docs: $(STAMP) ## Rewrite the principals table of docs/infrastructure.md from the proof's decisions
	@$(MAKE) --no-print-directory definition ENV=dev >/dev/null
	$(PY) -m proof --write-docs

proof-test: $(STAMP) ## Only the access proof's tests (mutations: each known policy bug must fail the proof)
	$(PY) -m pytest tests/proof

TEST_TARGETS += proof

benchmark-proof: $(STAMP) ## Time the access proof with its renders cached (figures of docs/benchmarks.md)
	@$(MAKE) --no-print-directory definition ENV=dev >/dev/null
	$(PY) -m benchmarks proof
