# What starts a pipeline run besides CI: a cron schedule, and new objects under <prefix>/raw/.

variable "name" {
  description = "Project-and-environment name."
  type        = string
}

variable "pipeline_arn" {
  description = "Pipeline to start."
  type        = string
}

variable "schedule_expression" {
  description = "pipeline.schedule: an EventBridge Scheduler cron()/rate() expression, or \"\" for no schedule."
  type        = string

  validation {
    condition = var.schedule_expression == "" || can(regex(
      "^(cron\\(([^ ]+ ){5}[^ ]+\\)|rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\))$",
      var.schedule_expression
    ))
    error_message = "pipeline.schedule must be \"\" (no schedule), cron(<min> <hour> <day-of-month> <month> <day-of-week> <year>) with six fields, e.g. cron(0 6 * * ? *), or rate(<n> <unit>)."
  }
}

variable "schedule_timezone" {
  description = "Time zone of the cron expression."
  type        = string
  default     = "UTC"
}

variable "input_data_uri" {
  description = "InputDataUri passed to scheduled and data-triggered runs (pipeline.input_data_uri)."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9.-]+/.+/$", var.input_data_uri))
    error_message = "pipeline.input_data_uri must be an s3://bucket/prefix/ URI ending in '/'."
  }
}

variable "bucket" {
  description = "Artifact bucket whose raw/ prefix triggers runs."
  type        = string
}

variable "raw_prefix" {
  description = "Key prefix of new raw data, e.g. dev/raw/."
  type        = string
}

variable "scheduler_role_arn" {
  description = "Role EventBridge Scheduler assumes."
  type        = string
}

variable "events_role_arn" {
  description = "Role the EventBridge rule assumes."
  type        = string
}

variable "kms_key_arn" {
  description = "Key that encrypts the schedule's payload."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

resource "aws_scheduler_schedule" "pipeline" {
  count                        = var.schedule_expression == "" ? 0 : 1
  name                         = "${var.name}-pipeline"
  description                  = "Scheduled retraining of ${var.name}"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_timezone
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode                      = "FLEXIBLE"
    maximum_window_in_minutes = 15
  }

  target {
    arn      = var.pipeline_arn
    role_arn = var.scheduler_role_arn

    sagemaker_pipeline_parameters {
      pipeline_parameter {
        name  = "InputDataUri"
        value = var.input_data_uri
      }
    }

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }
}

# New data: S3 (EventBridge notifications on) -> rule -> StartPipelineExecution. An upload of many
# files starts many runs; pipeline step caching (pipeline.cache_expire_after) keeps them cheap.
resource "aws_cloudwatch_event_rule" "new_data" {
  name        = "${var.name}-new-data"
  description = "New objects under s3://${var.bucket}/${var.raw_prefix} start the pipeline"
  event_pattern = jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [var.bucket] }
      object = { key = [{ prefix = var.raw_prefix }] }
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "new_data" {
  rule      = aws_cloudwatch_event_rule.new_data.name
  target_id = "start-pipeline"
  arn       = var.pipeline_arn
  role_arn  = var.events_role_arn

  sagemaker_pipeline_target {
    pipeline_parameter_list {
      name  = "InputDataUri"
      value = var.input_data_uri
    }
  }

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 3
  }
}

output "schedule_name" {
  description = "Scheduler schedule name (null when pipeline.schedule is empty)."
  value       = try(aws_scheduler_schedule.pipeline[0].name, null)
}

output "schedule_expression" {
  description = "The schedule expression in effect (null when none)."
  value       = try(aws_scheduler_schedule.pipeline[0].schedule_expression, null)
}

output "new_data_rule_name" {
  description = "EventBridge rule that starts a run on new raw data."
  value       = aws_cloudwatch_event_rule.new_data.name
}

output "schedule_parameters" {
  description = "Pipeline parameters the schedule passes (name => value); {} when no schedule."
  value       = try({ for p in aws_scheduler_schedule.pipeline[0].target[0].sagemaker_pipeline_parameters[0].pipeline_parameter : p.name => p.value }, {})
}

output "encryption" {
  description = "Key protecting the schedule payload."
  value       = { schedule = try(aws_scheduler_schedule.pipeline[0].kms_key_arn, null) }
}

output "new_data_pattern" {
  description = "Event pattern of the new-data rule (JSON)."
  value       = aws_cloudwatch_event_rule.new_data.event_pattern
}
