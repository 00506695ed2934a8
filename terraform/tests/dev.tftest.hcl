# dev with environments/dev.yaml as committed: cheap, no endpoint, GitHub approval target.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  # the apply-time helper (modules/approval/set_github_token.py) must not reach AWS
  python                   = "true"
  environment              = "dev"
  pipeline_definition_file = "tests/fixtures/dev/pipeline-definition.json"
  batch_definition_file    = "tests/fixtures/dev/batch-definition.json"
  deployments_file         = "tests/fixtures/none.json"
}

# One apply, many assertions: each run re-plans the whole root, and `make test` has a time budget.
run "dev" {
  command = apply

  # --- dev names and values come from dev yaml ---
  assert {
    condition     = output.bucket == "sagemaker-gitops-dev-artifacts-000000000000"
    error_message = "bucket must be resources.artifact_bucket of dev.yaml"
  }
  assert {
    condition     = alltrue([for name in [output.pipeline_name, output.model_package_group, output.endpoint_name, module.iam.execution_role_name, module.iam.deploy_role_name] : strcontains(name, "dev")])
    error_message = "every per-environment name must contain the environment"
  }
  assert {
    condition     = output.schedule_expression == "cron(0 6 * * ? *)"
    error_message = "dev's schedule must be pipeline.schedule of dev.yaml"
  }
  assert {
    condition     = module.pipeline.tags["AccuracyThreshold"] == "0.9"
    error_message = "dev's gate must be pipeline.accuracy_threshold (0.90)"
  }
  assert {
    condition     = module.triggers.schedule_parameters == { InputDataUri = "s3://sagemaker-gitops-dev-artifacts-000000000000/dev/raw/" }
    error_message = "the schedule must pass InputDataUri = pipeline.input_data_uri"
  }
  assert {
    condition     = module.pipeline.role_arn == module.iam.execution_role_arn
    error_message = "the pipeline must run as the execution role"
  }

  # --- dev has no endpoint and no alarms ---
  assert {
    condition     = length(module.endpoint) == 0 && output.alarm_names == [] && output.endpoint_managed == false
    error_message = "dev has endpoint.enabled false: no endpoint, no alarms"
  }

  # --- dev storage layout ---
  assert {
    condition     = module.storage.no_champion_key == "dev/champion/current/NO_CHAMPION"
    error_message = "the NO_CHAMPION marker must be <prefix>/champion/current/NO_CHAMPION"
  }
  assert {
    condition = module.storage.lifecycle_rules == {
      "dev/raw/"       = 365
      "dev/processed/" = 30
      "dev/models/"    = 90
      "dev/cache/"     = 7
    }
    error_message = "lifecycle rules must expire raw/processed/models/cache after storage.lifecycle_days"
  }
  assert {
    condition     = module.storage.force_destroy == true
    error_message = "dev.yaml sets storage.force_destroy: true"
  }

  # --- dev approval dispatches to github ---
  assert {
    condition     = module.approval.target.kind == "github" && module.approval.lambda_function_name == null
    error_message = "approval.deploy_target github: an API destination target, no Lambda"
  }
  assert {
    condition     = module.approval.target.invocation_endpoint == "https://api.github.com/repos/your-org/sagemaker-gitops/dispatches"
    error_message = "the API destination must call repository_dispatch of github_repository"
  }
  assert {
    condition     = jsondecode(replace(module.approval.input_template, "<model_package_arn>", "\"arn\"")) == { event_type = "model-approved", client_payload = { model_package_arn = "arn", environment = "dev" } }
    error_message = "payload must be {event_type: model-approved, client_payload: {model_package_arn, environment}}"
  }
  assert {
    condition     = module.approval.target.dead_letter_arn == module.approval.target.dlq_arn && module.approval.target.max_retry_attempts > 0
    error_message = "the GitHub target needs a dead-letter queue and a retry policy"
  }
  assert {
    condition     = module.approval.target.token_secret_id == "sagemaker-gitops/dev/github-dispatch-token"
    error_message = "the token must come from Secrets Manager (default secret name <project>/<env>/github-dispatch-token)"
  }

  # --- alerts ---
  assert {
    condition     = jsondecode(module.alerts.rule_patterns["pipeline-failed"]).detail.pipelineArn == [output.pipeline_arn] && contains(jsondecode(module.alerts.rule_patterns["pipeline-failed"]).detail.currentPipelineExecutionStatus, "Failed")
    error_message = "failed runs of this pipeline must reach the alerts topic"
  }
  assert {
    condition     = jsondecode(module.alerts.rule_patterns["gate-rejected"]).detail.stepName == ["RejectModel"]
    error_message = "a model rejected by the quality gate (RejectModel step) must reach the alerts topic"
  }
  assert {
    condition     = module.alerts.encryption.topic == output.kms_key_arn
    error_message = "the alerts topic must be encrypted with the environment key"
  }

  # --- dev promotes from nothing: no access to another environment ---
  assert {
    condition = alltrue(flatten([
      for name, document in output.iam_policy_documents : [
        for statement in jsondecode(document).Statement : !strcontains(try(statement.Sid, ""), "Promoted")
      ]
    ]))
    error_message = "dev has approval.promote_from: \"\": no policy may grant another environment's registry or models"
  }
  assert {
    condition = alltrue([
      for env in ["staging", "prod"] : !strcontains(jsonencode(output.iam_policy_documents), yamldecode(file("../environments/${env}.yaml")).resources.artifact_bucket)
    ])
    error_message = "dev's policies must not name staging's or prod's bucket"
  }
}
