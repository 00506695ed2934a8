variable "name" {
  description = "Project-and-environment name used for every resource this module creates (e.g. sagemaker-gitops-dev)."
  type        = string
}

variable "account_id" {
  description = "AWS account that owns the key and the bucket (12 digits)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits (aws.account_id in environments/<env>.yaml, quoted)."
  }
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "kms_key_alias" {
  description = "Alias of the environment's KMS key (resources.kms_key_alias), e.g. alias/sagemaker-gitops-dev."
  type        = string

  validation {
    condition     = can(regex("^alias/[a-zA-Z0-9/_-]+$", var.kms_key_alias)) && !startswith(var.kms_key_alias, "alias/aws/")
    error_message = "resources.kms_key_alias must look like alias/<name> and must not use the reserved alias/aws/ prefix."
  }
}

variable "bucket_name" {
  description = "Artifact bucket (resources.artifact_bucket)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,56}[a-z0-9]$", var.bucket_name))
    error_message = "resources.artifact_bucket must be 3-58 characters of a-z, 0-9, '.', '-' (58, not 63: the access-log bucket appends '-logs')."
  }
}

variable "prefix" {
  description = "The environment's key prefix inside the bucket (resources.prefix); every object lives under it."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]*$", var.prefix))
    error_message = "resources.prefix must be a single path segment of a-z, 0-9 and '-' (no slashes)."
  }
}

variable "lifecycle_days" {
  description = "Days before objects expire, per prefix (storage.lifecycle_days): raw, processed, models, cache."
  type = object({
    raw       = number
    processed = number
    models    = number
    cache     = number
  })

  validation {
    condition     = alltrue([for days in values(var.lifecycle_days) : days >= 1 && floor(days) == days])
    error_message = "storage.lifecycle_days values must be whole numbers of days, at least 1."
  }
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete a non-empty bucket (storage.force_destroy). Never true in prod."
  type        = bool
}

variable "key_service_principals" {
  description = "AWS services that encrypt with the key on this account's behalf (SNS publishers, SQS senders, CloudWatch alarms)."
  type        = list(string)
  default     = ["events.amazonaws.com", "cloudwatch.amazonaws.com", "sns.amazonaws.com", "scheduler.amazonaws.com"]
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
