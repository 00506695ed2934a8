# Alerts: one SNS topic (KMS) fed by EventBridge on failed pipeline runs and on models the quality
# gate (RejectModel step) or a reviewer (registry status Rejected) turned down, and by the endpoint's
# CloudWatch alarms.

variable "name" {
  description = "Project-and-environment name."
  type        = string
}

variable "account_id" {
  description = "AWS account id."
  type        = string
}

variable "pipeline_arn" {
  description = "Pipeline whose failures are reported."
  type        = string
}

variable "model_package_group" {
  description = "Model package group whose rejections are reported."
  type        = string
}

variable "reject_step_name" {
  description = "Name of the Fail step the quality gate goes to (docs/interfaces.md: RejectModel)."
  type        = string
  default     = "RejectModel"
}

variable "kms_key_arn" {
  description = "Key that encrypts the topic."
  type        = string
}

variable "email" {
  description = "alerts.email: address subscribed to the topic (\"\" for none)."
  type        = string

  validation {
    condition     = var.email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.email))
    error_message = "alerts.email must be an e-mail address or \"\"."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

resource "aws_sns_topic" "alerts" {
  name              = "${var.name}-alerts"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_policy" "alerts" {
  arn = aws_sns_topic.alerts.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "EventBridgeAndAlarmsOfThisAccountPublish"
        Effect    = "Allow"
        Principal = { Service = ["events.amazonaws.com", "cloudwatch.amazonaws.com"] }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alerts.arn
        Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alerts.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  count     = var.email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.email
}

locals {
  rules = {
    pipeline-failed = {
      description = "A run of the pipeline failed or stopped"
      pattern = {
        source        = ["aws.sagemaker"]
        "detail-type" = ["SageMaker Model Building Pipeline Execution Status Change"]
        detail = {
          pipelineArn                    = [var.pipeline_arn]
          currentPipelineExecutionStatus = ["Failed", "Stopped"]
        }
      }
    }
    gate-rejected = {
      description = "The quality gate rejected a candidate model (${var.reject_step_name} step ran)"
      pattern = {
        source        = ["aws.sagemaker"]
        "detail-type" = ["SageMaker Model Building Pipeline Execution Step Status Change"]
        detail = {
          pipelineArn       = [var.pipeline_arn]
          stepName          = [var.reject_step_name]
          currentStepStatus = ["Failed", "Succeeded"] # terminal states only: one alert per rejection
        }
      }
    }
    model-rejected = {
      description = "A reviewer rejected a model package in the registry"
      pattern = {
        source        = ["aws.sagemaker"]
        "detail-type" = ["SageMaker Model Package State Change"]
        detail = {
          ModelPackageGroupName = [var.model_package_group]
          ModelApprovalStatus   = ["Rejected"]
        }
      }
    }
  }
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each      = local.rules
  name          = "${var.name}-${each.key}"
  description   = each.value.description
  event_pattern = jsonencode(each.value.pattern)
  tags          = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  for_each  = aws_cloudwatch_event_rule.this
  rule      = each.value.name
  target_id = "alerts-topic"
  arn       = aws_sns_topic.alerts.arn
}

output "topic_arn" {
  description = "SNS topic ARN for alerts."
  value       = aws_sns_topic.alerts.arn
}

output "rule_patterns" {
  description = "Event patterns of the alert rules, by rule."
  value       = { for key, rule in aws_cloudwatch_event_rule.this : key => rule.event_pattern }
}

output "encryption" {
  description = "Key protecting the topic."
  value       = { topic = aws_sns_topic.alerts.kms_master_key_id }
}
