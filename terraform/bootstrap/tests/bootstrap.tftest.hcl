# bootstrap/ with the committed environments: state bucket, OIDC, GitHub roles.

mock_provider "aws" {
  source = "../tests/mocks"
}

# One apply, many assertions (each run costs a full plan).
run "bootstrap" {
  command = apply

  # --- state bucket is private versioned encrypted ---
  assert {
    condition     = output.state_bucket == "sagemaker-gitops-tfstate-000000000000"
    error_message = "default state bucket is <project>-tfstate-<account>"
  }
  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "state must be versioned"
  }
  assert {
    condition     = one([for rule in aws_s3_bucket_server_side_encryption_configuration.state.rule : one(rule.apply_server_side_encryption_by_default[*].kms_master_key_id)]) == aws_kms_key.state.arn
    error_message = "state must be encrypted with the state KMS key"
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.state.block_public_acls && aws_s3_bucket_public_access_block.state.block_public_policy && aws_s3_bucket_public_access_block.state.ignore_public_acls && aws_s3_bucket_public_access_block.state.restrict_public_buckets
    error_message = "state bucket must block public access"
  }
  assert {
    condition     = jsondecode(aws_s3_bucket_policy.state.policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false" && jsondecode(aws_s3_bucket_policy.state.policy).Statement[0].Effect == "Deny"
    error_message = "state bucket must refuse non-TLS requests"
  }

  # --- github roles trust only their environment ---
  assert {
    condition = alltrue([for env, role in aws_iam_role.deploy :
      jsondecode(role.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:your-org/sagemaker-gitops:environment:${env}:ref:refs/heads/main"
    ])
    error_message = "each deploy role must trust only repo:<owner>/<repo>:environment:<env>"
  }
  assert {
    condition = alltrue([for env, role in aws_iam_role.deploy :
      jsondecode(role.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    ])
    error_message = "the OIDC audience must be sts.amazonaws.com"
  }
  assert {
    condition     = keys(aws_iam_role.deploy) == ["dev", "prod", "staging"] && aws_iam_role.deploy["prod"].name == "sagemaker-gitops-prod-github-deploy"
    error_message = "one deploy role per environment, named <project>-<env>-github-deploy"
  }

  # --- github policies are scoped and fit ---
  assert {
    condition = alltrue(flatten([for key, document in output.documents : [
      for statement in jsondecode(document).Statement : [for action in flatten([statement.Action]) : !strcontains(action, "*")]
    ]]))
    error_message = "no wildcard actions in the GitHub roles' policies"
  }
  assert {
    condition     = alltrue([for key, document in output.documents : length(document) < 6144])
    error_message = "each managed policy must stay below IAM's 6,144-character limit"
  }
  assert {
    condition = alltrue(flatten([for key, document in output.documents : [
      for statement in jsondecode(document).Statement : statement.Effect == "Deny" || length(setintersection(toset(flatten([statement.Action])), toset(["s3:PutObject", "s3:DeleteObject", "kms:GenerateDataKey", "kms:Encrypt", "secretsmanager:GetSecretValue"]))) == 0 || strcontains(key, "deploy") || strcontains(key, "/boundary/")
    ]]))
    error_message = "plan roles write nothing (not even the state lock: make plan runs -lock=false) and never read the GitHub token"
  }
  assert {
    condition     = jsondecode(output.documents["dev/storage/plan"]).Statement[index(jsondecode(output.documents["dev/storage/plan"]).Statement[*].Sid, "TerraformStateKey")].Condition.StringEquals["kms:ViaService"] == "s3.us-east-1.amazonaws.com"
    error_message = "the state key is usable only through S3 (and, by encryption context, only for the environment's own state)"
  }
  assert {
    condition = alltrue([for statement in jsondecode(output.documents["dev/storage/deploy"]).Statement :
      try(statement.Condition.Bool["kms:GrantIsForAWSResource"], "") == "true"
      if contains(flatten([statement.Action]), "kms:CreateGrant")
    ])
    error_message = "kms:CreateGrant only for AWS resources (kms:GrantIsForAWSResource)"
  }
  assert {
    condition = alltrue(flatten([for key, document in output.documents : [
      for statement in jsondecode(document).Statement : statement.Resource != ["*"] || contains(["CreateEnvironmentKey", "ListKeyAliases", "EcrLogin", "DescribeLogGroups", "EndpointAutoscalingRead", "AccountWideReads"], statement.Sid)
    ]]))
    error_message = "a \"*\" resource only on statements whose actions AWS cannot scope"
  }
  assert {
    condition     = strcontains(output.documents["prod/ml/deploy"], "DenySelfEscalation") && strcontains(output.documents["prod/ml/deploy"], "KeepBoundaries")
    error_message = "GitHub roles must not be able to rewrite their own policies or lift a boundary"
  }
  assert {
    condition = alltrue([for statement in jsondecode(output.documents["dev/ml/deploy"]).Statement :
      try(statement.Condition.StringEquals["iam:PermissionsBoundary"], "") == "arn:aws:iam::000000000000:policy/sagemaker-gitops-dev-boundary"
      if statement.Effect == "Allow" && length(setintersection(toset(flatten([statement.Action])), toset(["iam:CreateRole", "iam:PutRolePolicy"]))) > 0
    ])
    error_message = "the deploy role may create roles and write their policies only with the environment's boundary"
  }
  assert {
    condition     = output.permissions_boundary_names["staging"] == "sagemaker-gitops-staging-boundary" && strcontains(output.documents["staging/boundary/boundary"], "arn:aws:s3:::sagemaker-gitops-staging-artifacts-000000000000/staging/*")
    error_message = "each environment gets its own boundary, scoped to its own resources"
  }
}

run "bootstrap_refuses_local" {
  command = plan
  variables {
    environments = ["local"]
  }
  expect_failures = [var.environments]
}
