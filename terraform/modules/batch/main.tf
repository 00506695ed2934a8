# Batch scoring: the batch pipeline (build/<env>/batch-definition.json, written by
# `make definition`), started on batch.schedule and whenever a file lands in <prefix>/batch/input/.
# Its own scheduler and EventBridge roles may start this pipeline and nothing else.

variable "name" {
  description = "Project-and-environment name."
  type        = string
}

variable "environment" {
  description = "Environment name."
  type        = string
}

variable "account_id" {
  description = "AWS account id (confused-deputy guard of the trust policies)."
  type        = string
}

variable "region" {
  description = "AWS region (the schedule's ARN in the scheduler role's key condition)."
  type        = string
}

variable "pipeline_name" {
  description = "Name of the batch pipeline (<resources.pipeline_name>-batch)."
  type        = string
}

variable "definition_file" {
  description = "Path of the generated batch definition JSON."
  type        = string
}

variable "execution_role_arn" {
  description = "SageMaker execution role the pipeline and its Score job run as."
  type        = string
}

variable "execution_role_name" {
  description = "Execution role name; the definition must embed it."
  type        = string
}

variable "processing_instance_type" {
  description = "pipeline.processing_instance_type (recorded as a tag)."
  type        = string
}

variable "network_isolation" {
  description = "network.enable_network_isolation: the Score step must set it."
  type        = bool
}

variable "inter_container_encryption" {
  description = "network.encrypt_inter_container_traffic: the Score step must set it."
  type        = bool
}

variable "schedule_expression" {
  description = "batch.schedule: cron()/rate(), or \"\" for no schedule."
  type        = string
}

variable "bucket" {
  description = "Artifact bucket."
  type        = string
}

variable "prefix" {
  description = "resources.prefix of the environment."
  type        = string
}

variable "kms_key_arn" {
  description = "Key that encrypts the schedule's payload."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of every role (null = none)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

module "pipeline" {
  source = "../pipeline"

  name                = var.pipeline_name
  environment         = var.environment
  description         = "Score: the approved champion scores ${var.prefix}/batch/input/ into ${var.prefix}/batch/output/<date>/"
  definition_file     = var.definition_file
  role_arn            = var.execution_role_arn
  execution_role_name = var.execution_role_name
  # The batch pipeline has no gate; the tag records that (and the module wants a number in (0, 1]).
  accuracy_threshold         = 1
  instance_types             = { processing = var.processing_instance_type }
  network_isolation          = var.network_isolation
  inter_container_encryption = var.inter_container_encryption
  use_spot                   = false
  tags                       = var.tags
}

locals {
  # modules/triggers names its schedule "<name>-pipeline": the scheduler role decrypts only it
  triggers_name = "${var.name}-batch"
  trust = { for service in ["scheduler", "events"] : service => {
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "${service}.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
    }]
  } }
  start_batch = {
    Sid      = "StartTheBatchPipeline"
    Effect   = "Allow"
    Action   = "sagemaker:StartPipelineExecution"
    Resource = module.pipeline.arn
  }
  policies = {
    scheduler = {
      Version = "2012-10-17"
      Statement = [local.start_batch, {
        # Scheduler decrypts this schedule's payload as this role, with the schedule's ARN as
        # encryption context (EventBridge Scheduler User Guide, "Encryption at rest").
        Sid       = "DecryptThisSchedule"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = var.kms_key_arn
        Condition = { StringEquals = { "kms:EncryptionContext:aws:scheduler:schedule:arn" = "arn:aws:scheduler:${var.region}:${var.account_id}:schedule/default/${local.triggers_name}-pipeline" } }
      }]
    }
    events = { Version = "2012-10-17", Statement = [local.start_batch] }
  }
}

resource "aws_iam_role" "trigger" {
  for_each             = local.trust
  name                 = "${var.name}-batch-${each.key}"
  description          = "${var.name}: ${each.key == "scheduler" ? "EventBridge Scheduler" : "the new-data rule"} starts the batch pipeline"
  assume_role_policy   = jsonencode(each.value)
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy" "trigger" {
  for_each = aws_iam_role.trigger
  name     = "least-privilege"
  role     = each.value.id
  policy   = jsonencode(local.policies[each.key])
}

module "triggers" {
  source = "../triggers"

  name                = local.triggers_name
  pipeline_arn        = module.pipeline.arn
  schedule_expression = var.schedule_expression
  input_data_uri      = "s3://${var.bucket}/${var.prefix}/batch/input/"
  bucket              = var.bucket
  raw_prefix          = "${var.prefix}/batch/input/"
  scheduler_role_arn  = aws_iam_role.trigger["scheduler"].arn
  events_role_arn     = aws_iam_role.trigger["events"].arn
  kms_key_arn         = var.kms_key_arn
  tags                = var.tags

  depends_on = [aws_iam_role_policy.trigger]
}

output "pipeline_name" {
  description = "Batch pipeline name."
  value       = module.pipeline.name
}

output "pipeline_arn" {
  description = "Batch pipeline ARN."
  value       = module.pipeline.arn
}

output "schedule_expression" {
  description = "The batch schedule in effect (null when none)."
  value       = module.triggers.schedule_expression
}

output "schedule_parameters" {
  description = "Pipeline parameters the schedule passes."
  value       = module.triggers.schedule_parameters
}

output "new_data_pattern" {
  description = "Event pattern of the rule that scores new files (JSON)."
  value       = module.triggers.new_data_pattern
}

output "role_names" {
  description = "Roles of the batch triggers (scheduler, events)."
  value       = { for key, role in aws_iam_role.trigger : key => role.name }
}

output "policy_documents" {
  description = "Identity and trust policies of the trigger roles, as JSON."
  value = merge(
    { for key, policy in local.policies : "batch_${key}" => jsonencode(policy) },
    { for key, trust in local.trust : "batch_${key}_trust" => jsonencode(trust) },
  )
}
