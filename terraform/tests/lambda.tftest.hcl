# approval.deploy_target = lambda (the seed's path): deploy/ as an EventBridge-invoked function.
# tests/fixtures/deploy.zip stands in for build/lambda/deploy.zip (scripts/build_lambda_zip.py).

mock_provider "aws" {
  source = "./tests/mocks"
}

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
    region                   = "us-east-1"
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
