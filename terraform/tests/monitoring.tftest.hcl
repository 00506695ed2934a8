# Batch scoring and drift monitoring. prod as committed with a recorded deployment: the endpoint
# captures data, so Model Monitor watches it hourly, a drift alarm starts the training pipeline on
# the latest data and alerts; staging without a deployment has no endpoint, so no monitor (Model
# Monitor refuses an endpoint that does not exist) but its batch pipeline and triggers.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  # the apply-time helper (modules/approval/set_github_token.py) must not reach AWS
  python                   = "true"
  environment              = "prod"
  pipeline_definition_file = "tests/fixtures/prod/pipeline-definition.json"
  batch_definition_file    = "tests/fixtures/prod/batch-definition.json"
  deployments_file         = "tests/fixtures/prod/deployment.json"
}

run "prod_monitoring_and_batch" {
  command = apply

  # --- the schedule: hourly Model Monitor of the prod endpoint against the champion's baseline ---
  assert {
    condition     = module.monitoring.schedule.name == "sagemaker-gitops-prod-data-quality" && module.monitoring.schedule.expression == "cron(0 * ? * * *)" && module.monitoring.schedule.type == "DataQuality" && module.monitoring.schedule.endpoint == "sagemaker-gitops-prod"
    error_message = "prod's endpoint must be monitored hourly (monitoring.schedule) for data quality"
  }
  assert {
    condition     = module.monitoring.schedule.baseline_statistics == "s3://sagemaker-gitops-prod-artifacts-000000000000/prod/champion/current/baseline/statistics.json" && module.monitoring.schedule.baseline_constraints == "s3://sagemaker-gitops-prod-artifacts-000000000000/prod/champion/current/baseline/constraints.json"
    error_message = "the monitor must compare with the champion's baseline, where deploy/ copies it"
  }
  assert {
    condition     = module.monitoring.schedule.network_isolation && module.monitoring.schedule.volume_kms_key == module.storage.kms_key_arn && module.monitoring.schedule.output_kms_key == module.storage.kms_key_arn
    error_message = "monitoring jobs must be network-isolated and encrypt volume and reports with the environment's key"
  }

  # --- the alarm: one per feature on Model Monitor's metric, one composite over them ---
  assert {
    condition     = length(module.monitoring.feature_alarms) == length(jsondecode(file("../training_code/schema.json")).features) && module.monitoring.feature_alarms["sagemaker-gitops-prod-drift-mean_radius"] == "feature_baseline_drift__c0" && module.monitoring.feature_alarms["sagemaker-gitops-prod-drift-worst_fractal_dimension"] == "feature_baseline_drift__c29"
    error_message = "every schema feature needs a drift alarm on feature_baseline_drift_<column> (_c<i> in captured CSV)"
  }
  assert {
    condition     = output.drift_alarm_name == "sagemaker-gitops-prod-data-drift" && strcontains(module.monitoring.drift_alarm.rule, "ALARM(\"sagemaker-gitops-prod-drift-mean_radius\") OR ")
    error_message = "the composite drift alarm must fire when any feature alarm does"
  }

  # --- the rule: the composite alarm's ALARM state, nothing else ---
  assert {
    condition = jsondecode(module.monitoring.drift_rule_pattern) == {
      source        = ["aws.cloudwatch"]
      "detail-type" = ["CloudWatch Alarm State Change"]
      resources     = [module.monitoring.drift_alarm.arn]
      detail        = { state = { value = ["ALARM"] } }
    }
    error_message = "the drift rule must match only the drift alarm going to ALARM"
  }

  # --- the retrain target: the training pipeline on the latest data, and the alert ---
  assert {
    condition     = module.monitoring.drift_targets["retrain"].arn == module.pipeline.arn && module.monitoring.drift_targets["retrain"].role_arn == module.iam.events_role_arn && module.monitoring.drift_targets["retrain"].parameters == { InputDataUri = "s3://sagemaker-gitops-prod-artifacts-000000000000/prod/raw/" }
    error_message = "a drift alarm must start the training pipeline on pipeline.input_data_uri, as the events role"
  }
  assert {
    condition     = module.monitoring.drift_targets["alerts-topic"].arn == module.alerts.topic_arn
    error_message = "a drift alarm must alert the SNS topic"
  }

  # --- least privilege of the new roles ---
  assert {
    condition = alltrue([
      for name in ["monitor", "batch_scheduler", "batch_events"] :
      alltrue([for statement in jsondecode(output.iam_policy_documents[name]).Statement : statement.Resource != "*" || contains(["EcrLogin", "SageMakerMetrics"], statement.Sid)])
    ])
    error_message = "the monitoring and batch roles may use Resource \"*\" only for GetAuthorizationToken and namespace-bound PutMetricData"
  }
  assert {
    condition     = jsondecode(output.iam_policy_documents.monitor).Statement[index(jsondecode(output.iam_policy_documents.monitor).Statement[*].Sid, "SageMakerMetrics")].Condition.StringEquals["cloudwatch:namespace"] == "aws/sagemaker/Endpoints/data-metrics"
    error_message = "the monitor may publish metrics to Model Monitor's namespace only"
  }
  assert {
    condition     = jsondecode(output.iam_policy_documents.monitor).Statement[index(jsondecode(output.iam_policy_documents.monitor).Statement[*].Sid, "ReadCaptureAndBaseline")].Resource == ["arn:aws:s3:::mock-bucket/prod/datacapture/sagemaker-gitops-prod/*", "arn:aws:s3:::mock-bucket/prod/champion/current/baseline/*"]
    error_message = "the monitor reads only the endpoint's captures and the champion's baseline"
  }
  assert {
    condition     = jsondecode(output.iam_policy_documents.batch_scheduler).Statement[0].Resource == module.batch.pipeline_arn && jsondecode(output.iam_policy_documents.batch_events).Statement == [jsondecode(output.iam_policy_documents.batch_scheduler).Statement[0]]
    error_message = "the batch triggers may start the batch pipeline and nothing else"
  }

  # --- batch scoring: its pipeline, schedule and new-data trigger ---
  assert {
    condition     = output.batch_pipeline_name == "sagemaker-gitops-prod-batch" && output.batch_schedule_expression == "cron(0 5 * * ? *)"
    error_message = "prod's batch pipeline must run on batch.schedule"
  }
  assert {
    condition     = module.batch.schedule_parameters == { InputDataUri = "s3://sagemaker-gitops-prod-artifacts-000000000000/prod/batch/input/" }
    error_message = "scheduled batch runs must score <prefix>/batch/input/"
  }
  assert {
    condition     = jsondecode(module.batch.new_data_pattern).detail.object.key == [{ prefix = "prod/batch/input/" }]
    error_message = "a file landing in <prefix>/batch/input/ must start the batch pipeline"
  }
}

run "staging_without_endpoint_has_batch_but_no_monitor" {
  command = apply
  variables {
    environment              = "staging"
    pipeline_definition_file = "tests/fixtures/staging/pipeline-definition.json"
    batch_definition_file    = "tests/fixtures/staging/batch-definition.json"
    deployments_file         = "tests/fixtures/none.json"
  }

  assert {
    condition     = output.monitoring_schedule_name == null && output.drift_alarm_name == null && module.monitoring.feature_alarms == {} && module.monitoring.drift_targets == {}
    error_message = "no endpoint yet: no monitoring schedule, alarms or retrain rule"
  }
  assert {
    condition     = output.batch_pipeline_name == "sagemaker-gitops-staging-batch" && output.batch_schedule_expression == "cron(0 5 * * ? *)"
    error_message = "staging scores batches without an endpoint"
  }
}
