# Terraform-only settings of staging. Every other value is in environments/staging.yaml (the single
# source of truth). Nothing secret belongs here: the GitHub token lives in Secrets Manager.
environment = "staging"

# Secrets Manager secret (name only) holding the GitHub token for repository_dispatch
# (approval.deploy_target: github). Create it once: see docs/infrastructure.md.
github_token_secret_name = "sagemaker-gitops/staging/github-dispatch-token"

# true: this environment's account owns its ECR repositories (one account per environment).
# Set false when every environment shares one account: dev then owns the repositories.
manage_image_repositories = true

# Permissions boundary of every role this environment creates (terraform/bootstrap makes it; the
# GitHub deploy role may create roles only with it). Remove the line only without bootstrap.
permissions_boundary_name = "sagemaker-gitops-staging-boundary"
