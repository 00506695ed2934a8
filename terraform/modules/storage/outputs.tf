output "kms_key_arn" {
  description = "ARN of the environment's KMS key."
  value       = aws_kms_key.this.arn
}

output "kms_key_alias" {
  description = "Alias of the environment's KMS key."
  value       = aws_kms_alias.this.name
}

output "bucket" {
  description = "Artifact bucket name."
  value       = aws_s3_bucket.artifacts.bucket
}

output "bucket_arn" {
  description = "Artifact bucket ARN."
  value       = aws_s3_bucket.artifacts.arn
}

output "log_bucket" {
  description = "Bucket receiving the artifact bucket's access logs."
  value       = aws_s3_bucket.logs.bucket
}

output "no_champion_key" {
  description = "Key of the NO_CHAMPION marker."
  value       = aws_s3_object.no_champion.key
}

output "lifecycle_rules" {
  description = "Expiry in days per prefix, as applied (for tests and docs)."
  value       = { for rule in aws_s3_bucket_lifecycle_configuration.artifacts.rule : rule.filter[0].prefix => rule.expiration[0].days if length(rule.expiration) > 0 }
}

output "force_destroy" {
  description = "Whether destroy may delete non-empty buckets."
  value       = aws_s3_bucket.artifacts.force_destroy
}

output "encryption" {
  description = "Key (or algorithm) protecting each store of this module."
  value = {
    artifact_bucket = one([for rule in aws_s3_bucket_server_side_encryption_configuration.artifacts.rule : one(rule.apply_server_side_encryption_by_default[*].kms_master_key_id)])
    no_champion     = aws_s3_object.no_champion.kms_key_id
  }
}

output "bucket_policy" {
  description = "Artifact bucket policy (JSON)."
  value       = aws_s3_bucket_policy.artifacts.policy
}

output "public_access_blocked" {
  description = "All four public-access blocks on both buckets."
  value = alltrue([
    for block in [aws_s3_bucket_public_access_block.artifacts, aws_s3_bucket_public_access_block.logs] :
    block.block_public_acls && block.block_public_policy && block.ignore_public_acls && block.restrict_public_buckets
  ])
}
