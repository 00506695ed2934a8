terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Local state on purpose: this configuration creates the bucket every other state lives in.
  # Run it once per account by a person with administrator rights, keep terraform.tfstate safe
  # (or migrate it into the new bucket: see docs/infrastructure.md, "Bootstrap").
}

provider "aws" {
  region              = local.region
  allowed_account_ids = [local.account_id]

  default_tags {
    tags = {
      Project    = local.project
      ManagedBy  = "terraform-bootstrap"
      Repository = local.github_repository
    }
  }
}
