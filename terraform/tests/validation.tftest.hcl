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

# All root variable checks in one plan (each run costs a full plan).
run "root_variables_reject_bad_values" {
  command = plan
  variables {
    environment               = "local"
    registry_read_account_ids = ["12345"]
    github_token_secret_name  = "ghp token with spaces"
    alarm_latency_ms          = 0
  }
  expect_failures = [
    var.environment, var.registry_read_account_ids, var.github_token_secret_name, var.alarm_latency_ms,
  ]
}

run "unknown_environment_is_refused" {
  command = plan
  variables {
    environment = "qa"
  }
  expect_failures = [var.environment]
}

# --- modules: the YAML values they check, and their preconditions -------------------------------

run "pipeline_missing_definition_says_run_make_definition" {
  command = plan
  module {
    source = "./modules/pipeline"
  }
  variables {
    name                       = "sagemaker-gitops-dev"
    environment                = "dev"
    definition_file            = "tests/fixtures/does-not-exist.json"
    role_arn                   = "arn:aws:iam::000000000000:role/sagemaker-gitops-dev-execution"
    execution_role_name        = "sagemaker-gitops-dev-execution"
    accuracy_threshold         = 0.9
    instance_types             = { processing = "ml.m5.large", training = "ml.m5.large" }
    network_isolation          = true
    inter_container_encryption = true
    use_spot                   = true
  }
  expect_failures = [aws_sagemaker_pipeline.this]
}

run "pipeline_definition_of_another_environment_is_refused" {
  command = plan
  module {
    source = "./modules/pipeline"
  }
  variables {
    name                       = "sagemaker-gitops-dev"
    environment                = "dev"
    definition_file            = "tests/fixtures/prod/pipeline-definition.json"
    role_arn                   = "arn:aws:iam::000000000000:role/sagemaker-gitops-dev-execution"
    execution_role_name        = "sagemaker-gitops-dev-execution"
    accuracy_threshold         = 0.9
    instance_types             = { processing = "ml.m5.large", training = "ml.m5.large" }
    network_isolation          = true
    inter_container_encryption = true
    use_spot                   = true
  }
  expect_failures = [aws_sagemaker_pipeline.this]
}

run "pipeline_definition_with_other_spot_or_network_settings_is_stale" {
  command = plan
  module {
    source = "./modules/pipeline"
  }
  variables {
    name                       = "sagemaker-gitops-prod"
    environment                = "prod"
    definition_file            = "tests/fixtures/dev/pipeline-definition.json"
    role_arn                   = "arn:aws:iam::000000000000:role/sagemaker-gitops-dev-execution"
    execution_role_name        = "sagemaker-gitops-dev-execution"
    accuracy_threshold         = 0.94
    instance_types             = { processing = "ml.m5.large", training = "ml.m5.large" }
    network_isolation          = false
    inter_container_encryption = true
    use_spot                   = false
  }
  expect_failures = [aws_sagemaker_pipeline.this]
}

