provider "aws" {
  region = local.region
  # Refuse to touch any account but the one environments/<env>.yaml names: credentials for the
  # wrong account fail before anything is planned.
  allowed_account_ids = [local.account_id]

  default_tags {
    tags = local.tags
  }
}
