# Approval: when a model package of THIS environment's group becomes Approved, start a rollout.
#   github: EventBridge API destination -> POST /repos/<owner>/<repo>/dispatches, event_type
#           model-approved, client_payload {model_package_arn, environment}; the token lives in
#           Secrets Manager and reaches EventBridge through a connection (never tfvars or a CLI
#           argument). Failed deliveries are retried, then parked in an SQS dead-letter queue.
#   lambda: the deploy/ package as a Lambda function (zip built by release/lambda_zip.py).

variable "name" {
  description = "Project-and-environment name."
  type        = string
}

variable "environment" {
  description = "Environment name (sent in the dispatch payload, set in the Lambda's environment)."
  type        = string
}

variable "deploy_target" {
  description = "approval.deploy_target: github or lambda."
  type        = string

  validation {
    condition     = contains(["github", "lambda"], var.deploy_target)
    error_message = "approval.deploy_target must be github (repository_dispatch to the deploy workflow) or lambda (deploy/ as a Lambda)."
  }
}

variable "model_package_group" {
  description = "The environment's model package group: only its approvals trigger a rollout."
  type        = string
}

variable "account_id" {
  description = "AWS account id."
  type        = string
}

variable "kms_key_arn" {
  description = "Key for the DLQ, the connection's secret, the Lambda environment and logs."
  type        = string
}

variable "alerts_topic_arn" {
  description = "SNS topic told when events land in the dead-letter queue."
  type        = string
}

variable "dlq_name" {
  description = "Name of the dead-letter queue (the IAM module grants the Lambda role SendMessage on it)."
  type        = string
}

# --- github ---

variable "github_repository" {
  description = "owner/name of the repository whose deploy workflow receives repository_dispatch."
  type        = string
}

variable "github_event_type" {
  description = "repository_dispatch event_type the deploy workflow listens for."
  type        = string
  default     = "model-approved"
}

variable "github_token_secret_name" {
  description = "Name (or ARN) of the existing Secrets Manager secret holding a GitHub token allowed to create repository_dispatch events. Only the name is configuration; the value never is."
  type        = string
}

variable "api_destination_name" {
  description = "Name of the API destination (the IAM module scopes events:InvokeApiDestination to it)."
  type        = string
}

variable "events_role_arn" {
  description = "Role EventBridge assumes to invoke the API destination."
  type        = string
}

# --- lambda ---

variable "lambda_function_name" {
  description = "Name of the deploy Lambda."
  type        = string
}

variable "lambda_zip_file" {
  description = "Path of build/lambda/deploy.zip."
  type        = string
}

variable "lambda_role_arn" {
  description = "Role the Lambda runs as (the deploy role)."
  type        = string
}

variable "lambda_environment" {
  description = "Environment variables of the Lambda (docs/interfaces.md)."
  type        = map(string)
  default     = {}
}

variable "subnet_ids" {
  description = "Optional VPC subnets for the Lambda."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Optional security groups for the Lambda."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

locals {
  github = var.deploy_target == "github"
  lambda = var.deploy_target == "lambda"

  # Exactly the seed's filter, plus: only THIS environment's group, only Approved.
  pattern = {
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Model Package State Change"]
    detail = {
      ModelPackageGroupName = [var.model_package_group]
      ModelApprovalStatus   = ["Approved"]
    }
  }

  zip_exists = fileexists(var.lambda_zip_file)
}

resource "aws_cloudwatch_event_rule" "approved" {
  name          = "${var.name}-model-approved"
  description   = "A model package of ${var.model_package_group} was Approved: roll it out (${var.deploy_target})"
  event_pattern = jsonencode(local.pattern)
  tags          = var.tags
}

# --- Dead-letter queue (both targets) ---

resource "aws_sqs_queue" "dlq" {
  name                      = var.dlq_name
  kms_master_key_id         = var.kms_key_arn
  message_retention_seconds = 1209600 # 14 days, the maximum: time to notice and replay
  tags                      = var.tags
}

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "ApprovalRuleDeadLetters"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.dlq.arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.approved.arn } }
    }]
  })
}

