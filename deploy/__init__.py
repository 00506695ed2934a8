"""From an approved model package to a live SageMaker endpoint, safely; pipeline status and logs.

Used three ways: `python -m deploy ...` (people, `make rollout|rollback|status|logs|smoke-test`),
the deploy workflow (validate-event, rollout, smoke-test, record), and the seed's Lambda
(`deploy.lambda_handler.handler`, an EventBridge approval event). Layout:

- settings.py      one Settings dataclass, built from env_config (CLI) or os.environ (Lambda)
- builders.py      pure request builders: dicts in, dicts out, no AWS (unit-tested as such)
- registry.py      resolve and validate a model package; which package an endpoint serves
- lock.py          one deploy per environment at a time (S3 conditional write with an expiry)
- rollout.py       rollout (stale guard), rollback (a rollout of the previous Approved package),
                   reconcile the cached state with the endpoint
- rollback_target.py which package a rollback goes back to (registry + what served here)
- state.py         state.json (a cache) and the champion copy tagged with its package ARN
- resources.py     the <endpoint>-v* models and configs deploy/ made: list, delete, prune
- event_schema.py  the approval event's JSON Schema and the Lambda's small validator
- smoke.py         invoke the endpoint with test-split rows; shape and latency checks
- status.py        pipeline executions, their steps, failing step's logs; what serves where
- record.py        deployments/<env>.json, the git-tracked record of what is deployed
- lambda_handler.py the EventBridge entry point
- errors.py        DeployError and its exit codes (EXIT_CODES, docs/deploy.md)

Importing this package imports nothing heavy: boto3 is loaded only when a command talks to AWS.
"""
