# Bad values are refused with a clear message. Root variables first, then each module's checks of
# the YAML values it receives (run with `module { source = ... }`), then the preconditions.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  environment              = "dev"
  pipeline_definition_file = "tests/fixtures/dev/pipeline-definition.json"
  deployments_file         = "tests/fixtures/none.json"
}

run "local_is_not_a_terraform_environment" {
  command = plan
  variables {
    environment = "local"
  }
  expect_failures = [var.environment]
}

run "unknown_environment_is_refused" {
  command = plan
  variables {
    environment = "qa"
  }
  expect_failures = [var.environment]
}

run "registry_reader_must_be_an_account_id" {
  command = plan
  variables {
    registry_read_account_ids = ["12345"]
  }
  expect_failures = [var.registry_read_account_ids]
}

run "token_secret_name_must_be_a_name" {
  command = plan
  variables {
    github_token_secret_name = "ghp token with spaces"
  }
  expect_failures = [var.github_token_secret_name]
}

run "alarm_latency_must_be_in_range" {
  command = plan
  variables {
    alarm_latency_ms = 0
  }
  expect_failures = [var.alarm_latency_ms]
}

# --- modules: the YAML values they check, and their preconditions -------------------------------

run "pipeline_missing_definition_says_run_make_definition" {
  command = plan
  module {
    source = "./modules/pipeline"
  }
  variables {
    name                = "sagemaker-gitops-dev"
    environment         = "dev"
    definition_file     = "tests/fixtures/does-not-exist.json"
    role_arn            = "arn:aws:iam::000000000000:role/sagemaker-gitops-dev-execution"
    execution_role_name = "sagemaker-gitops-dev-execution"
    accuracy_threshold  = 0.9
    instance_types      = { processing = "ml.m5.large", training = "ml.m5.large" }
  }
  expect_failures = [aws_sagemaker_pipeline.this]
}

run "pipeline_definition_of_another_environment_is_refused" {
  command = plan
  module {
    source = "./modules/pipeline"
  }
  variables {
    name                = "sagemaker-gitops-dev"
    environment         = "dev"
    definition_file     = "tests/fixtures/prod/pipeline-definition.json"
    role_arn            = "arn:aws:iam::000000000000:role/sagemaker-gitops-dev-execution"
    execution_role_name = "sagemaker-gitops-dev-execution"
    accuracy_threshold  = 0.9
    instance_types      = { processing = "ml.m5.large", training = "ml.m5.large" }
  }
  expect_failures = [aws_sagemaker_pipeline.this]
}

run "pipeline_threshold_and_instance_types_are_checked" {
  command = plan
  module {
    source = "./modules/pipeline"
  }
  variables {
    name                = "sagemaker-gitops-dev"
    environment         = "dev"
    definition_file     = "tests/fixtures/dev/pipeline-definition.json"
    role_arn            = "arn:aws:iam::000000000000:role/sagemaker-gitops-dev-execution"
    execution_role_name = "sagemaker-gitops-dev-execution"
    accuracy_threshold  = 1.5
    instance_types      = { processing = "m5.large", training = "ml.m5.large" }
  }
  expect_failures = [var.accuracy_threshold, var.instance_types]
}

run "triggers_reject_a_five_field_cron_and_a_bad_uri" {
  command = plan
  module {
    source = "./modules/triggers"
  }
  variables {
    name                = "sagemaker-gitops-dev"
    pipeline_arn        = "arn:aws:sagemaker:us-east-1:000000000000:pipeline/sagemaker-gitops-dev"
    schedule_expression = "0 6 * * *"
    input_data_uri      = "/data/raw"
    bucket              = "sagemaker-gitops-dev-artifacts-000000000000"
    raw_prefix          = "dev/raw/"
    scheduler_role_arn  = "arn:aws:iam::000000000000:role/s"
    events_role_arn     = "arn:aws:iam::000000000000:role/e"
    kms_key_arn         = "arn:aws:kms:us-east-1:000000000000:key/k"
  }
  expect_failures = [var.schedule_expression, var.input_data_uri]
}

