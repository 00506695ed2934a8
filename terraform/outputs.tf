# What CI and deploy/ read (`terraform output -json`). The preconditions on `environment` refuse a
# YAML file that is inconsistent in ways the variable validations cannot see.

output "environment" {
  description = "The environment this state describes."
  value       = var.environment

  precondition {
    condition     = local.cfg.environment == var.environment
    error_message = "environments/${var.environment}.yaml says environment: ${local.cfg.environment}. Make the key match the file name."
  }
  precondition {
    condition     = local.cfg.approval.policy == "manual" && local.cfg.pipeline.model_approval_status == "PendingManualApproval"
    error_message = "environments/${var.environment}.yaml: outside local a person approves. Set approval.policy: manual and pipeline.model_approval_status: PendingManualApproval."
  }
  precondition {
    condition     = can(regex("^[0-9]{12}$", local.account_id))
    error_message = "environments/${var.environment}.yaml: aws.account_id must be 12 digits in quotes."
  }
  precondition {
    condition     = var.environment != "prod" || !local.cfg.storage.force_destroy
    error_message = "environments/prod.yaml: storage.force_destroy must be false in prod (destroy must never delete production data)."
  }
  precondition {
    condition     = length(local.network.subnet_ids) == 0 || length(local.network.security_group_ids) > 0
    error_message = "environments/${var.environment}.yaml: network.subnet_ids is set but network.security_group_ids is empty; SageMaker needs both for VPC mode."
  }
}

output "region" {
  description = "AWS region."
  value       = local.region
}

output "account_id" {
  description = "AWS account id."
  value       = local.account_id
}

output "bucket" {
  description = "Artifact bucket."
  value       = module.storage.bucket
}

output "artifact_prefix" {
  description = "The environment's prefix inside the bucket."
  value       = local.res.prefix
}

output "kms_key_arn" {
  description = "The environment's KMS key."
  value       = module.storage.kms_key_arn
}

output "pipeline_name" {
  description = "SageMaker pipeline name."
  value       = module.pipeline.name
}

output "pipeline_arn" {
  description = "SageMaker pipeline ARN."
  value       = module.pipeline.arn
}

output "pipeline_definition_sha256" {
  description = "sha256 of the registered pipeline definition."
  value       = module.pipeline.definition_sha256
}

output "model_package_group" {
  description = "Model package group."
  value       = module.registry.name
}

output "job_image_repository_url" {
  description = "ECR repository of the processing/training image."
  value       = "${local.account_id}.dkr.ecr.${local.region}.amazonaws.com/${local.res.job_image_repository}"
}

output "inference_image_repository_url" {
  description = "ECR repository of the inference image."
  value       = "${local.account_id}.dkr.ecr.${local.region}.amazonaws.com/${local.res.inference_image_repository}"
}

output "execution_role_arn" {
  description = "SageMaker execution role."
  value       = module.iam.execution_role_arn
}

output "deploy_role_arn" {
  description = "Role of model rollouts: the deploy workflow assumes it through GitHub OIDC (environment <env>), or the Lambda runs as it."
  value       = module.iam.deploy_role_arn
}

output "scheduler_role_arn" {
  description = "Role of the schedule."
  value       = module.iam.scheduler_role_arn
}

output "endpoint_name" {
  description = "Endpoint name (whether or not it exists yet)."
  value       = local.res.endpoint_name
}

output "endpoint_managed" {
  description = "True when Terraform created the endpoint (endpoint.enabled and an approved package known)."
  value       = try(module.endpoint[0].endpoint_created, false)
}

output "alarm_names" {
  description = "Auto-rollback alarms deploy/ passes to UpdateEndpoint ([] when endpoint.enabled is false)."
  value       = try(module.endpoint[0].alarm_names, [])
}

output "sns_topic_arn" {
  description = "Alerts topic."
  value       = module.alerts.topic_arn
}

output "approval_rule_name" {
  description = "EventBridge rule reacting to Approved packages."
  value       = module.approval.rule_name
}

output "approval_dlq_url" {
  description = "Dead-letter queue of undelivered approvals."
  value       = module.approval.dlq_url
}

output "deploy_target" {
  description = "approval.deploy_target in effect."
  value       = local.deploy_target
}

output "schedule_expression" {
  description = "Retraining schedule (null when none)."
  value       = module.triggers.schedule_expression
}

output "iam_policy_documents" {
  description = "Every IAM identity and trust policy of the environment (reviewed by terraform test)."
  value       = merge(module.iam.policy_documents, module.batch.policy_documents, module.monitoring.policy_documents)
}

output "batch_pipeline_name" {
  description = "Batch-scoring pipeline (scores <prefix>/batch/input/ into batch/output/<date>/)."
  value       = module.batch.pipeline_name
}

output "batch_schedule_expression" {
  description = "Batch-scoring schedule (null when none)."
  value       = module.batch.schedule_expression
}

output "monitoring_schedule_name" {
  description = "Model Monitor data-quality schedule of the endpoint (null when off)."
  value       = try(module.monitoring.schedule.name, null)
}

output "drift_alarm_name" {
  description = "Composite data-drift alarm; ALARM starts retraining and alerts (null when off)."
  value       = try(module.monitoring.drift_alarm.name, null)
}
