output "state_bucket" {
  description = "Terraform state bucket (bucket in environments/<env>.backend.hcl)."
  value       = aws_s3_bucket.state.bucket

  precondition {
    condition     = length(distinct([for cfg in values(local.configs) : tostring(cfg.aws.account_id)])) == 1
    error_message = "The environments given to bootstrap live in different AWS accounts (aws.account_id). Run bootstrap once per account with -var 'environments=[\"<env>\"]'."
  }
  precondition {
    condition     = length(distinct([for cfg in values(local.configs) : cfg.github_repository])) == 1
    error_message = "The environments name different github_repository values. Make them the same (one repository deploys every environment)."
  }
}

output "state_kms_key_arn" {
  description = "KMS key of the state bucket (kms_key_id in environments/<env>.backend.hcl)."
  value       = aws_kms_key.state.arn
}

output "oidc_provider_arn" {
  description = "GitHub Actions OIDC provider."
  value       = local.oidc_arn
}

output "github_deploy_role_arns" {
  description = "Per environment: set as the GitHub environment variable AWS_DEPLOY_ROLE_ARN."
  value       = { for env, role in aws_iam_role.deploy : env => role.arn }
}

output "github_plan_role_arns" {
  description = "Per environment: set as the repository variable AWS_PLAN_ROLE_ARN_<ENV> (pull-request plans)."
  value       = { for env, role in aws_iam_role.plan : env => role.arn }
}

# The two policy outputs below are about 580 KB of JSON: printed after every apply they buried the
# role ARNs a person copies into GitHub (docs/cicd.md). `sensitive` keeps them out of the apply
# summary; `terraform output -json` and `terraform test` still read them.
output "policy_documents" {
  description = "Every policy the GitHub roles get, as JSON (reviewed by terraform test; `terraform output -json policy_documents`)."
  sensitive   = true
  value = merge(
    { for key, policy in aws_iam_policy.github : key => policy.policy },
    { for env, policy in aws_iam_policy.rollout : "${env}/rollout/deploy" => policy.policy },
  )
}

output "documents" {
  description = "Policy documents before they reach IAM (sizes and wildcards are tested; `terraform output -json documents`)."
  sensitive   = true
  value = merge(
    { for key, document in local.documents : key => jsonencode(document) },
    { for env, document in local.boundaries : "${env}/boundary/boundary" => jsonencode(document) },
  )
}

output "permissions_boundary_names" {
  description = "Per environment: permissions_boundary_name for environments/<env>.tfvars."
  value       = { for env, policy in aws_iam_policy.boundary : env => policy.name }
}