run "pipeline_threshold_and_instance_types_are_checked" {
  command = plan
  module {
    source = "./modules/pipeline"
  }
  variables {
    name                       = "sagemaker-gitops-dev"
    environment                = "dev"
    definition_file            = "tests/fixtures/dev/pipeline-definition.json"
    role_arn                   = "arn:aws:iam::000000000000:role/sagemaker-gitops-dev-execution"
    execution_role_name        = "sagemaker-gitops-dev-execution"
    accuracy_threshold         = 1.5
    instance_types             = { processing = "m5.large", training = "ml.m5.large" }
    network_isolation          = true
    inter_container_encryption = true
    use_spot                   = true
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

# --- approval.deploy_target = lambda (the seed's path): deploy/ as an EventBridge-invoked function.
# tests/fixtures/deploy.zip stands in for build/lambda/deploy.zip (release/lambda_zip.py).

run "lambda_target_runs_deploy_handler_with_interface_variables" {
  command = apply
  module {
    source = "./modules/approval"
  }
  variables {
    name                     = "sagemaker-gitops-dev"
    environment              = "dev"
    deploy_target            = "lambda"
    model_package_group      = "sagemaker-gitops-dev"
    account_id               = "000000000000"
    kms_key_arn              = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555"
    alerts_topic_arn         = "arn:aws:sns:us-east-1:000000000000:alerts"
    dlq_name                 = "sagemaker-gitops-dev-approval-dlq"
    github_repository        = "your-org/sagemaker-gitops"
    github_token_secret_name = "unused-for-lambda"
    api_destination_name     = "sagemaker-gitops-dev-github-dispatch"
    events_role_arn          = "arn:aws:iam::000000000000:role/sagemaker-gitops-dev-events"
    lambda_function_name     = "sagemaker-gitops-dev-deploy"
    lambda_zip_file          = "tests/fixtures/deploy.zip"
    lambda_role_arn          = "arn:aws:iam::000000000000:role/sagemaker-gitops-dev-deploy"
    lambda_environment = {
      DEPLOY_ENVIRONMENT      = "dev"
      MODEL_PACKAGE_GROUP     = "sagemaker-gitops-dev"
      ENDPOINT_NAME           = "sagemaker-gitops-dev"
      EXECUTION_ROLE_ARN      = "arn:aws:iam::000000000000:role/sagemaker-gitops-dev-execution"
      KMS_KEY_ARN             = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555"
      ARTIFACT_BUCKET         = "sagemaker-gitops-dev-artifacts-000000000000"
      ARTIFACT_PREFIX         = "dev"
      ENDPOINT_INSTANCE_TYPE  = "ml.t2.medium"
      ENDPOINT_INSTANCE_COUNT = "1"
    }
  }

  assert {
    condition     = aws_lambda_function.deploy[0].handler == "deploy.lambda_handler.handler" && aws_lambda_function.deploy[0].role == "arn:aws:iam::000000000000:role/sagemaker-gitops-dev-deploy"
    error_message = "the Lambda must run deploy.lambda_handler.handler as the deploy role"
  }
  assert {
    condition     = aws_lambda_function.deploy[0].source_code_hash == filebase64sha256("tests/fixtures/deploy.zip")
    error_message = "a new zip must redeploy the function (source_code_hash)"
  }
  assert {
    condition     = length(aws_cloudwatch_event_connection.github) == 0 && length(aws_cloudwatch_event_target.lambda) == 1
    error_message = "lambda target: no GitHub connection, one Lambda target"
  }
  assert {
    condition     = aws_lambda_permission.events[0].source_arn == aws_cloudwatch_event_rule.approved.arn && aws_lambda_permission.events[0].principal == "events.amazonaws.com"
    error_message = "only the approval rule may invoke the function"
  }
  assert {
    condition     = aws_lambda_function.deploy[0].dead_letter_config[0].target_arn == aws_sqs_queue.dlq.arn && aws_cloudwatch_event_target.lambda[0].dead_letter_config[0].arn == aws_sqs_queue.dlq.arn
    error_message = "failed deliveries and failed invocations land in the dead-letter queue"
  }
  assert {
    condition     = aws_lambda_function.deploy[0].reserved_concurrent_executions == 1
    error_message = "one rollout at a time"
  }
}

run "lambda_target_lets_lambda_assume_the_deploy_role" {
  command = apply
  module {
    source = "./modules/iam"
  }
  variables {
    name                   = "sagemaker-gitops-dev"
    environment            = "dev"
    account_id             = "000000000000"
    region                 = "us-east-1"
    github_repository      = "your-org/sagemaker-gitops"
    execution_role_name    = "sagemaker-gitops-dev-execution"
    bucket_arn             = "arn:aws:s3:::sagemaker-gitops-dev-artifacts-000000000000"
    prefix                 = "dev"
    kms_key_arn            = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555"
    image_repository_names = ["sagemaker-gitops-jobs", "sagemaker-gitops-inference"]
    model_package_group    = "sagemaker-gitops-dev"
    pipeline_name          = "sagemaker-gitops-dev"
    endpoint_name          = "sagemaker-gitops-dev"
    deploy_target          = "lambda"
    lambda_function_name   = "sagemaker-gitops-dev-deploy"
    api_destination_name   = "sagemaker-gitops-dev-github-dispatch"
    dlq_name               = "sagemaker-gitops-dev-approval-dlq"
    subnet_ids             = ["subnet-0123456789abcdef0"]
    security_group_ids     = ["sg-0123456789abcdef0"]
    tuning_enabled         = true
  }

  assert {
    condition     = contains(jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[*].Principal, { Service = "lambda.amazonaws.com" })
    error_message = "with the lambda target the deploy role must trust lambda.amazonaws.com"
  }
  assert {
    condition     = contains(jsondecode(aws_iam_role_policy.deploy.policy).Statement[*].Sid, "LambdaDeadLetters") && contains(jsondecode(aws_iam_role_policy.deploy.policy).Statement[*].Sid, "LambdaNetworkInterfaces")
    error_message = "the Lambda role needs its DLQ and, in a VPC, its network interfaces"
  }
  assert {
    condition     = contains(jsondecode(aws_iam_role_policy.execution.policy).Statement[*].Sid, "JobNetworkInterfaces") && contains(jsondecode(aws_iam_role_policy.execution.policy).Statement[*].Sid, "PipelineTuningJobs")
    error_message = "VPC subnets and tuning add exactly the statements they need"
  }
  assert {
    condition = alltrue(flatten([
      for document in values(output.policy_documents) : [
        for statement in jsondecode(document).Statement : [for action in flatten([statement.Action]) : !strcontains(action, "*")]
      ]
    ]))
    error_message = "no wildcard actions, also with VPC, tuning and the lambda target"
  }
}
