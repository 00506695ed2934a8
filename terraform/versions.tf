terraform {
  # 1.10+: S3 backend native locking (use_lockfile); 1.7+: mock providers in `terraform test`.
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration: `terraform init -backend-config=../environments/<env>.backend.hcl`
  # (make plan/apply/destroy do this). One state per environment.
  backend "s3" {}
}
