# Terraform-only settings of prod. Every other value is in environments/prod.yaml (the single
# source of truth). Nothing secret belongs here: the GitHub token lives in Secrets Manager.
environment = "prod"

# Secrets Manager secret (name only) holding the GitHub token for repository_dispatch
# (approval.deploy_target: github). Create it once: see docs/infrastructure.md.
github_token_secret_name = "sagemaker-gitops/prod/github-dispatch-token"

# true: this environment's account owns its ECR repositories (one account per environment).
# Set false when every environment shares one account: dev then owns the repositories.
manage_image_repositories = true

# Accounts allowed to read prod's model registry (cross-account promotion); none by default.
registry_read_account_ids = []

# Permissions boundary of every role this environment creates (terraform/bootstrap makes it; the
# GitHub deploy role may create roles only with it). Remove the line only without bootstrap.
permissions_boundary_name = "sagemaker-gitops-prod-boundary"
