output "execution_role_arn" {
  description = "SageMaker execution role ARN (the pipeline's role and every job's role)."
  value       = aws_iam_role.execution.arn
}

output "execution_role_name" {
  description = "SageMaker execution role name."
  value       = aws_iam_role.execution.name
}

output "scheduler_role_arn" {
  description = "Role EventBridge Scheduler assumes to start the pipeline."
  value       = aws_iam_role.scheduler.arn
}

output "events_role_arn" {
  description = "Role EventBridge rules assume (start the pipeline, invoke the GitHub API destination)."
  value       = aws_iam_role.events.arn
}

output "deploy_role_arn" {
  description = "Role for model rollouts (deploy workflow via OIDC, or the Lambda)."
  value       = aws_iam_role.deploy.arn
}

output "deploy_role_name" {
  description = "Deploy role name."
  value       = aws_iam_role.deploy.name
}

output "policy_documents" {
  description = "Every identity and trust policy this module writes, as JSON (reviewed by tests: no wildcard actions)."
  value = {
    execution_trust = jsonencode(local.service_trust["sagemaker"])
    execution       = jsonencode(local.execution_policy)
    scheduler_trust = jsonencode(local.service_trust["scheduler"])
    scheduler       = jsonencode(local.scheduler_policy)
    events_trust    = jsonencode(local.service_trust["events"])
    events          = jsonencode(local.events_policy)
    deploy_trust    = jsonencode(local.deploy_trust)
    deploy          = module.rollout.json
  }
}

output "permissions_boundaries" {
  description = "Permissions boundary of each role (null when none)."
  value       = { for role in [aws_iam_role.execution, aws_iam_role.scheduler, aws_iam_role.events, aws_iam_role.deploy] : role.name => role.permissions_boundary }
}
