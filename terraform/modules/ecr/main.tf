# ECR repositories for the job image (processing/training) and the inference image.
# Immutable tags: an image is referenced by a git-SHA tag or digest and never silently replaced.

variable "repositories" {
  description = "Map of purpose (job, inference) to repository name (resources.*_image_repository)."
  type        = map(string)

  validation {
    condition     = alltrue([for name in values(var.repositories) : can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", name))])
    error_message = "ECR repository names (resources.job_image_repository, resources.inference_image_repository) must be lowercase a-z, 0-9, '.', '_', '-', '/'."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the images."
  type        = string
}

variable "keep_tagged_images" {
  description = "How many tagged images each repository keeps (older ones expire)."
  type        = number
  default     = 30

  validation {
    condition     = var.keep_tagged_images >= 1
    error_message = "keep_tagged_images must be at least 1."
  }
}

variable "force_delete" {
  description = "Allow destroy to delete repositories that still hold images (storage.force_destroy)."
  type        = bool
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

resource "aws_ecr_repository" "this" {
  for_each             = var.repositories
  name                 = each.value
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  for_each   = aws_ecr_repository.this
  repository = each.value.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Untagged layers (failed or superseded pushes) go after 7 days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 7
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest ${var.keep_tagged_images} tagged images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.keep_tagged_images
        }
        action = { type = "expire" }
      },
    ]
  })
}

output "repository_urls" {
  description = "Map of purpose to repository URL."
  value       = { for key, repo in aws_ecr_repository.this : key => repo.repository_url }
}

output "repository_arns" {
  description = "Map of purpose to repository ARN."
  value       = { for key, repo in aws_ecr_repository.this : key => repo.arn }
}

output "encryption" {
  description = "KMS key of each repository."
  value       = { for key, repo in aws_ecr_repository.this : key => one(repo.encryption_configuration[*].kms_key) }
}

output "immutable" {
  description = "True when every repository has immutable tags and scan on push."
  value       = alltrue([for repo in aws_ecr_repository.this : repo.image_tag_mutability == "IMMUTABLE" && repo.image_scanning_configuration[0].scan_on_push])
}
