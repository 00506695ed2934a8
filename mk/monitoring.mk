# Batch scoring and data-quality monitoring on this machine (ENV=local). On AWS the batch pipeline
# and the Model Monitor schedule run by themselves (terraform/modules/batch, monitoring); see
# docs/monitoring.md.

.PHONY: batch monitor

batch: local-only $(STAMP) ## ENV=local: score INPUT=<csv file or folder> with the champion (default all of batch/input/) [DATE=YYYY-MM-DD]
	$(PY) -m local_runner.batch $(if $(INPUT),--input "$$INPUT") $(if $(DATE),--date "$$DATE")

monitor: local-only $(STAMP) ## ENV=local: captured requests vs the champion's baseline, per-feature drift and verdict [RETRAIN=1]
	$(PY) -m local_runner.monitor $(if $(RETRAIN),--retrain)