resource "aws_cloudwatch_metric_alarm" "dlq" {
  alarm_name          = "${var.name}-approval-dlq-not-empty"
  alarm_description   = "An approval could not be delivered (${var.deploy_target}); inspect ${var.dlq_name} and re-send."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alerts_topic_arn]
  tags                = var.tags
}

# --- github: API destination -> repository_dispatch ---

data "aws_secretsmanager_secret_version" "github_token" {
  count     = local.github ? 1 : 0
  secret_id = var.github_token_secret_name
}

resource "aws_cloudwatch_event_connection" "github" {
  count              = local.github ? 1 : 0
  name               = "${var.name}-github"
  description        = "GitHub API token for repository_dispatch (stored by EventBridge in Secrets Manager, KMS)"
  authorization_type = "API_KEY"
  kms_key_identifier = var.kms_key_arn

  auth_parameters {
    api_key {
      key   = "Authorization"
      value = "Bearer ${data.aws_secretsmanager_secret_version.github_token[0].secret_string}"
    }
    invocation_http_parameters {
      header {
        key             = "Accept"
        value           = "application/vnd.github+json"
        is_value_secret = false
      }
      header {
        key             = "X-GitHub-Api-Version"
        value           = "2022-11-28"
        is_value_secret = false
      }
    }
  }
}

resource "aws_cloudwatch_event_api_destination" "github" {
  count                            = local.github ? 1 : 0
  name                             = var.api_destination_name
  description                      = "repository_dispatch on ${var.github_repository}"
  invocation_endpoint              = "https://api.github.com/repos/${var.github_repository}/dispatches"
  http_method                      = "POST"
  invocation_rate_limit_per_second = 1
  connection_arn                   = aws_cloudwatch_event_connection.github[0].arn
}

