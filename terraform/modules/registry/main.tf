# The environment's model registry: one model package group. Optionally readable from other
# accounts, so a later environment in another account can promote (copy) an approved package.

variable "name" {
  description = "Model package group name (resources.model_package_group)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.name))
    error_message = "resources.model_package_group must be 1-63 characters of letters, digits and single hyphens."
  }
}

variable "description" {
  description = "Description shown in the registry."
  type        = string
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "account_id" {
  description = "Owning account."
  type        = string
}

variable "read_account_ids" {
  description = "Other AWS accounts allowed to describe and list this group's packages (cross-account promotion)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.read_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "registry_read_account_ids entries must be 12-digit AWS account ids."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

resource "aws_sagemaker_model_package_group" "this" {
  model_package_group_name        = var.name
  model_package_group_description = var.description
  tags                            = var.tags
}

locals {
  group_arn    = "arn:aws:sagemaker:${var.region}:${var.account_id}:model-package-group/${var.name}"
  packages_arn = "arn:aws:sagemaker:${var.region}:${var.account_id}:model-package/${var.name}/*"
}

resource "aws_sagemaker_model_package_group_policy" "cross_account_read" {
  count                    = length(var.read_account_ids) > 0 ? 1 : 0
  model_package_group_name = aws_sagemaker_model_package_group.this.model_package_group_name
  resource_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "CrossAccountReadForPromotion"
        Effect    = "Allow"
        Principal = { AWS = [for id in var.read_account_ids : "arn:aws:iam::${id}:root"] }
        Action    = ["sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"]
        Resource  = [local.group_arn, local.packages_arn]
      },
    ]
  })
}

output "name" {
  description = "Model package group name."
  value       = aws_sagemaker_model_package_group.this.model_package_group_name
}

output "arn" {
  description = "Model package group ARN."
  value       = aws_sagemaker_model_package_group.this.arn
}

output "cross_account_policy" {
  description = "The resource policy (null when no account may read)."
  value       = try(aws_sagemaker_model_package_group_policy.cross_account_read[0].resource_policy, null)
}
