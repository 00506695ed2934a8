# IAM for one environment. Every policy names this project's resources by ARN (built from the
# names in environments/<env>.yaml); "*" appears as a Resource only for actions that AWS does not
# scope to a resource, each marked with a comment. No action contains a wildcard, no managed
# *FullAccess policy is attached.

locals {
  arn_sm      = "arn:aws:sagemaker:${var.region}:${var.account_id}"
  pipeline    = "${local.arn_sm}:pipeline/${lower(var.pipeline_name)}"
  group_arn   = "${local.arn_sm}:model-package-group/${var.model_package_group}"
  packages    = "${local.arn_sm}:model-package/${var.model_package_group}/*"
  prefix_objs = "${var.bucket_arn}/${var.prefix}/*"
  ecr_repos   = [for repo in var.image_repository_names : "arn:aws:ecr:${var.region}:${var.account_id}:repository/${repo}"]
  oidc_arn    = "arn:aws:iam::${var.account_id}:oidc-provider/token.actions.githubusercontent.com"
  vpc_enabled = length(var.subnet_ids) > 0

  execution_role_arn = "arn:aws:iam::${var.account_id}:role/${var.execution_role_name}"

  service_trust = { for service in ["sagemaker", "scheduler", "events"] : service => {
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "${service}.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # Confused-deputy guard: the service may assume the role only for this account.
      Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
    }]
  } }

  kms_use = {
    Sid      = "UseEnvironmentKey"
    Effect   = "Allow"
    Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    Resource = var.kms_key_arn
  }
  kms_grant = {
    # SageMaker encrypts job and endpoint volumes through a grant it creates for itself.
    Sid       = "GrantKeyToSageMakerVolumes"
    Effect    = "Allow"
    Action    = "kms:CreateGrant"
    Resource  = var.kms_key_arn
    Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
  }
  pass_execution_role = {
    Sid       = "PassExecutionRoleToSageMakerOnly"
    Effect    = "Allow"
    Action    = "iam:PassRole"
    Resource  = local.execution_role_arn
    Condition = { StringEquals = { "iam:PassedToService" = "sagemaker.amazonaws.com" } }
  }
}

# --- SageMaker execution role (pipeline, processing, training, models) ----------------------------

resource "aws_iam_role" "execution" {
  permissions_boundary = var.permissions_boundary_arn
  name                 = var.execution_role_name
  description          = "${var.name}: SageMaker pipeline, jobs and models"
  assume_role_policy   = jsonencode(local.service_trust["sagemaker"])
  max_session_duration = 3600 * 12 # training jobs may run for hours
  tags                 = var.tags
}

locals {
  execution_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "ListEnvironmentPrefix"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = var.bucket_arn
        Condition = { StringLike = { "s3:prefix" = [var.prefix, "${var.prefix}/*"] } }
      },
      {
        Sid      = "BucketLocation"
        Effect   = "Allow"
        Action   = "s3:GetBucketLocation"
        Resource = var.bucket_arn
      },
      {
        # Data, code, processed sets, models, Spot checkpoints (cache/) and the champion.
        Sid      = "ReadWriteEnvironmentPrefix"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
        Resource = local.prefix_objs
      },
      local.kms_use,
      local.kms_grant,
      {
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = "ecr:GetAuthorizationToken"
        Resource = "*" # required: GetAuthorizationToken is account-wide, it has no resource type
      },
      {
        Sid      = "PullProjectImages"
        Effect   = "Allow"
        Action   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
        Resource = local.ecr_repos
      },
      {
        Sid    = "SageMakerLogs"
        Effect = "Allow"
        Action = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
        Resource = [
          "arn:aws:logs:${var.region}:${var.account_id}:log-group:/aws/sagemaker/*",
          "arn:aws:logs:${var.region}:${var.account_id}:log-group:/aws/sagemaker/*:log-stream:*",
        ]
      },
      {
        Sid       = "SageMakerMetrics"
        Effect    = "Allow"
        Action    = "cloudwatch:PutMetricData"
        Resource  = "*" # required: PutMetricData has no resource type; limited by namespace below
        Condition = { StringLike = { "cloudwatch:namespace" = "/aws/sagemaker/*" } }
      },
      {
        # What SageMaker Pipelines does with this role: start, watch and stop the jobs of a run.
        # Pipelines names every job pipelines-<execution>-<step>-<suffix>.
        Sid    = "PipelineJobs"
        Effect = "Allow"
        Action = [
          "sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob", "sagemaker:StopProcessingJob",
          "sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
          "sagemaker:AddTags",
        ]
        Resource = [
          "${local.arn_sm}:processing-job/pipelines-*",
          "${local.arn_sm}:training-job/pipelines-*",
        ]
      },
      {
        Sid      = "RegisterInEnvironmentGroup"
        Effect   = "Allow"
        Action   = ["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:AddTags"]
        Resource = [local.group_arn, local.packages]
      },
      local.pass_execution_role,
      ],
      [for statement in [{
        Sid      = "PipelineTuningJobs"
        Effect   = "Allow"
        Action   = ["sagemaker:CreateHyperParameterTuningJob", "sagemaker:DescribeHyperParameterTuningJob", "sagemaker:StopHyperParameterTuningJob", "sagemaker:ListTrainingJobsForHyperParameterTuningJob"]
        Resource = "${local.arn_sm}:hyper-parameter-tuning-job/*"
      }] : statement if var.tuning_enabled],
      [for statement in [
        {
          Sid    = "DescribeNetwork"
          Effect = "Allow"
          Action = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"]
          # required: EC2 Describe* calls have no resource-level permissions
          Resource = "*"
        },
        {
          Sid    = "JobNetworkInterfaces"
          Effect = "Allow"
          Action = ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"]
          Resource = concat(
            ["arn:aws:ec2:${var.region}:${var.account_id}:network-interface/*"],
            [for id in var.subnet_ids : "arn:aws:ec2:${var.region}:${var.account_id}:subnet/${id}"],
            [for id in var.security_group_ids : "arn:aws:ec2:${var.region}:${var.account_id}:security-group/${id}"],
          )
        },
      ] : statement if local.vpc_enabled],
      # Promotion: a model created from a package of approval.promote_from's group reads its
      # artifact from that environment's bucket, encrypted with that environment's key (by alias).
      [for statement in [
        {
          Sid      = "ReadPromotedModels"
          Effect   = "Allow"
          Action   = "s3:GetObject"
          Resource = "${try(var.promote_source.bucket_arn, "")}/${try(var.promote_source.prefix, "")}/models/*"
        },
        {
          Sid       = "DecryptPromotedModels"
          Effect    = "Allow"
          Action    = "kms:Decrypt"
          Resource  = "arn:aws:kms:${var.region}:${var.account_id}:key/*"
          Condition = { "ForAnyValue:StringEquals" = { "kms:ResourceAliases" = try(var.promote_source.kms_key_alias, "") } }
        },
    ] : statement if var.promote_source != null])
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "least-privilege"
  role   = aws_iam_role.execution.id
  policy = jsonencode(local.execution_policy)
}

