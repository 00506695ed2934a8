# Permissions boundary of every role the environment's Terraform creates (modules/iam sets it when
# permissions_boundary_name is given). The GitHub deploy role may create those roles and write
# their policies only with this boundary attached (policies.tf, BoundedEnvironmentRoles), so a
# policy it writes can never reach beyond what is listed here: this environment's resources, the
# actions the execution, scheduler, events and deploy roles use, no wildcard actions.

# AWS's Model Monitor analyzer image of each environment's region (the provider knows the
# registry account), which the monitor role pulls (modules/monitoring).
data "aws_sagemaker_prebuilt_ecr_image" "model_monitor" {
  for_each        = local.configs
  repository_name = "sagemaker-model-monitor-analyzer"
  image_tag       = "latest"
  region          = each.value.aws.region
}

locals {
  boundaries = { for env, g in local.grants : env => {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "EnvironmentObjects"
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
        Resource = ["arn:aws:s3:::${g.bucket}", "arn:aws:s3:::${g.bucket}/${g.r.prefix}/*"]
      },
      {
        Sid       = "EnvironmentKey"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"]
        Resource  = "${g.arn.kms}:key/*"
        Condition = { "ForAnyValue:StringEquals" = { "kms:ResourceAliases" = g.r.kms_key_alias } }
      },
      {
        Sid    = "PullImages"
        Effect = "Allow"
        Action = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
        Resource = [
          "arn:aws:ecr:${g.arn.regional}:repository/${g.r.job_image_repository}", "arn:aws:ecr:${g.arn.regional}:repository/${g.r.inference_image_repository}",
          # the monitor role's Model Monitor analyzer, in AWS's registry account of the region (found by make proof)
          "arn:aws:ecr:${local.configs[env].aws.region}:${data.aws_sagemaker_prebuilt_ecr_image.model_monitor[env].registry_id}:repository/sagemaker-model-monitor-analyzer",
        ]
      },
      {
        Sid    = "AccountWideReads"
        Effect = "Allow"
        # required "*": none of these has a resource type
        Action = [
          "ecr:GetAuthorizationToken", "cloudwatch:PutMetricData", "cloudwatch:GetMetricData", "sagemaker:ListModelPackages",
          # deploy/'s prune and rollback history (rollout_policy); found by make proof
          "sagemaker:ListEndpointConfigs", "sagemaker:ListModels",
          "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
        ]
        Resource = "*"
      },
      {
        Sid      = "Logs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents"]
        Resource = ["${g.arn.logs}:log-group:/aws/sagemaker/*", "${g.arn.logs}:log-group:/aws/lambda/${g.name}-*"]
      },
      {
        Sid      = "RollbackAlarms"
        Effect   = "Allow"
        Action   = "cloudwatch:DescribeAlarms"
        Resource = "arn:aws:cloudwatch:${g.arn.regional}:alarm:${g.r.endpoint_name}-*"
      },
      {
        Sid    = "SageMakerOfThisEnvironment"
        Effect = "Allow"
        Action = [
          "sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob", "sagemaker:StopProcessingJob",
          "sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
          "sagemaker:CreateHyperParameterTuningJob", "sagemaker:DescribeHyperParameterTuningJob",
          "sagemaker:StopHyperParameterTuningJob", "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
          "sagemaker:AddTags", "sagemaker:ListTags", "sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage",
          "sagemaker:DescribeModelPackageGroup", "sagemaker:StartPipelineExecution", "sagemaker:ListPipelineExecutions",
          "sagemaker:ListPipelineExecutionSteps", "sagemaker:DescribePipelineExecution",
          "sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:DeleteModel",
          "sagemaker:CreateEndpointConfig", "sagemaker:DescribeEndpointConfig", "sagemaker:DeleteEndpointConfig",
          "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint", "sagemaker:DescribeEndpoint", "sagemaker:DeleteEndpoint",
          "sagemaker:InvokeEndpoint",
        ]
        Resource = [
          "${g.arn.sm}:processing-job/pipelines-*", "${g.arn.sm}:training-job/pipelines-*", "${g.arn.sm}:hyper-parameter-tuning-job/*",
          "${g.arn.sm}:model-package-group/${g.r.model_package_group}", "${g.arn.sm}:model-package/${g.r.model_package_group}/*",
          "${g.arn.sm}:pipeline/${lower(g.r.pipeline_name)}", "${g.arn.sm}:pipeline/${lower(g.r.pipeline_name)}/execution/*",
          # the batch pipeline (modules/batch), which the batch scheduler and events roles start (found by make proof)
          "${g.arn.sm}:pipeline/${lower(g.r.pipeline_name)}-batch", "${g.arn.sm}:pipeline/${lower(g.r.pipeline_name)}-batch/execution/*",
          "${g.arn.sm}:model/${lower(g.r.endpoint_name)}*", "${g.arn.sm}:endpoint-config/${lower(g.r.endpoint_name)}*",
          "${g.arn.sm}:endpoint/${lower(g.r.endpoint_name)}",
        ]
      },
      {
        Sid       = "PassExecutionRole"
        Effect    = "Allow"
        Action    = "iam:PassRole"
        Resource  = "${g.arn.iam}:role/${g.r.execution_role_name}"
        Condition = { StringEquals = { "iam:PassedToService" = "sagemaker.amazonaws.com" } }
      },
      {
        Sid      = "ApprovalDelivery"
        Effect   = "Allow"
        Action   = ["events:InvokeApiDestination", "sqs:SendMessage"]
        Resource = ["${g.arn.events}:api-destination/${g.name}-*", "arn:aws:sqs:${g.arn.regional}:${g.name}-*"]
      },
      {
        Sid      = "NetworkInterfacesForVpcMode"
        Effect   = "Allow"
        Action   = ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
        Resource = ["arn:aws:ec2:${g.arn.regional}:network-interface/*", "arn:aws:ec2:${g.arn.regional}:subnet/*", "arn:aws:ec2:${g.arn.regional}:security-group/*"]
      },
    ]
  } }
}

resource "aws_iam_policy" "boundary" {
  for_each    = local.boundaries
  name        = "${local.project}-${each.key}-boundary"
  description = "Permissions boundary of the ${each.key} roles Terraform creates (permissions_boundary_name in environments/${each.key}.tfvars)"
  policy      = jsonencode(each.value)
}
