# Storage: the environment's KMS key and its artifact bucket (plus the bucket that receives the
# artifact bucket's access logs). Every object of the environment lives under s3://<bucket>/<prefix>/.

locals {
  account_root = "arn:aws:iam::${var.account_id}:root"
  log_bucket   = "${var.bucket_name}-logs"
  # Lifecycle rules, one per prefix of docs/interfaces.md that holds data with a natural lifetime.
  # code/ (content-addressed bundles) and champion/ (the deployed model) are never expired.
  expiring_prefixes = {
    raw       = var.lifecycle_days.raw
    processed = var.lifecycle_days.processed
    models    = var.lifecycle_days.models
    cache     = var.lifecycle_days.cache
  }
}

# --- KMS ------------------------------------------------------------------------------------------

resource "aws_kms_key" "this" {
  description             = "${var.name}: artifacts, images, registry, alerts and endpoint volumes"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = jsonencode(local.key_policy)
  tags                    = var.tags
}

locals {
  key_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # The account root as key administrator is what lets IAM policies grant use of the key;
        # without it the key becomes unmanageable. In a key policy "Resource": "*" means "this
        # key" (key policies cannot name other resources), so it is not a wildcard grant.
        Sid       = "AccountAdministersKeyThroughIam"
        Effect    = "Allow"
        Principal = { AWS = local.account_root }
        # Spelled out instead of kms:*: administration plus the data-key operations that IAM
        # policies (execution, deploy, Lambda roles) grant to this project's roles.
        Action = [
          "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:ListAliases",
          "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:ListKeyPolicies",
          "kms:EnableKey", "kms:DisableKey", "kms:UpdateKeyDescription",
          "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:GetKeyRotationStatus",
          "kms:RotateKeyOnDemand", "kms:ListKeyRotations",
          "kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant", "kms:RetireGrant",
          "kms:TagResource", "kms:UntagResource", "kms:ListResourceTags",
          "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
          "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
          "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
        ]
        Resource = "*"
      },
      {
        # Services that write encrypted messages for this account: EventBridge to the SQS
        # dead-letter queue and the SNS topic, CloudWatch alarms and SNS itself, EventBridge
        # Scheduler for schedule payloads. Confused-deputy guard: only on behalf of this account
        # (a service acting for another account's resource cannot use the key).
        Sid       = "AwsServicesEncryptForThisAccount"
        Effect    = "Allow"
        Principal = { Service = var.key_service_principals }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
        Resource  = "*" # key policy: "*" is this key only
        Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
      },
      {
        # CloudWatch Logs encrypts the deploy Lambda's log group (and any /aws/* group of this
        # account that names the key); the encryption context pins it to this account's groups.
        Sid       = "CloudWatchLogsOfThisAccount"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.region}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:DescribeKey"]
        Resource  = "*" # key policy: "*" is this key only
        Condition = {
          ArnLike      = { "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:${var.region}:${var.account_id}:log-group:*" }
          StringEquals = { "aws:SourceAccount" = var.account_id }
        }
      },
    ]
  }
}

resource "aws_kms_alias" "this" {
  name          = var.kms_key_alias
  target_key_id = aws_kms_key.this.key_id
}

# --- Artifact bucket ------------------------------------------------------------------------------

resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage cost; artifacts are reproducible from git + raw data. Enable per fork if required.
  #checkov:skip=CKV2_AWS_62:Event notifications go to EventBridge (aws_s3_bucket_notification below); checkov only recognises SNS/SQS/Lambda targets.
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "artifacts" {
  bucket        = aws_s3_bucket.artifacts.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/${var.bucket_name}/"

  # S3 checks that the logging service may write to the target before it accepts the setting.
  depends_on = [aws_s3_bucket_policy.logs]
}

# EventBridge notifications feed the "new data" trigger (modules/triggers).
resource "aws_s3_bucket_notification" "artifacts" {
  bucket      = aws_s3_bucket.artifacts.id
  eventbridge = true
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  dynamic "rule" {
    for_each = local.expiring_prefixes
    content {
      id     = "expire-${rule.key}"
      status = "Enabled"
      filter {
        prefix = "${var.prefix}/${rule.key}/"
      }
      expiration {
        days = rule.value
      }
      noncurrent_version_expiration {
        noncurrent_days = 7
      }
    }
  }

  rule {
    # Versioning keeps old champions and code bundles; old versions go after 30 days.
    id     = "noncurrent-versions"
    status = "Enabled"
    filter {
      prefix = "${var.prefix}/"
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }

  rule {
    # Bucket-wide: parts of failed uploads are never useful and are billed.
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*" # a Deny: refuses every S3 call made without TLS
        Resource  = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        # Uploads without an encryption header get the bucket default (this KMS key); an explicit
        # request for another algorithm (e.g. AES256) is refused. The Null guard matters: a negated
        # operator (StringNotEquals) is TRUE when the key is absent from the request, so without
        # it every header-less PutObject/CopyObject would be denied (IAM User Guide, "Condition
        # operators"). Proven both ways by `make proof` (@cloud-copilot/iam-simulate).
        Sid       = "DenyNonKmsUploads"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.artifacts.arn}/*"
        Condition = {
          Null            = { "s3:x-amz-server-side-encryption" = "false" }
          StringNotEquals = { "s3:x-amz-server-side-encryption" = "aws:kms" }
        }
      },
      {
        # SSE-KMS with another key (e.g. the account's aws/s3 key) would bypass this key's policy.
        # The definition names the key by its alias ARN (SageMaker sends that), Terraform by ARN.
        Sid       = "DenyOtherKmsKeys"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.artifacts.arn}/*"
        Condition = {
          Null            = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = "false" }
          StringNotEquals = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = [aws_kms_key.this.arn, aws_kms_alias.this.arn] }
        }
      },
    ]
  })
  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

# "No champion yet": the Evaluate step reads this marker (docs/interfaces.md). Approval/deploy
# replaces it with model.tar.gz; Terraform must not fight that, so later changes are ignored.
resource "aws_s3_object" "no_champion" {
  bucket                 = aws_s3_bucket.artifacts.id
  key                    = "${var.prefix}/champion/current/NO_CHAMPION"
  content                = "No approved model yet. Written by Terraform; replaced on the first approval.\n"
  content_type           = "text/plain"
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.this.arn
  tags                   = var.tags

  lifecycle {
    ignore_changes = [content, tags]
  }

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.artifacts]
}

# --- Access-log bucket ----------------------------------------------------------------------------

resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log target; logging it into itself would loop.
  #checkov:skip=CKV_AWS_144:Access logs are not replicated across regions (cost); they expire after a year.
  #checkov:skip=CKV2_AWS_62:No consumer reacts to new log objects; notifications would be noise.
  #checkov:skip=CKV_AWS_145:S3 server access logging delivers only to SSE-S3 buckets (SSE-KMS is unsupported for log targets).
  bucket        = local.log_bucket
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256" # the only encryption S3 server access logging supports
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = 365
    }
    noncurrent_version_expiration {
      noncurrent_days = 7
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
  depends_on = [aws_s3_bucket_versioning.logs]
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "S3ServerAccessLogsFromArtifactBucket"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.logs.arn}/s3/${var.bucket_name}/*"
        Condition = {
          ArnLike      = { "aws:SourceArn" = aws_s3_bucket.artifacts.arn }
          StringEquals = { "aws:SourceAccount" = var.account_id }
        }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*" # a Deny: refuses every S3 call made without TLS
        Resource  = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
  depends_on = [aws_s3_bucket_public_access_block.logs]
}
