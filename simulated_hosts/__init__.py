"""Run a step script on N simulated SageMaker hosts on this machine (tests and benchmarks).

Each host is a process with its own /opt/ml tree (SM_OPT_ML), its own resourceconfig.json and
SM_HOSTS/SM_CURRENT_HOST, and the inputs SageMaker would give it: every object of a
FullyReplicated input, its share of a ShardedByS3Key one. The hosts run at once and reach each
other on loopback. Outputs are "uploaded" to a folder standing in for S3, and a key that two hosts
upload is recorded, because on S3 the second upload silently replaces the first.

It exists to prove training_code's multi-host contract independently of the local runner, and to
measure it; `make run ENV=local` runs the pipeline's own definition.
"""

from simulated_hosts.harness import HostResult, Input, JobResult, free_port, run_job

__all__ = ["HostResult", "Input", "JobResult", "free_port", "run_job"]
