variable "environments" {
  description = "Environments whose GitHub roles this account hosts. One account for all: the default. One account per environment: run bootstrap in each account with that environment only."
  type        = list(string)
  default     = ["dev", "staging", "prod"]

  validation {
    condition     = length(var.environments) > 0 && alltrue([for env in var.environments : contains(["dev", "staging", "prod"], env)])
    error_message = "environments must be a non-empty list of dev, staging, prod (local has no AWS side)."
  }
}

variable "state_bucket_name" {
  description = "Name of the Terraform state bucket. Default: <project>-tfstate-<account_id>. Must match bucket in environments/<env>.backend.hcl."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name (3-63 of a-z, 0-9, '.', '-')."
  }
}

variable "create_oidc_provider" {
  description = "Create the GitHub Actions OIDC provider (false when the account already has token.actions.githubusercontent.com)."
  type        = bool
  default     = true
}

variable "create_plan_roles" {
  description = "Create read-only plan roles for pull requests (AWS_PLAN_ROLE_ARN_<ENV> in .github/workflows/pr-validation.yml)."
  type        = bool
  default     = true
}

variable "release_ref" {
  description = "The only git ref whose workflows may assume an environment's GitHub deploy role (the OIDC subject carries it: docs/infrastructure.md)."
  type        = string
  default     = "refs/heads/main"

  validation {
    condition     = can(regex("^refs/(heads|tags)/[A-Za-z0-9._/-]+$", var.release_ref))
    error_message = "release_ref must be a full git ref such as refs/heads/main."
  }
}
