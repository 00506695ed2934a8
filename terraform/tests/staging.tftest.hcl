# staging as committed: endpoint enabled but no approved package yet -> alarms, no endpoint.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  # the apply-time helper (modules/approval/set_github_token.py) must not reach AWS
  python                   = "true"
  environment              = "staging"
  pipeline_definition_file = "tests/fixtures/staging/pipeline-definition.json"
  batch_definition_file    = "tests/fixtures/staging/batch-definition.json"
  deployments_file         = "tests/fixtures/none.json"
}

# One apply, many assertions: each run re-plans the whole root, and `make test` has a time budget.
run "staging" {
  command = apply

  # --- staging values come from staging yaml ---
  assert {
    condition     = output.bucket == "sagemaker-gitops-staging-artifacts-000000000000" && output.pipeline_name == "sagemaker-gitops-staging"
    error_message = "staging names must come from staging.yaml"
  }
  assert {
    condition     = output.schedule_expression == "cron(0 4 ? * MON *)" && module.pipeline.tags["AccuracyThreshold"] == "0.92"
    error_message = "staging's schedule and gate must be its own (weekly, 0.92)"
  }
  assert {
    condition     = module.storage.lifecycle_rules["staging/processed/"] == 60 && module.storage.lifecycle_rules["staging/cache/"] == 14
    error_message = "staging lifecycle days must come from storage.lifecycle_days"
  }

  # --- staging without approved package has alarms but no endpoint ---
  assert {
    condition     = output.endpoint_managed == false && module.endpoint[0].facts == null
    error_message = "no deployments/staging.json: Terraform must not create an endpoint"
  }
  assert {
    condition     = output.alarm_names == ["sagemaker-gitops-staging-5xx", "sagemaker-gitops-staging-latency"]
    error_message = "the rollback alarms must exist (deploy/ needs them for its first rollout) with deploy/'s names"
  }
}