resource "aws_cloudwatch_event_target" "github" {
  count     = local.github ? 1 : 0
  rule      = aws_cloudwatch_event_rule.approved.name
  target_id = "github-repository-dispatch"
  arn       = aws_cloudwatch_event_api_destination.github[0].arn
  role_arn  = var.events_role_arn

  # One workflow (deploy.yml) listens for this event_type; nothing else in the repo is dispatched.
  # A hand-written template: jsonencode() would escape the <placeholders>.
  input_transformer {
    input_paths = { model_package_arn = "$.detail.ModelPackageArn" }
    input_template = trimspace(<<-EOT
      {"event_type": "${var.github_event_type}", "client_payload": {"model_package_arn": <model_package_arn>, "environment": "${var.environment}"}}
    EOT
    )
  }

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 20
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

# --- lambda: deploy/ as a function ---

resource "aws_cloudwatch_log_group" "lambda" {
  count             = local.lambda ? 1 : 0
  name              = "/aws/lambda/${var.lambda_function_name}"
  retention_in_days = 365
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "deploy" {
  #checkov:skip=CKV_AWS_50:X-Ray tracing would need xray:PutTraceSegments on "*"; every rollout step is logged to the KMS-encrypted log group instead.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile outside this template; the zip is built reproducibly from the reviewed deploy/ package.
  #checkov:skip=CKV_AWS_117:The function only calls AWS APIs; a VPC is used when network.subnet_ids is set (see vpc_config below).
  count                          = local.lambda ? 1 : 0
  function_name                  = var.lambda_function_name
  description                    = "deploy/ rollout of an Approved model package (${var.environment})"
  role                           = var.lambda_role_arn
  runtime                        = "python3.12"
  handler                        = "deploy.lambda_handler.handler"
  filename                       = var.lambda_zip_file
  source_code_hash               = local.zip_exists ? filebase64sha256(var.lambda_zip_file) : null
  timeout                        = 900
  memory_size                    = 256
  reserved_concurrent_executions = 1 # one rollout at a time per environment
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = var.lambda_environment
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  dynamic "vpc_config" {
    for_each = length(var.subnet_ids) > 0 ? [1] : []
    content {
      subnet_ids         = var.subnet_ids
      security_group_ids = var.security_group_ids
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = local.zip_exists
      error_message = "approval.deploy_target is lambda but ${var.lambda_zip_file} does not exist. Build it with `make lambda-zip` (release/lambda_zip.py writes build/lambda/deploy.zip), then plan/apply again."
    }
  }

  depends_on = [aws_cloudwatch_log_group.lambda]
}

resource "aws_lambda_permission" "events" {
  count          = local.lambda ? 1 : 0
  statement_id   = "AllowApprovalRule"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.deploy[0].function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.approved.arn
  source_account = var.account_id
}

resource "aws_lambda_function_event_invoke_config" "deploy" {
  count                        = local.lambda ? 1 : 0
  function_name                = aws_lambda_function.deploy[0].function_name
  maximum_retry_attempts       = 0 # a rollout is not blindly retried: deploy/ decides, failures go to the DLQ
  maximum_event_age_in_seconds = 3600
}

resource "aws_cloudwatch_event_target" "lambda" {
  count     = local.lambda ? 1 : 0
  rule      = aws_cloudwatch_event_rule.approved.name
  target_id = "deploy-lambda"
  arn       = aws_lambda_function.deploy[0].arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 3
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }

  depends_on = [aws_lambda_permission.events]
}

output "rule_name" {
  description = "The approval rule."
  value       = aws_cloudwatch_event_rule.approved.name
}

output "rule_pattern" {
  description = "The approval rule's event pattern (JSON)."
  value       = aws_cloudwatch_event_rule.approved.event_pattern
}

output "dlq_url" {
  description = "Dead-letter queue of undelivered approvals."
  value       = aws_sqs_queue.dlq.id
}

output "api_destination_arn" {
  description = "GitHub API destination (github target), else null."
  value       = try(aws_cloudwatch_event_api_destination.github[0].arn, null)
}

output "input_template" {
  description = "Payload template sent to GitHub (github target), else null."
  value       = try(aws_cloudwatch_event_target.github[0].input_transformer[0].input_template, null)
}

output "lambda_function_name" {
  description = "Deploy Lambda (lambda target), else null."
  value       = try(aws_lambda_function.deploy[0].function_name, null)
}

output "encryption" {
  description = "Key protecting each store of this module (connection secret only for github, Lambda env only for lambda)."
  value = merge(
    { dlq = aws_sqs_queue.dlq.kms_master_key_id },
    local.github ? { connection = aws_cloudwatch_event_connection.github[0].kms_key_identifier } : {},
    local.lambda ? { lambda = aws_lambda_function.deploy[0].kms_key_arn, lambda_logs = aws_cloudwatch_log_group.lambda[0].kms_key_id } : {},
  )
}

output "target" {
  description = "Facts about the rule's target, for tests and reviews."
  value = {
    kind                = var.deploy_target
    invocation_endpoint = try(aws_cloudwatch_event_api_destination.github[0].invocation_endpoint, null)
    token_secret_id     = try(data.aws_secretsmanager_secret_version.github_token[0].secret_id, null)
    dead_letter_arn     = one(concat(aws_cloudwatch_event_target.github[*].dead_letter_config[0].arn, aws_cloudwatch_event_target.lambda[*].dead_letter_config[0].arn))
    dlq_arn             = aws_sqs_queue.dlq.arn
    max_retry_attempts  = one(concat(aws_cloudwatch_event_target.github[*].retry_policy[0].maximum_retry_attempts, aws_cloudwatch_event_target.lambda[*].retry_policy[0].maximum_retry_attempts))
    lambda_handler      = try(aws_lambda_function.deploy[0].handler, null)
    lambda_environment  = try(aws_lambda_function.deploy[0].environment[0].variables, null)
    lambda_role         = try(aws_lambda_function.deploy[0].role, null)
  }
}
