# S3 backend of prod: `make plan|apply|destroy ENV=prod` run
#   terraform -chdir=terraform init -backend-config=../environments/prod.backend.hcl
# The bucket and key alias are created once per account by terraform/bootstrap
# (bucket = <project>-tfstate-<account_id>); change them here if you named them differently.
bucket       = "sagemaker-gitops-tfstate-000000000000"
key          = "prod/terraform.tfstate"
region       = "us-east-1"
encrypt      = true
kms_key_id   = "alias/sagemaker-gitops-tfstate"
use_lockfile = true
