variable "name" {
  description = "Project-and-environment name (e.g. sagemaker-gitops-dev); prefixes every role."
  type        = string
}

variable "environment" {
  description = "Environment name (dev, staging, prod): the GitHub Actions environment the deploy role trusts."
  type        = string
}

variable "account_id" {
  description = "AWS account id."
  type        = string
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose workflows deploy this environment."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name (environments/<env>.yaml)."
  }
}

variable "execution_role_name" {
  description = "Name of the SageMaker execution role (resources.execution_role_name); the pipeline definition embeds its ARN."
  type        = string
}

variable "bucket_arn" {
  description = "Artifact bucket ARN."
  type        = string
}

variable "prefix" {
  description = "The environment's prefix inside the bucket."
  type        = string
}

variable "kms_key_arn" {
  description = "The environment's KMS key."
  type        = string
}

variable "image_repository_names" {
  description = "ECR repositories the jobs and models pull from."
  type        = list(string)
}

variable "model_package_group" {
  description = "Model package group name."
  type        = string
}

variable "pipeline_name" {
  description = "SageMaker pipeline name."
  type        = string
}

variable "endpoint_name" {
  description = "Endpoint name; deploy/ names its models and endpoint configs <endpoint_name>-*."
  type        = string
}

variable "deploy_target" {
  description = "approval.deploy_target: github (OIDC-assumed deploy role) or lambda (the role also serves the Lambda)."
  type        = string

  validation {
    condition     = contains(["github", "lambda"], var.deploy_target)
    error_message = "approval.deploy_target must be github or lambda."
  }
}

variable "lambda_function_name" {
  description = "Name of the deploy Lambda (its log group is /aws/lambda/<name>)."
  type        = string
}

variable "dlq_name" {
  description = "Name of the approval dead-letter queue (the Lambda sends failed invocations there)."
  type        = string
}

variable "api_destination_name" {
  description = "Name of the EventBridge API destination the approval rule invokes (github target)."
  type        = string
}

variable "subnet_ids" {
  description = "VPC subnets for jobs and models (network.subnet_ids); empty means no VPC."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups for jobs and models (network.security_group_ids)."
  type        = list(string)
  default     = []
}

variable "tuning_enabled" {
  description = "pipeline.tuning.enabled: allow hyperparameter tuning jobs."
  type        = bool
  default     = false
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary set on every role (bootstrap/ creates it); null for none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "promote_source" {
  description = "approval.promote_from's environment (names from its YAML): the execution role reads its models (CreateModel) and the deploy role its packages. null = none."
  type = object({
    model_package_group = string
    bucket_arn          = string
    prefix              = string
    kms_key_alias       = string
  })
  default = null
}

variable "release_ref" {
  description = "The only git ref whose deploy workflow may assume the deploy role (the OIDC subject carries it)."
  type        = string
  default     = "refs/heads/main"
}
