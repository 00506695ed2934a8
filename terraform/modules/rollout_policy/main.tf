# The permissions of a model rollout by deploy/ (`python -m deploy rollout|rollback|status|logs|
# smoke-test`, the deploy Lambda): one document, used by the environment's deploy role
# (modules/iam) and by the GitHub deploy role of bootstrap/. No resources, only the JSON.

variable "account_id" {
  description = "AWS account id."
  type        = string
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "bucket_arn" {
  description = "Artifact bucket ARN."
  type        = string
}

variable "prefix" {
  description = "The environment's prefix inside the bucket."
  type        = string
}

variable "kms_key_arn" {
  description = "The environment's KMS key ARN, or \"\" when it is not known yet (bootstrap): then any key carrying kms_key_alias."
  type        = string
}

variable "kms_key_alias" {
  description = "Alias of the environment's key (used only when kms_key_arn is \"\")."
  type        = string
  default     = ""
}

variable "execution_role_name" {
  description = "SageMaker execution role passed to CreateModel."
  type        = string
}

variable "model_package_group" {
  description = "Model package group."
  type        = string
}

variable "pipeline_name" {
  description = "Pipeline whose runs `deploy status` reports."
  type        = string
}

variable "endpoint_name" {
  description = "Endpoint; deploy/ names models and endpoint configs <endpoint_name>-v<N>-<stamp>."
  type        = string
}

variable "include_lambda" {
  description = "Add what the deploy Lambda needs (logs, DLQ, VPC interfaces)."
  type        = bool
  default     = false
}

variable "lambda_function_name" {
  description = "Deploy Lambda name."
  type        = string
  default     = ""
}

variable "dlq_name" {
  description = "Approval dead-letter queue name."
  type        = string
  default     = ""
}

variable "subnet_ids" {
  description = "VPC subnets (network.subnet_ids)."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "VPC security groups (network.security_group_ids)."
  type        = list(string)
  default     = []
}

variable "promote_source" {
  description = "approval.promote_from's environment (names from its YAML), whose approved packages this one also deploys: read its group's packages, its models and test splits, and decrypt them with its key (by alias). null = none."
  type = object({
    model_package_group = string
    bucket_arn          = string
    prefix              = string
    kms_key_alias       = string
  })
  default = null
}

locals {
  arn_sm             = "arn:aws:sagemaker:${var.region}:${var.account_id}"
  pipeline           = "${local.arn_sm}:pipeline/${lower(var.pipeline_name)}"
  group_arn          = "${local.arn_sm}:model-package-group/${var.model_package_group}"
  packages           = "${local.arn_sm}:model-package/${var.model_package_group}/*"
  endpoint           = "${local.arn_sm}:endpoint/${lower(var.endpoint_name)}"
  execution_role_arn = "arn:aws:iam::${var.account_id}:role/${var.execution_role_name}"
  vpc_enabled        = length(var.subnet_ids) > 0
  key_known          = var.kms_key_arn != ""

  # Before the key exists (bootstrap) the grant names it by alias: any key of this account that
  # carries the environment's alias.
  key_resource  = local.key_known ? var.kms_key_arn : "arn:aws:kms:${var.region}:${var.account_id}:key/*"
  key_condition = local.key_known ? {} : { "ForAnyValue:StringEquals" = { "kms:ResourceAliases" = var.kms_key_alias } }

  kms_use = merge({
    Sid      = "UseEnvironmentKey"
    Effect   = "Allow"
    Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    Resource = local.key_resource
  }, { for key, value in { Condition = local.key_condition } : key => value if !local.key_known })
  kms_grant = {
    # SageMaker encrypts endpoint volumes through a grant it creates for itself.
    Sid       = "GrantKeyToSageMakerVolumes"
    Effect    = "Allow"
    Action    = "kms:CreateGrant"
    Resource  = local.key_resource
    Condition = merge(local.key_condition, { Bool = { "kms:GrantIsForAWSResource" = "true" } })
  }
  pass_execution_role = {
    Sid       = "PassExecutionRoleToSageMakerOnly"
    Effect    = "Allow"
    Action    = "iam:PassRole"
    Resource  = local.execution_role_arn
    Condition = { StringEquals = { "iam:PassedToService" = "sagemaker.amazonaws.com" } }
  }

  # Promotion (approval.promote_from): the source environment's packages and artifacts, read-only.
  # Its key ARN is not known here, so the grant names the key by its alias.
  promote = {
    group  = try(var.promote_source.model_package_group, "")
    bucket = try(var.promote_source.bucket_arn, "")
    prefix = try(var.promote_source.prefix, "")
    alias  = try(var.promote_source.kms_key_alias, "")
  }
  promote_statements = [for statement in [
    {
      Sid    = "ReadPromotedRegistry"
      Effect = "Allow"
      Action = ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"]
      Resource = [
        "${local.arn_sm}:model-package-group/${local.promote.group}",
        "${local.arn_sm}:model-package/${local.promote.group}/*",
      ]
    },
    {
      Sid       = "ListPromotedModels"
      Effect    = "Allow"
      Action    = "s3:ListBucket"
      Resource  = local.promote.bucket
      Condition = { StringLike = { "s3:prefix" = ["${local.promote.prefix}/models/*", "${local.promote.prefix}/processed/*"] } }
    },
    {
      # models/*: the champion copy; processed/*: the smoke test reads the package's test split.
      Sid      = "ReadPromotedModels"
      Effect   = "Allow"
      Action   = "s3:GetObject"
      Resource = ["${local.promote.bucket}/${local.promote.prefix}/models/*", "${local.promote.bucket}/${local.promote.prefix}/processed/*"]
    },
    {
      Sid       = "DecryptPromotedModels"
      Effect    = "Allow"
      Action    = "kms:Decrypt"
      Resource  = "arn:aws:kms:${var.region}:${var.account_id}:key/*"
      Condition = { "ForAnyValue:StringEquals" = { "kms:ResourceAliases" = local.promote.alias } }
    },
  ] : statement if var.promote_source != null]


  document = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "ReadEnvironmentRegistry"
        Effect   = "Allow"
        Action   = ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"]
        Resource = [local.group_arn, local.packages]
      },
      {
        Sid      = "ListModelPackages"
        Effect   = "Allow"
        Action   = "sagemaker:ListModelPackages"
        Resource = "*" # required: ListModelPackages has no resource type (rollback finds the previous approved package)
      },
      {
        # deploy/ names every model and endpoint config it creates <endpoint_name>-v<N>-<stamp>.
        Sid    = "RolloutOnThisEndpoint"
        Effect = "Allow"
        Action = [
          "sagemaker:CreateModel", "sagemaker:DescribeModel",
          "sagemaker:CreateEndpointConfig", "sagemaker:DescribeEndpointConfig",
          "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint", "sagemaker:DescribeEndpoint", "sagemaker:DeleteEndpoint",
          "sagemaker:InvokeEndpoint", "sagemaker:AddTags", "sagemaker:ListTags",
        ]
        Resource = [
          local.endpoint,
          "${local.arn_sm}:endpoint-config/${lower(var.endpoint_name)}*",
          "${local.arn_sm}:model/${lower(var.endpoint_name)}*",
        ]
      },
      {
        # Cleanup of a failed rollout and `deploy prune` delete only what deploy/ made:
        # <endpoint_name>-v<N>-<stamp>, never a config or model of another name.
        Sid    = "DeleteOwnedModelsAndConfigs"
        Effect = "Allow"
        Action = ["sagemaker:DeleteModel", "sagemaker:DeleteEndpointConfig"]
        Resource = [
          "${local.arn_sm}:endpoint-config/${lower(var.endpoint_name)}-v*",
          "${local.arn_sm}:model/${lower(var.endpoint_name)}-v*",
        ]
      },
      {
        # deploy/ finds its models and endpoint configs by listing them (prune, rollback history).
        Sid      = "ListModelsAndConfigs"
        Effect   = "Allow"
        Action   = ["sagemaker:ListEndpointConfigs", "sagemaker:ListModels"]
        Resource = "*" # required: ListEndpointConfigs and ListModels have no resource type
      },
      {
        # `python -m deploy status|logs` reports the latest pipeline runs and their failing step.
        Sid      = "ReadPipelineRuns"
        Effect   = "Allow"
        Action   = ["sagemaker:ListPipelineExecutions", "sagemaker:ListPipelineExecutionSteps", "sagemaker:DescribePipelineExecution"]
        Resource = [local.pipeline, "${local.pipeline}/execution/*"]
      },
      local.pass_execution_role,
      {
        Sid      = "ReadRollbackAlarms"
        Effect   = "Allow"
        Action   = "cloudwatch:DescribeAlarms"
        Resource = "arn:aws:cloudwatch:${var.region}:${var.account_id}:alarm:${var.endpoint_name}-*"
      },
      {
        Sid      = "ReadEndpointMetrics"
        Effect   = "Allow"
        Action   = "cloudwatch:GetMetricData"
        Resource = "*" # required: GetMetricData has no resource type
      },
      {
        Sid    = "ReadEndpointLogs"
        Effect = "Allow"
        Action = ["logs:FilterLogEvents", "logs:GetLogEvents", "logs:DescribeLogStreams"]
        Resource = flatten([
          for group in ["/aws/sagemaker/Endpoints/${var.endpoint_name}", "/aws/sagemaker/ProcessingJobs", "/aws/sagemaker/TrainingJobs"] : [
            "arn:aws:logs:${var.region}:${var.account_id}:log-group:${group}",
            "arn:aws:logs:${var.region}:${var.account_id}:log-group:${group}:log-stream:*",
          ]
        ])
      },
      {
        Sid       = "ListChampionAndModels"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = var.bucket_arn
        Condition = { StringLike = { "s3:prefix" = ["${var.prefix}/champion/*", "${var.prefix}/models/*", "${var.prefix}/deploy/*", "${var.prefix}/processed/*"] } }
      },
      {
        Sid    = "ReadModels"
        Effect = "Allow"
        Action = "s3:GetObject"
        # processed/*: the smoke test invokes the endpoint with rows of the package's test split.
        Resource = ["${var.bucket_arn}/${var.prefix}/models/*", "${var.bucket_arn}/${var.prefix}/champion/*", "${var.bucket_arn}/${var.prefix}/deploy/*", "${var.bucket_arn}/${var.prefix}/processed/*"]
      },
      {
        # After a rollout the deployed model becomes the champion the next run must beat;
        # deploy/ keeps its lock (conditional writes) and rollout state under deploy/.
        Sid      = "WriteChampionAndDeployState"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:DeleteObject"]
        Resource = ["${var.bucket_arn}/${var.prefix}/champion/*", "${var.bucket_arn}/${var.prefix}/deploy/*"]
      },
      local.kms_use,
      local.kms_grant,
      ],
      [for statement in [
        {
          Sid      = "LambdaLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "arn:aws:logs:${var.region}:${var.account_id}:log-group:/aws/lambda/${var.lambda_function_name}:*"
        },
        {
          Sid      = "LambdaDeadLetters"
          Effect   = "Allow"
          Action   = "sqs:SendMessage"
          Resource = "arn:aws:sqs:${var.region}:${var.account_id}:${var.dlq_name}"
        },
      ] : statement if var.include_lambda],
      [for statement in [
        {
          Sid    = "LambdaDescribeNetwork"
          Effect = "Allow"
          Action = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"]
          # required: EC2 Describe* calls have no resource-level permissions
          Resource = "*"
        },
        {
          Sid    = "LambdaNetworkInterfaces"
          Effect = "Allow"
          Action = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
          Resource = concat(
            ["arn:aws:ec2:${var.region}:${var.account_id}:network-interface/*"],
            [for id in var.subnet_ids : "arn:aws:ec2:${var.region}:${var.account_id}:subnet/${id}"],
            [for id in var.security_group_ids : "arn:aws:ec2:${var.region}:${var.account_id}:security-group/${id}"],
          )
        },
      ] : statement if var.include_lambda && local.vpc_enabled],
      local.promote_statements,
    )
  }
}

output "document" {
  description = "The policy as an object."
  value       = local.document
}

output "json" {
  description = "The policy as JSON."
  value       = jsonencode(local.document)
}
