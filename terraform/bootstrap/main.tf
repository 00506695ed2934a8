# One-time, per-account configuration: the Terraform state bucket (versioned, KMS, TLS-only, no
# public access), the GitHub Actions OIDC provider, and per environment
#   <project>-<env>-github-deploy  trusted only by repo:<owner>/<repo>:environment:<env>
#                                  (AWS_DEPLOY_ROLE_ARN of that GitHub environment): terraform apply
#                                  of that environment, image push, pipeline start, model rollouts;
#   <project>-<env>-github-plan    trusted only by repo:<owner>/<repo>:pull_request, read-only
#                                  (AWS_PLAN_ROLE_ARN_<ENV>): terraform plan on pull requests.
# Every permission names this project's resources of that environment by ARN, the way
# environments/<env>.yaml names them; wildcards appear only in resource names (<project>-<env>-*)
# and as "*" resources where AWS has no resource type (commented).

locals {
  configs = { for env in var.environments : env => yamldecode(file("${path.module}/../../environments/${env}.yaml")) }
  first   = local.configs[var.environments[0]]

  project           = local.first.project
  region            = local.first.aws.region
  account_id        = tostring(local.first.aws.account_id)
  github_repository = local.first.github_repository
  state_bucket      = coalesce(var.state_bucket_name, "${local.project}-tfstate-${local.account_id}")
  oidc_host         = "token.actions.githubusercontent.com"
  oidc_arn          = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : "arn:aws:iam::${local.account_id}:oidc-provider/${local.oidc_host}"
}

# --- State bucket ---------------------------------------------------------------------------------

resource "aws_kms_key" "state" {
  description             = "${local.project}: Terraform state"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      # Key administration through IAM (the deploy/plan roles get use of the key by IAM policy).
      # In a key policy "Resource": "*" means this key.
      Sid       = "AccountAdministersKeyThroughIam"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${local.account_id}:root" }
      Action = [
        "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:DescribeKey", "kms:GetKeyPolicy",
        "kms:PutKeyPolicy", "kms:ListKeyPolicies", "kms:EnableKey", "kms:DisableKey", "kms:UpdateKeyDescription",
        "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
        "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
        "kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant", "kms:RetireGrant",
        "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey",
      ]
      Resource = "*"
    }]
  })
}

resource "aws_kms_alias" "state" {
  name          = "alias/${local.project}-tfstate"
  target_key_id = aws_kms_key.state.key_id
}

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_18:No server access logging: it would need a second, SSE-S3 log bucket per account. The template turns on no CloudTrail data events either; object reads and writes are limited to each environment's GitHub roles (policies.tf, proven by make proof). Add a trail with S3 data events for this bucket where object-level audit is required.
  #checkov:skip=CKV_AWS_144:State is small and versioned; cross-region replication is left to forks with DR requirements.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to state writes.
  bucket = local.state_bucket
  # No force_destroy: a bucket holding state cannot be deleted by `terraform destroy` (S3 refuses
  # a non-empty bucket). prevent_destroy is not used because `terraform test` must tear down.
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
    # No bucket key: S3 then passes each object's ARN as KMS encryption context, which lets
    # policies.tf limit every role's use of the key to its own environment's state objects.
    bucket_key_enabled = false
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    id     = "old-state-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 90
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
  depends_on = [aws_s3_bucket_versioning.state]
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*" # a Deny: refuses every S3 call made without TLS
      Resource  = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
      }, {
      # As for the artifact buckets: a write asking for another algorithm (AES256) is refused,
      # one without the header gets the bucket's KMS default (Null guard: a negated operator is
      # TRUE for a missing key). The S3 backend sends aws:kms with the state key's alias.
      Sid       = "DenyNonKmsUploads"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:PutObject"
      Resource  = "${aws_s3_bucket.state.arn}/*"
      Condition = {
        Null            = { "s3:x-amz-server-side-encryption" = "false" }
        StringNotEquals = { "s3:x-amz-server-side-encryption" = "aws:kms" }
      }
    }]
  })
  depends_on = [aws_s3_bucket_public_access_block.state]
}

# --- GitHub OIDC ----------------------------------------------------------------------------------

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
  # AWS validates GitHub's certificate through its own trust store; the thumbprint is kept for
  # tools that still read it (GitHub's published intermediate).
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}

resource "aws_iam_role" "deploy" {
  for_each             = local.configs
  name                 = "${local.project}-${each.key}-github-deploy"
  description          = "GitHub Actions environment ${each.key} of ${local.github_repository}: terraform apply, images, pipeline runs, rollouts"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.oidc_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        # The repository's OIDC subject carries the ref (docs/infrastructure.md, "Bootstrap"):
        # only the release branch reaches an environment, not a workflow_dispatch of any
        # branch that names it.
        StringEquals = {
          "${local.oidc_host}:aud" = "sts.amazonaws.com"
          "${local.oidc_host}:sub" = "repo:${each.value.github_repository}:environment:${each.key}:ref:${var.release_ref}"
        }
      }
    }]
  })
}

resource "aws_iam_role" "plan" {
  for_each             = var.create_plan_roles ? local.configs : {}
  name                 = "${local.project}-${each.key}-github-plan"
  description          = "Pull requests of ${local.github_repository}: read-only terraform plan of ${each.key}"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.oidc_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = { "${local.oidc_host}:aud" = "sts.amazonaws.com" }
        StringLike   = { "${local.oidc_host}:sub" = "repo:${each.value.github_repository}:pull_request:ref:refs/pull/*" }
      }
    }]
  })
}
