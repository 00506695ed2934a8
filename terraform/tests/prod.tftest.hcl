# prod: strictest gate, never force_destroy, and an endpoint once deployments/prod.json names a package.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  # the apply-time helper (modules/approval/set_github_token.py) must not reach AWS
  python                   = "true"
  environment              = "prod"
  pipeline_definition_file = "tests/fixtures/prod/pipeline-definition.json"
  batch_definition_file    = "tests/fixtures/prod/batch-definition.json"
  deployments_file         = "tests/fixtures/prod/deployment.json"
}

# One apply, many assertions: each run re-plans the whole root, and `make test` has a time budget.
run "prod" {
  command = apply

  # --- prod protects data ---
  assert {
    condition     = module.storage.force_destroy == false
    error_message = "prod must never force_destroy its bucket"
  }
  assert {
    condition     = module.storage.public_access_blocked
    error_message = "both buckets must block every kind of public access"
  }
  assert {
    condition     = module.pipeline.tags["AccuracyThreshold"] == "0.94" && output.schedule_expression == "cron(0 2 ? * SUN *)"
    error_message = "prod's gate (0.94) and schedule (Sunday 02:00) must come from prod.yaml"
  }
  assert {
    condition     = module.storage.lifecycle_rules["prod/models/"] == 730
    error_message = "prod keeps models two years (storage.lifecycle_days.models)"
  }

  # --- prod endpoint from recorded package ---
  assert {
    condition     = output.endpoint_managed && module.endpoint[0].facts.model_package == "arn:aws:sagemaker:us-east-1:000000000000:model-package/sagemaker-gitops-prod/3"
    error_message = "the endpoint must serve deployments/prod.json's model_package_arn"
  }
  assert {
    condition     = module.endpoint[0].facts.instance_type == "ml.m5.large" && module.endpoint[0].facts.instance_count == 2 && module.endpoint[0].facts.min_capacity == 2 && module.endpoint[0].facts.max_capacity == 4
    error_message = "instances and autoscaling must come from prod.yaml's endpoint section"
  }
  assert {
    condition     = module.endpoint[0].facts.data_capture && module.endpoint[0].facts.sampling == 10
    error_message = "prod captures 10% of requests"
  }
  assert {
    condition     = module.endpoint[0].facts.canary_percent == 10 && module.endpoint[0].facts.rollback_alarms == sort(output.alarm_names)
    error_message = "blue/green canary with auto-rollback on both output alarms"
  }
  assert {
    condition     = module.endpoint[0].facts.network_isolation
    error_message = "network.enable_network_isolation must reach the model"
  }

  # --- prod encrypts everything with its key ---
  assert {
    condition = alltrue([
      for key_arn in concat(
        values(module.storage.encryption),
        values(module.ecr[0].encryption),
        values(module.triggers.encryption),
        values(module.alerts.encryption),
        values(module.approval.encryption),
        values(module.endpoint[0].encryption),
      ) : key_arn == output.kms_key_arn
    ])
    error_message = "bucket, marker, images, schedule, topic, DLQ, connection and endpoint must all use the environment's KMS key"
  }
  assert {
    condition     = module.ecr[0].immutable
    error_message = "ECR repositories must have immutable tags and scan on push"
  }

  # --- prod iam has no wildcard actions ---
  assert {
    condition = alltrue(flatten([
      for name, document in output.iam_policy_documents : [
        for statement in jsondecode(document).Statement : [
          for action in flatten([statement.Action]) : !strcontains(action, "*")
        ]
      ]
    ]))
    error_message = "no IAM policy may contain a wildcard action (\"*\", \"sagemaker:*\", \"s3:Get*\", ...)"
  }
  assert {
    condition = alltrue(flatten([
      for name, document in output.iam_policy_documents : [
        for statement in jsondecode(document).Statement :
        statement.Resource != "*" || contains([
          "EcrLogin", "SageMakerMetrics", "ListModelPackages", "ListModelsAndConfigs", "ReadEndpointMetrics", "DescribeNetwork", "LambdaDescribeNetwork",
        ], statement.Sid)
        if can(statement.Resource)
      ]
    ]))
    error_message = "a \"*\" resource is allowed only on the statements whose actions AWS cannot scope (each commented in modules/iam)"
  }
  assert {
    condition     = strcontains(output.iam_policy_documents.deploy_trust, "repo:your-org/sagemaker-gitops:environment:prod:ref:refs/heads/main")
    error_message = "the deploy role must trust only the repository's prod GitHub environment"
  }
  assert {
    condition     = jsondecode(output.iam_policy_documents.execution).Statement[index(jsondecode(output.iam_policy_documents.execution).Statement[*].Sid, "PassExecutionRoleToSageMakerOnly")].Resource == "arn:aws:iam::000000000000:role/sagemaker-gitops-prod-execution"
    error_message = "the execution role may pass only itself"
  }

  # --- prod promotes from staging (approval.promote_from): read-only access to staging ---
  assert {
    condition = (
      jsondecode(output.iam_policy_documents.execution).Statement[index(jsondecode(output.iam_policy_documents.execution).Statement[*].Sid, "ReadPromotedModels")].Resource
      == "arn:aws:s3:::${yamldecode(file("../environments/staging.yaml")).resources.artifact_bucket}/${yamldecode(file("../environments/staging.yaml")).resources.prefix}/models/*"
    )
    error_message = "prod's execution role must read staging's models (CreateModel of a promoted package), named from staging.yaml"
  }
  assert {
    condition = (
      jsondecode(output.iam_policy_documents.execution).Statement[index(jsondecode(output.iam_policy_documents.execution).Statement[*].Sid, "DecryptPromotedModels")].Condition["ForAnyValue:StringEquals"]["kms:ResourceAliases"]
      == yamldecode(file("../environments/staging.yaml")).resources.kms_key_alias
    )
    error_message = "prod's execution role may decrypt only the key carrying staging's alias"
  }
  assert {
    condition = (
      contains(jsondecode(output.iam_policy_documents.deploy).Statement[index(jsondecode(output.iam_policy_documents.deploy).Statement[*].Sid, "ReadPromotedRegistry")].Resource, "arn:aws:sagemaker:us-east-1:000000000000:model-package/${yamldecode(file("../environments/staging.yaml")).resources.model_package_group}/*")
      && strcontains(output.iam_policy_documents.deploy, "arn:aws:s3:::${yamldecode(file("../environments/staging.yaml")).resources.artifact_bucket}/${yamldecode(file("../environments/staging.yaml")).resources.prefix}/models/*")
      && jsondecode(output.iam_policy_documents.deploy).Statement[index(jsondecode(output.iam_policy_documents.deploy).Statement[*].Sid, "DecryptPromotedModels")].Action == "kms:Decrypt"
    )
    error_message = "prod's deploy (rollout) policy must describe staging's packages and read staging's models"
  }
  assert {
    condition     = !strcontains(output.iam_policy_documents.deploy, "${yamldecode(file("../environments/staging.yaml")).resources.artifact_bucket}/${yamldecode(file("../environments/staging.yaml")).resources.prefix}/champion")
    error_message = "promotion is read-only: prod must not touch staging's champion"
  }

  # --- prod approval rule filters approved and its group ---
  assert {
    condition     = jsondecode(module.approval.rule_pattern).detail.ModelApprovalStatus == ["Approved"]
    error_message = "the approval rule must fire on Approved only"
  }
  assert {
    condition     = jsondecode(module.approval.rule_pattern).detail.ModelPackageGroupName == ["sagemaker-gitops-prod"]
    error_message = "the approval rule must fire only for prod's model package group"
  }
  assert {
    condition     = jsondecode(module.approval.rule_pattern)["detail-type"] == ["SageMaker Model Package State Change"] && jsondecode(module.approval.rule_pattern).source == ["aws.sagemaker"]
    error_message = "the approval rule must match SageMaker Model Package State Change events"
  }

  # --- permissions boundary ---
  assert {
    condition     = alltrue([for boundary in values(module.iam.permissions_boundaries) : boundary == null])
    error_message = "without permissions_boundary_name the roles carry no boundary"
  }
}

run "prod_roles_carry_the_bootstrap_boundary" {
  command = apply
  variables {
    permissions_boundary_name = "sagemaker-gitops-prod-boundary"
  }
  assert {
    condition     = alltrue([for boundary in values(module.iam.permissions_boundaries) : boundary == "arn:aws:iam::000000000000:policy/sagemaker-gitops-prod-boundary"])
    error_message = "every role of the environment must carry the boundary bootstrap creates"
  }
}