run "triggers_without_schedule_create_none" {
  command = apply
  module {
    source = "./modules/triggers"
  }
  variables {
    name                = "sagemaker-gitops-dev"
    pipeline_arn        = "arn:aws:sagemaker:us-east-1:000000000000:pipeline/sagemaker-gitops-dev"
    schedule_expression = ""
    input_data_uri      = "s3://sagemaker-gitops-dev-artifacts-000000000000/dev/raw/"
    bucket              = "sagemaker-gitops-dev-artifacts-000000000000"
    raw_prefix          = "dev/raw/"
    scheduler_role_arn  = "arn:aws:iam::000000000000:role/s"
    events_role_arn     = "arn:aws:iam::000000000000:role/e"
    kms_key_arn         = "arn:aws:kms:us-east-1:000000000000:key/k"
  }
  assert {
    condition     = length(aws_scheduler_schedule.pipeline) == 0
    error_message = "pipeline.schedule \"\" means no schedule"
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.new_data.event_pattern).detail.object.key == [{ prefix = "dev/raw/" }]
    error_message = "only new objects under <prefix>/raw/ start the pipeline"
  }
}

run "endpoint_rejects_bad_values" {
  command = plan
  module {
    source = "./modules/endpoint"
  }
  variables {
    endpoint_name            = "sagemaker-gitops-prod"
    model_package_arn        = "arn:aws:sagemaker:us-east-1:000000000000:model-package-group/sagemaker-gitops-prod"
    execution_role_arn       = "arn:aws:iam::000000000000:role/x"
    kms_key_arn              = "arn:aws:kms:us-east-1:000000000000:key/k"
    instance_type            = "m5.large"
    initial_instance_count   = 0
    autoscaling              = { min_capacity = 3, max_capacity = 2, target_invocations_per_instance = 100 }
    data_capture             = { enabled = true, sampling_percentage = 0 }
    data_capture_uri         = "s3://b/p/datacapture/e"
    deployment               = { canary_percent = 80, wait_seconds = 60, termination_wait_seconds = 60 }
    max_latency_ms           = 500
    enable_network_isolation = true
    alarm_topic_arn          = "arn:aws:sns:us-east-1:000000000000:t"
  }
  expect_failures = [
    var.model_package_arn, var.instance_type, var.initial_instance_count, var.autoscaling,
    var.data_capture, var.deployment,
  ]
}

run "storage_rejects_bad_names_and_days" {
  command = plan
  module {
    source = "./modules/storage"
  }
  variables {
    name           = "sagemaker-gitops-dev"
    account_id     = "12345"
    region         = "us-east-1"
    kms_key_alias  = "alias/aws/s3"
    bucket_name    = "Bad_Bucket"
    prefix         = "dev/raw"
    lifecycle_days = { raw = 0, processed = 30, models = 90, cache = 7 }
    force_destroy  = false
  }
  expect_failures = [var.account_id, var.kms_key_alias, var.bucket_name, var.prefix, var.lifecycle_days]
}

run "approval_rejects_unknown_target" {
  command = plan
  module {
    source = "./modules/approval"
  }
  variables {
    name                     = "sagemaker-gitops-dev"
    environment              = "dev"
    deploy_target            = "webhook"
    model_package_group      = "sagemaker-gitops-dev"
    account_id               = "000000000000"
    region                   = "us-east-1"
    kms_key_arn              = "arn:aws:kms:us-east-1:000000000000:key/k"
    alerts_topic_arn         = "arn:aws:sns:us-east-1:000000000000:t"
    dlq_name                 = "dlq"
    github_repository        = "your-org/sagemaker-gitops"
    github_token_secret_name = "sagemaker-gitops/dev/github-dispatch-token"
    api_destination_name     = "dispatch"
    events_role_arn          = "arn:aws:iam::000000000000:role/e"
    lambda_function_name     = "deploy"
    lambda_zip_file          = "tests/fixtures/none.zip"
    lambda_role_arn          = "arn:aws:iam::000000000000:role/d"
  }
  expect_failures = [var.deploy_target]
}

run "lambda_target_without_zip_says_how_to_build_it" {
  command = plan
  module {
    source = "./modules/approval"
  }
  variables {
    name                     = "sagemaker-gitops-dev"
    environment              = "dev"
    deploy_target            = "lambda"
    model_package_group      = "sagemaker-gitops-dev"
    account_id               = "000000000000"
    region                   = "us-east-1"
    kms_key_arn              = "arn:aws:kms:us-east-1:000000000000:key/k"
    alerts_topic_arn         = "arn:aws:sns:us-east-1:000000000000:t"
    dlq_name                 = "dlq"
    github_repository        = "your-org/sagemaker-gitops"
    github_token_secret_name = "unused"
    api_destination_name     = "dispatch"
    events_role_arn          = "arn:aws:iam::000000000000:role/e"
    lambda_function_name     = "deploy"
    lambda_zip_file          = "tests/fixtures/none.zip"
    lambda_role_arn          = "arn:aws:iam::000000000000:role/d"
  }
  expect_failures = [aws_lambda_function.deploy]
}
