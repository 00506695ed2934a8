# Only what environments/<env>.yaml cannot hold lives here: the environment's name and a few
# Terraform-only, secret-free settings (environments/<env>.tfvars). Every other value is read from
# the YAML file, the single source of truth shared with build_pipeline, deploy/ and the local runner.

variable "environment" {
  description = "Environment to deploy: dev, staging or prod (environments/<env>.yaml). local has no AWS side."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod. local runs on this machine without AWS: use `make deploy ENV=local` instead."
  }
}

variable "pipeline_definition_file" {
  description = "Generated pipeline definition. Default: build/<environment>/pipeline-definition.json (from `make definition ENV=<env>`)."
  type        = string
  default     = null
}

variable "deployments_file" {
  description = "Rollout record written by the deploy workflow. Default: deployments/<environment>.json (key model_package_arn)."
  type        = string
  default     = null
}

variable "lambda_zip_file" {
  description = "deploy/ packaged for Lambda (approval.deploy_target = lambda). Default: build/lambda/deploy.zip (release/lambda_zip.py)."
  type        = string
  default     = null
}

variable "github_token_secret_name" {
  description = "Name of an existing Secrets Manager secret holding the GitHub token for repository_dispatch (approval.deploy_target = github). Default: <project>/<environment>/github-dispatch-token. The token itself is never a variable."
  type        = string
  default     = null

  validation {
    condition     = var.github_token_secret_name == null || can(regex("^[A-Za-z0-9/_+=.@:-]{1,512}$", var.github_token_secret_name))
    error_message = "github_token_secret_name must be a Secrets Manager secret name or ARN (letters, digits, /_+=.@-). Put the token in the secret, never in tfvars."
  }
}

variable "manage_image_repositories" {
  description = "Create the ECR repositories in this state. Set false in all but one environment when several environments share one account (the repository names are shared)."
  type        = bool
  default     = true
}

variable "registry_read_account_ids" {
  description = "AWS accounts that may read this environment's model registry (cross-account promotion to a later stage)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.registry_read_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "registry_read_account_ids must be a list of 12-digit AWS account ids."
  }
}

variable "alarm_latency_ms" {
  description = "Average model latency (ms) that trips the rollback alarm. Default: endpoint.smoke_test.max_latency_ms from the YAML."
  type        = number
  default     = null

  validation {
    condition     = var.alarm_latency_ms == null || try(var.alarm_latency_ms > 0 && var.alarm_latency_ms <= 60000, false)
    error_message = "alarm_latency_ms must be between 1 and 60000 milliseconds."
  }
}

variable "permissions_boundary_name" {
  description = "Name of the IAM policy bootstrap/ creates as permissions boundary for this environment's roles (<project>-<env>-boundary). null: no boundary (accounts without bootstrap)."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,128}$", var.permissions_boundary_name))
    error_message = "permissions_boundary_name must be an IAM policy name (the name, not the ARN), e.g. sagemaker-gitops-dev-boundary."
  }
}