# --- EventBridge Scheduler: cron runs of the pipeline ----------------------------------------------

resource "aws_iam_role" "scheduler" {
  permissions_boundary = var.permissions_boundary_arn
  name                 = "${var.name}-scheduler"
  description          = "${var.name}: EventBridge Scheduler starts the pipeline"
  assume_role_policy   = jsonencode(local.service_trust["scheduler"])
  tags                 = var.tags
}

locals {
  start_pipeline = {
    Sid      = "StartThisPipeline"
    Effect   = "Allow"
    Action   = "sagemaker:StartPipelineExecution"
    Resource = local.pipeline
  }
  scheduler_policy = {
    Version = "2012-10-17"
    Statement = [local.start_pipeline, {
      # Each run, Scheduler decrypts the schedule's payload (modules/triggers encrypts it with
      # the environment key) as this role, with the schedule's ARN as encryption context
      # (EventBridge Scheduler User Guide, "Encryption at rest"); the key opens nothing else.
      Sid       = "DecryptThisSchedule"
      Effect    = "Allow"
      Action    = "kms:Decrypt"
      Resource  = var.kms_key_arn
      Condition = { StringEquals = { "kms:EncryptionContext:aws:scheduler:schedule:arn" = "arn:aws:scheduler:${var.region}:${var.account_id}:schedule/default/${var.name}-pipeline" } }
    }]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "least-privilege"
  role   = aws_iam_role.scheduler.id
  policy = jsonencode(local.scheduler_policy)
}

# --- EventBridge rules: new data starts the pipeline; approvals call GitHub ------------------------

resource "aws_iam_role" "events" {
  permissions_boundary = var.permissions_boundary_arn
  name                 = "${var.name}-events"
  description          = "${var.name}: EventBridge rules start the pipeline and call the GitHub API destination"
  assume_role_policy   = jsonencode(local.service_trust["events"])
  tags                 = var.tags
}

locals {
  events_policy = {
    Version = "2012-10-17"
    Statement = [
      local.start_pipeline,
      {
        Sid      = "InvokeGithubDispatch"
        Effect   = "Allow"
        Action   = "events:InvokeApiDestination"
        Resource = "arn:aws:events:${var.region}:${var.account_id}:api-destination/${var.api_destination_name}/*"
      },
    ]
  }
}

resource "aws_iam_role_policy" "events" {
  name   = "least-privilege"
  role   = aws_iam_role.events.id
  policy = jsonencode(local.events_policy)
}

# --- Deploy role: model rollouts by deploy/ (GitHub deploy workflow via OIDC, or the Lambda) -------

locals {
  deploy_trust = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "GithubDeployWorkflowOfThisEnvironment"
        Effect    = "Allow"
        Principal = { Federated = local.oidc_arn }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
            "token.actions.githubusercontent.com:sub" = "repo:${var.github_repository}:environment:${var.environment}:ref:${var.release_ref}"
          }
        }
      }],
      [for statement in [{
        Sid       = "DeployLambda"
        Effect    = "Allow"
        Principal = { Service = "lambda.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
      }] : statement if var.deploy_target == "lambda"],
    )
  }

}

module "rollout" {
  source = "../rollout_policy"

  account_id           = var.account_id
  region               = var.region
  bucket_arn           = var.bucket_arn
  prefix               = var.prefix
  kms_key_arn          = var.kms_key_arn
  execution_role_name  = var.execution_role_name
  model_package_group  = var.model_package_group
  pipeline_name        = var.pipeline_name
  endpoint_name        = var.endpoint_name
  include_lambda       = var.deploy_target == "lambda"
  lambda_function_name = var.lambda_function_name
  dlq_name             = var.dlq_name
  subnet_ids           = var.subnet_ids
  security_group_ids   = var.security_group_ids
  promote_source       = var.promote_source
}

resource "aws_iam_role" "deploy" {
  permissions_boundary = var.permissions_boundary_arn
  name                 = "${var.name}-deploy"
  description          = "${var.name}: model rollouts by deploy/ (GitHub environment ${var.environment} or the deploy Lambda)"
  assume_role_policy   = jsonencode(local.deploy_trust)
  tags                 = var.tags
}

resource "aws_iam_role_policy" "deploy" {
  name   = "least-privilege"
  role   = aws_iam_role.deploy.id
  policy = module.rollout.json
}
