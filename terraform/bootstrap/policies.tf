# Permissions of the per-environment GitHub roles. Each grant lists the actions a read-only
# `terraform plan` needs (read) and those `terraform apply`/`destroy` add (write): the plan role gets
# read, the deploy role both. Resources are this environment's, by name from its YAML.

locals {
  grants = { for env, cfg in local.configs : env => {
    name   = "${cfg.project}-${env}"
    bucket = cfg.resources.artifact_bucket
    r      = cfg.resources
    arn = {
      sm       = "arn:aws:sagemaker:${cfg.aws.region}:${cfg.aws.account_id}"
      events   = "arn:aws:events:${cfg.aws.region}:${cfg.aws.account_id}"
      logs     = "arn:aws:logs:${cfg.aws.region}:${cfg.aws.account_id}"
      iam      = "arn:aws:iam::${cfg.aws.account_id}"
      kms      = "arn:aws:kms:${cfg.aws.region}:${cfg.aws.account_id}"
      regional = "${cfg.aws.region}:${cfg.aws.account_id}"
    }
  } }

  statements = { for env, g in local.grants : env => [
    {
      sid   = "TerraformState"
      read  = ["s3:GetObject"]
      write = ["s3:PutObject", "s3:DeleteObject"]
      # <env>/terraform.tfstate and its lock file <env>/terraform.tfstate.tflock (use_lockfile)
      resources = ["${aws_s3_bucket.state.arn}/${env}/*"]
    },
    {
      sid       = "TerraformStateList"
      read      = ["s3:ListBucket"]
      write     = []
      resources = [aws_s3_bucket.state.arn]
    },
    {
      # Only through S3 and only for this environment's state objects (the state bucket has no
      # bucket key, so S3 passes the object ARN as encryption context). The plan role may decrypt
      # its environment's state, which holds no secret (modules/approval keeps the GitHub token
      # out of it); it cannot write the state, take the lock or use the key directly.
      sid       = "TerraformStateKey"
      read      = ["kms:Decrypt"]
      write     = ["kms:GenerateDataKey"]
      resources = [aws_kms_key.state.arn]
      condition = {
        StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" }
        StringLike   = { "kms:EncryptionContext:aws:s3:arn" = "${aws_s3_bucket.state.arn}/${env}/terraform.tfstate*" }
      }
    },
    {
      sid = "ArtifactBuckets"
      read = [
        "s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketWebsite",
        "s3:GetBucketVersioning", "s3:GetAccelerateConfiguration", "s3:GetBucketRequestPayment", "s3:GetBucketLogging",
        "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration",
        "s3:GetBucketObjectLockConfiguration", "s3:GetBucketTagging", "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketOwnershipControls", "s3:GetBucketNotification", "s3:ListBucketVersions",
      ]
      write = [
        "s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketVersioning", "s3:PutBucketLogging", "s3:PutLifecycleConfiguration",
        "s3:PutEncryptionConfiguration", "s3:PutBucketTagging", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
        "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls", "s3:PutBucketNotification", "s3:PutBucketAcl",
      ]
      resources = ["arn:aws:s3:::${g.bucket}", "arn:aws:s3:::${g.bucket}-logs"]
    },
    {
      # The NO_CHAMPION marker, code bundles (make deploy) and force_destroy's emptying of dev buckets.
      sid       = "ArtifactObjects"
      read      = ["s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectAcl", "s3:GetObjectVersion"]
      write     = ["s3:PutObject", "s3:PutObjectTagging", "s3:DeleteObject", "s3:DeleteObjectVersion"]
      resources = ["arn:aws:s3:::${g.bucket}/*", "arn:aws:s3:::${g.bucket}-logs/*"]
    },
    {
      sid   = "CreateEnvironmentKey"
      read  = []
      write = ["kms:CreateKey"]
      # required: CreateKey has no resource (the key does not exist yet); only with this environment's tags
      resources = ["*"]
      condition = { StringEquals = { "aws:RequestTag/Environment" = env, "aws:RequestTag/Project" = local.project } }
    },
    {
      sid  = "ManageEnvironmentKey"
      read = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
      write = [
        "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
        "kms:UpdateKeyDescription", "kms:CreateAlias", "kms:DeleteAlias", "kms:RetireGrant",
        "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey",
      ]
      resources = ["${g.arn.kms}:key/*"]
      condition = { StringEquals = { "aws:ResourceTag/Environment" = env, "aws:ResourceTag/Project" = local.project } }
    },
    {
      # Services the apply configures (SQS, SNS, Lambda, SageMaker) create grants on the key for
      # their own use; a grant for anything else (a person, another role) is refused.
      sid       = "EnvironmentKeyGrantsForAwsResources"
      read      = []
      write     = ["kms:CreateGrant"]
      resources = ["${g.arn.kms}:key/*"]
      condition = {
        StringEquals = { "aws:ResourceTag/Environment" = env, "aws:ResourceTag/Project" = local.project }
        Bool         = { "kms:GrantIsForAWSResource" = "true" }
      }
    },
    {
      sid       = "EnvironmentKeyAlias"
      read      = []
      write     = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
      resources = ["${g.arn.kms}:${g.r.kms_key_alias}"]
    },
    {
      sid       = "ListKeyAliases"
      read      = ["kms:ListAliases"]
      write     = []
      resources = ["*"] # required: ListAliases has no resource type
    },
    {
      sid = "EnvironmentRoles"
      read = [
        "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
        "iam:ListInstanceProfilesForRole", "iam:ListRoleTags",
      ]
      write = [
        "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
        "iam:TagRole", "iam:UntagRole", "iam:DeleteRolePolicy",
      ]
      # The roles modules/iam creates; the GitHub roles themselves are excluded by DenySelfEscalation.
      resources = ["${g.arn.iam}:role/${g.name}-*", "${g.arn.iam}:role/${g.r.execution_role_name}"]
    },
    {
      # Creating a role or writing its policy only with the environment's permissions boundary:
      # whatever policy the deploy role writes, the role can never exceed the boundary.
      sid       = "BoundedEnvironmentRoles"
      read      = []
      write     = ["iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"]
      resources = ["${g.arn.iam}:role/${g.name}-*", "${g.arn.iam}:role/${g.r.execution_role_name}"]
      condition = { StringEquals = { "iam:PermissionsBoundary" = "${g.arn.iam}:policy/${g.name}-boundary" } }
    },
    {
      sid       = "PassEnvironmentRoles"
      read      = []
      write     = ["iam:PassRole"]
      resources = ["${g.arn.iam}:role/${g.name}-*", "${g.arn.iam}:role/${g.r.execution_role_name}"]
      condition = { StringEquals = { "iam:PassedToService" = ["sagemaker.amazonaws.com", "scheduler.amazonaws.com", "events.amazonaws.com", "lambda.amazonaws.com"] } }
    },
    {
      # Endpoint autoscaling runs through this service-linked role; only that one may be created.
      sid       = "AutoscalingServiceLinkedRole"
      read      = []
      write     = ["iam:CreateServiceLinkedRole"]
      resources = ["${g.arn.iam}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/*"]
      condition = { StringEquals = { "iam:AWSServiceName" = "sagemaker.application-autoscaling.amazonaws.com" } }
    },
    {
      sid = "SageMakerResources"
      read = [
        "sagemaker:DescribePipeline", "sagemaker:DescribeModelPackageGroup", "sagemaker:GetModelPackageGroupPolicy",
        "sagemaker:DescribeModel", "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeEndpoint", "sagemaker:ListTags",
        "sagemaker:DescribeModelPackage", "sagemaker:DescribePipelineExecution", "sagemaker:ListPipelineExecutions",
      ]
      write = [
        "sagemaker:CreatePipeline", "sagemaker:UpdatePipeline", "sagemaker:DeletePipeline", "sagemaker:StartPipelineExecution",
        "sagemaker:CreateModelPackageGroup", "sagemaker:DeleteModelPackageGroup", "sagemaker:PutModelPackageGroupPolicy",
        "sagemaker:DeleteModelPackageGroupPolicy", "sagemaker:CreateModel", "sagemaker:DeleteModel",
        "sagemaker:CreateEndpointConfig", "sagemaker:DeleteEndpointConfig", "sagemaker:CreateEndpoint",
        "sagemaker:UpdateEndpoint", "sagemaker:DeleteEndpoint", "sagemaker:AddTags", "sagemaker:DeleteTags",
      ]
      resources = [
        "${g.arn.sm}:pipeline/${lower(g.r.pipeline_name)}", "${g.arn.sm}:pipeline/${lower(g.r.pipeline_name)}/execution/*",
        # the batch pipeline of modules/batch (found by make proof)
        "${g.arn.sm}:pipeline/${lower(g.r.pipeline_name)}-batch", "${g.arn.sm}:pipeline/${lower(g.r.pipeline_name)}-batch/execution/*",
        "${g.arn.sm}:model-package-group/${g.r.model_package_group}", "${g.arn.sm}:model-package/${g.r.model_package_group}/*",
        "${g.arn.sm}:model/${lower(g.r.endpoint_name)}*", "${g.arn.sm}:endpoint-config/${lower(g.r.endpoint_name)}*",
        "${g.arn.sm}:endpoint/${lower(g.r.endpoint_name)}",
      ]
    },
    {
      # modules/monitoring: Model Monitor's data-quality job definition and schedule of the
      # endpoint (created once deployments/<env>.json names a package; found by make proof)
      sid   = "ModelMonitorSchedule"
      read  = ["sagemaker:DescribeDataQualityJobDefinition", "sagemaker:DescribeMonitoringSchedule", "sagemaker:ListTags"]
      write = ["sagemaker:CreateDataQualityJobDefinition", "sagemaker:DeleteDataQualityJobDefinition", "sagemaker:CreateMonitoringSchedule", "sagemaker:UpdateMonitoringSchedule", "sagemaker:DeleteMonitoringSchedule", "sagemaker:AddTags", "sagemaker:DeleteTags"]
      resources = [
        "${g.arn.sm}:data-quality-job-definition/${lower(g.name)}-data-quality",
        "${g.arn.sm}:monitoring-schedule/${lower(g.name)}-data-quality",
      ]
    },
    {
      sid  = "ImageRepositories"
      read = ["ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "ecr:ListTagsForResource", "ecr:DescribeImages"]
      write = [
        "ecr:CreateRepository", "ecr:DeleteRepository", "ecr:PutLifecyclePolicy", "ecr:DeleteLifecyclePolicy",
        "ecr:TagResource", "ecr:UntagResource", "ecr:PutImageTagMutability", "ecr:PutImageScanningConfiguration",
        # image push by the release workflow
        "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
        "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
      ]
      resources = ["arn:aws:ecr:${g.arn.regional}:repository/${g.r.job_image_repository}", "arn:aws:ecr:${g.arn.regional}:repository/${g.r.inference_image_repository}"]
    },
    {
      sid       = "EcrLogin"
      read      = []
      write     = ["ecr:GetAuthorizationToken"]
      resources = ["*"] # required: GetAuthorizationToken has no resource type
    },
    {
      sid  = "EventRulesConnectionsDestinations"
      read = ["events:DescribeRule", "events:ListTargetsByRule", "events:ListTagsForResource", "events:DescribeConnection", "events:DescribeApiDestination"]
      write = [
        "events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets", "events:TagResource", "events:UntagResource",
        "events:CreateConnection", "events:UpdateConnection", "events:DeleteConnection",
        "events:CreateApiDestination", "events:UpdateApiDestination", "events:DeleteApiDestination",
      ]
      resources = ["${g.arn.events}:rule/${g.name}-*", "${g.arn.events}:connection/${g.name}-*", "${g.arn.events}:api-destination/${g.name}-*"]
    },
    {
      # EventBridge keeps a connection's credential in a secret it manages, with the caller's rights.
      sid       = "ConnectionManagedSecret"
      read      = ["secretsmanager:DescribeSecret"]
      write     = ["secretsmanager:CreateSecret", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret"]
      resources = ["arn:aws:secretsmanager:${g.arn.regional}:secret:events!connection/${g.name}-*"]
    },
    {
      # The GitHub token: a plan sees only its version ids (modules/approval replaces the token
      # when AWSCURRENT moves); only the apply reads the value, outside Terraform's state.
      sid       = "GithubTokenSecret"
      read      = ["secretsmanager:DescribeSecret", "secretsmanager:ListSecretVersionIds"]
      write     = ["secretsmanager:GetSecretValue"]
      resources = ["arn:aws:secretsmanager:${g.arn.regional}:secret:${local.project}/${env}/*"]
    },
    {
      sid       = "Schedules"
      read      = ["scheduler:GetSchedule", "scheduler:ListTagsForResource"]
      write     = ["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule", "scheduler:TagResource", "scheduler:UntagResource"]
      resources = ["arn:aws:scheduler:${g.arn.regional}:schedule/default/${g.name}-*"]
    },
    {
      sid       = "AlertsTopic"
      read      = ["sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:GetSubscriptionAttributes", "sns:ListSubscriptionsByTopic"]
      write     = ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource", "sns:Subscribe", "sns:Unsubscribe"]
      resources = ["arn:aws:sns:${g.arn.regional}:${g.name}-*"]
    },
    {
      sid       = "DeadLetterQueue"
      read      = ["sqs:GetQueueAttributes", "sqs:ListQueueTags", "sqs:GetQueueUrl"]
      write     = ["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"]
      resources = ["arn:aws:sqs:${g.arn.regional}:${g.name}-*"]
    },
    {
      sid       = "Alarms"
      read      = ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"]
      write     = ["cloudwatch:PutMetricAlarm", "cloudwatch:PutCompositeAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource"]
      resources = ["arn:aws:cloudwatch:${g.arn.regional}:alarm:${g.name}-*", "arn:aws:cloudwatch:${g.arn.regional}:alarm:${g.r.endpoint_name}-*"]
    },
    {
      sid       = "LambdaLogGroup"
      read      = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"]
      write     = ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup"]
      resources = ["${g.arn.logs}:log-group:/aws/lambda/${g.name}-*"]
    },
    {
      sid       = "DescribeLogGroups"
      read      = ["logs:DescribeLogGroups"]
      write     = []
      resources = ["*"] # required: DescribeLogGroups is authorized on the account, not a group
    },
    {
      sid  = "DeployLambda"
      read = ["lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetPolicy", "lambda:ListVersionsByFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency", "lambda:GetFunctionEventInvokeConfig", "lambda:ListTags"]
      write = [
        "lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
        "lambda:AddPermission", "lambda:RemovePermission", "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency",
        "lambda:PutFunctionEventInvokeConfig", "lambda:UpdateFunctionEventInvokeConfig", "lambda:DeleteFunctionEventInvokeConfig",
        "lambda:TagResource", "lambda:UntagResource",
      ]
      resources = ["arn:aws:lambda:${g.arn.regional}:function:${g.name}-*"]
    },
    {
      sid   = "EndpointAutoscalingRead"
      read  = ["application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies"]
      write = []
      # required: the Describe calls have no resource type
      resources = ["*"]
    },
    {
      # Creating (registering) a SageMaker scalable target only with this environment's tags.
      sid       = "EndpointAutoscalingRegister"
      read      = []
      write     = ["application-autoscaling:RegisterScalableTarget", "application-autoscaling:TagResource"]
      resources = ["arn:aws:application-autoscaling:${g.arn.regional}:scalable-target/*"]
      condition = {
        StringEquals = {
          "application-autoscaling:service-namespace" = "sagemaker"
          "aws:RequestTag/Environment"                = env
          "aws:RequestTag/Project"                    = local.project
        }
      }
    },
    {
      # Changing or removing a scalable target or its policies only when it carries this
      # environment's tags (scalable-target ARNs hold a generated id, not the endpoint name).
      sid  = "EndpointAutoscalingOfThisEnvironment"
      read = ["application-autoscaling:ListTagsForResource"]
      write = [
        "application-autoscaling:RegisterScalableTarget", "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:UntagResource",
      ]
      resources = ["arn:aws:application-autoscaling:${g.arn.regional}:scalable-target/*"]
      condition = { StringEquals = { "aws:ResourceTag/Environment" = env, "aws:ResourceTag/Project" = local.project } }
    },
  ] }
}


locals {
  # Grants split across managed policies (each below the 6,144-character limit).
  policy_groups = {
    storage = ["TerraformState", "TerraformStateList", "TerraformStateKey", "ArtifactBuckets", "ArtifactObjects", "CreateEnvironmentKey", "ManageEnvironmentKey", "EnvironmentKeyAlias", "ListKeyAliases", "EnvironmentKeyGrantsForAwsResources"]
    ml      = ["EnvironmentRoles", "BoundedEnvironmentRoles", "PassEnvironmentRoles", "AutoscalingServiceLinkedRole", "SageMakerResources", "ImageRepositories", "EcrLogin", "EndpointAutoscalingRead", "EndpointAutoscalingRegister", "EndpointAutoscalingOfThisEnvironment"]
    events  = ["ModelMonitorSchedule", "EventRulesConnectionsDestinations", "ConnectionManagedSecret", "GithubTokenSecret", "Schedules", "AlertsTopic", "DeadLetterQueue", "Alarms", "LambdaLogGroup", "DescribeLogGroups", "DeployLambda"]
  }

  documents = { for pair in setproduct(keys(local.statements), keys(local.policy_groups), ["deploy", "plan"]) :
    "${pair[0]}/${pair[1]}/${pair[2]}" => {
      Version = "2012-10-17"
      Statement = concat(
        [for grant in local.statements[pair[0]] : merge(
          {
            Sid      = grant.sid
            Effect   = "Allow"
            Action   = pair[2] == "deploy" ? concat(grant.read, grant.write) : grant.read
            Resource = grant.resources
          },
          { for key, value in { Condition = try(grant.condition, null) } : key => value if value != null },
        ) if contains(local.policy_groups[pair[1]], grant.sid) && length(pair[2] == "deploy" ? concat(grant.read, grant.write) : grant.read) > 0],
        # The GitHub roles may manage the environment's roles but never themselves.
        pair[1] == "ml" && pair[2] == "deploy" ? [{
          Sid    = "DenySelfEscalation"
          Effect = "Deny"
          Action = [
            "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
            "iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:UpdateRole", "iam:TagRole", "iam:UntagRole",
          ]
          Resource = ["arn:aws:iam::${local.account_id}:role/${local.project}-*-github-*"]
          }, {
          # Nor lift or edit the boundary of any role, nor change the boundary policies.
          Sid      = "KeepBoundaries"
          Effect   = "Deny"
          Action   = ["iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion"]
          Resource = ["arn:aws:iam::${local.account_id}:role/*", "arn:aws:iam::${local.account_id}:policy/${local.project}-*"]
        }] : [],
      )
    }
  }
}

resource "aws_iam_policy" "github" {
  for_each    = { for key, document in local.documents : key => document if split("/", key)[2] == "deploy" || var.create_plan_roles }
  name        = "${local.project}-${replace(each.key, "/", "-")}"
  description = "GitHub ${split("/", each.key)[2]} role of ${split("/", each.key)[0]}: ${split("/", each.key)[1]} permissions"
  policy      = jsonencode(each.value)
}

resource "aws_iam_role_policy_attachment" "github" {
  for_each   = aws_iam_policy.github
  role       = split("/", each.key)[2] == "deploy" ? aws_iam_role.deploy[split("/", each.key)[0]].name : aws_iam_role.plan[split("/", each.key)[0]].name
  policy_arn = each.value.arn
}

# Model rollouts by deploy/ in the deploy workflow (make rollout) use the environment's deploy
# role from GitHub: the same document as the root's deploy role (modules/rollout_policy).
module "rollout" {
  source   = "../modules/rollout_policy"
  for_each = local.configs

  account_id          = tostring(each.value.aws.account_id)
  region              = each.value.aws.region
  bucket_arn          = "arn:aws:s3:::${each.value.resources.artifact_bucket}"
  prefix              = each.value.resources.prefix
  kms_key_arn         = ""
  kms_key_alias       = each.value.resources.kms_key_alias
  execution_role_name = each.value.resources.execution_role_name
  model_package_group = each.value.resources.model_package_group
  pipeline_name       = each.value.resources.pipeline_name
  endpoint_name       = each.value.resources.endpoint_name
  # Promotion (approval.promote_from): read the source environment's packages and models.
  promote_source = try(each.value.approval.promote_from, "") == "" ? null : {
    model_package_group = local.promote_sources[each.key].resources.model_package_group
    bucket_arn          = "arn:aws:s3:::${local.promote_sources[each.key].resources.artifact_bucket}"
    prefix              = local.promote_sources[each.key].resources.prefix
    kms_key_alias       = local.promote_sources[each.key].resources.kms_key_alias
  }
}

locals {
  # Each environment's approval.promote_from source, decoded from its own YAML (none when "").
  promote_sources = {
    for env, cfg in local.configs : env => yamldecode(file("${path.module}/../../environments/${cfg.approval.promote_from}.yaml"))
    if try(cfg.approval.promote_from, "") != ""
  }
}

resource "aws_iam_policy" "rollout" {
  for_each    = local.configs
  name        = "${local.project}-${each.key}-github-rollout"
  description = "Model rollouts of ${each.key} by deploy/ from the GitHub deploy workflow"
  policy      = module.rollout[each.key].json
}

resource "aws_iam_role_policy_attachment" "rollout" {
  for_each   = local.configs
  role       = aws_iam_role.deploy[each.key].name
  policy_arn = aws_iam_policy.rollout[each.key].arn
}
