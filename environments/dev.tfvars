# Terraform-only settings of dev. Every other value is in environments/dev.yaml (the single
# source of truth). Nothing secret belongs here: the GitHub token lives in Secrets Manager.
environment = "dev"

# Secrets Manager secret (name only) holding the GitHub token for repository_dispatch
# (approval.deploy_target: github). Create it once: see docs/infrastructure.md.
github_token_secret_name = "sagemaker-gitops/dev/github-dispatch-token"

# dev owns the shared ECR repositories (resources.*_image_repository have the same names in every
# environment). With one account per environment keep true everywhere; with one shared account set
# it to false in staging.tfvars and prod.tfvars.
manage_image_repositories = true

# Permissions boundary of every role this environment creates (terraform/bootstrap makes it; the
# GitHub deploy role may create roles only with it). Remove the line only without bootstrap.
permissions_boundary_name = "sagemaker-gitops-dev-boundary"
