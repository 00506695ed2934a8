# Data-quality monitoring of the endpoint and drift-triggered retraining.
#
# Model Monitor (hourly, monitoring.schedule) compares the requests the endpoint captured
# (<prefix>/datacapture/<endpoint>/) with the champion's baseline, which deploy/ keeps at
# <prefix>/champion/current/baseline/{statistics,constraints}.json (the package's
# DriftCheckBaselines, copied when it becomes the champion). Each run publishes
# feature_baseline_drift_<feature> to CloudWatch; one alarm per feature, one composite alarm
# "<endpoint>-data-drift" over them; its ALARM state -> EventBridge rule -> the training pipeline
# on pipeline.input_data_uri (monitoring.retrain_on_drift) and the alerts SNS topic.
#
# The schedule needs an endpoint with data capture, so it exists only when Terraform manages one
# (an approved package in deployments/<env>.json) and endpoint.data_capture.enabled is true.

variable "name" {
  description = "Project-and-environment name."
  type        = string
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "account_id" {
  description = "AWS account id."
  type        = string
}

variable "enabled" {
  description = "Monitor the endpoint: it exists, captures data, and monitoring.schedule is set."
  type        = bool
}

variable "endpoint_name" {
  description = "Endpoint whose captured traffic is monitored."
  type        = string
}

variable "schedule_expression" {
  description = "monitoring.schedule: Model Monitor's cron (hourly cron(0 * ? * * *) or daily cron(0 H ? * * *)), or \"\"."
  type        = string

  validation {
    condition     = var.schedule_expression == "" || can(regex("^cron\\(0 (\\*|[0-9]{1,2}) \\? \\* \\* \\*\\)$", var.schedule_expression))
    error_message = "monitoring.schedule must be \"\", cron(0 * ? * * *) (hourly) or cron(0 <hour> ? * * *) (daily): the expressions Model Monitor accepts."
  }
}

variable "features" {
  description = "Feature names in schema order (training_code/schema.json); Model Monitor names them _c0, _c1, ... in captured CSV."
  type        = list(string)
}

variable "drift_threshold" {
  description = "Distance above which a feature's distribution counts as drifted (constraints.json's comparison_threshold)."
  type        = number
  default     = 0.1
}

variable "bucket_arn" {
  description = "Artifact bucket ARN."
  type        = string
}

variable "bucket" {
  description = "Artifact bucket name."
  type        = string
}

variable "prefix" {
  description = "resources.prefix of the environment."
  type        = string
}

variable "kms_key_arn" {
  description = "Key of the bucket, the job volumes and the reports."
  type        = string
}

variable "instance_type" {
  description = "Instance type of the monitoring job (pipeline.processing_instance_type)."
  type        = string
}

variable "network_isolation" {
  description = "network.enable_network_isolation."
  type        = bool
}

variable "inter_container_encryption" {
  description = "network.encrypt_inter_container_traffic."
  type        = bool
}

variable "subnet_ids" {
  description = "network.subnet_ids ([] = no VPC)."
  type        = list(string)
}

variable "security_group_ids" {
  description = "network.security_group_ids."
  type        = list(string)
}

variable "training_pipeline_arn" {
  description = "Training pipeline a drift alarm starts."
  type        = string
}

variable "training_input_data_uri" {
  description = "InputDataUri of the retraining run: the latest data (pipeline.input_data_uri)."
  type        = string
}

variable "retrain_on_drift" {
  description = "monitoring.retrain_on_drift: a drift alarm starts the training pipeline."
  type        = bool
}

variable "events_role_arn" {
  description = "Role the drift rule assumes to start the training pipeline (may start only it)."
  type        = string
}

variable "alerts_topic_arn" {
  description = "SNS topic that gets the drift alert."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the monitoring role (null = none)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

locals {
  count         = var.enabled && var.schedule_expression != "" ? 1 : 0
  schedule_name = "${var.name}-data-quality"
  capture       = "${var.prefix}/datacapture/${var.endpoint_name}"
  baseline      = "${var.prefix}/champion/current/baseline"
  reports       = "${var.prefix}/monitoring"
  namespace     = "aws/sagemaker/Endpoints/data-metrics"
  columns       = { for index, feature in var.features : feature => "_c${index}" }
}

# --- The monitoring job's role ---------------------------------------------------------------

resource "aws_iam_role" "monitor" {
  name        = "${var.name}-monitor"
  description = "${var.name}: Model Monitor reads captured traffic and the champion's baseline, writes reports"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sagemaker.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
    }]
  })
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

locals {
  monitor_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "ListCaptureBaselineReports"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = var.bucket_arn
        Condition = { StringLike = { "s3:prefix" = ["${local.capture}/*", "${local.baseline}/*", "${local.reports}/*"] } }
      },
      {
        Sid      = "ReadCaptureAndBaseline"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = ["${var.bucket_arn}/${local.capture}/*", "${var.bucket_arn}/${local.baseline}/*"]
      },
      {
        Sid      = "WriteReports"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:AbortMultipartUpload"]
        Resource = "${var.bucket_arn}/${local.reports}/*"
      },
      {
        Sid      = "UseEnvironmentKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
        Resource = var.kms_key_arn
      },
      {
        Sid       = "GrantKeyToSageMakerVolumes"
        Effect    = "Allow"
        Action    = "kms:CreateGrant"
        Resource  = var.kms_key_arn
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
      {
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = "ecr:GetAuthorizationToken"
        Resource = "*" # required: GetAuthorizationToken is account-wide, it has no resource type
      },
      {
        Sid      = "PullModelMonitorImage"
        Effect   = "Allow"
        Action   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
        Resource = "arn:aws:ecr:${var.region}:${data.aws_sagemaker_prebuilt_ecr_image.model_monitor.registry_id}:repository/sagemaker-model-monitor-analyzer"
      },
      {
        Sid    = "JobLogs"
        Effect = "Allow"
        Action = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
        Resource = [
          "arn:aws:logs:${var.region}:${var.account_id}:log-group:/aws/sagemaker/ProcessingJobs",
          "arn:aws:logs:${var.region}:${var.account_id}:log-group:/aws/sagemaker/ProcessingJobs:log-stream:*",
        ]
      },
      {
        Sid       = "SageMakerMetrics"
        Effect    = "Allow"
        Action    = "cloudwatch:PutMetricData"
        Resource  = "*" # required: PutMetricData has no resource type; limited to one namespace below
        Condition = { StringEquals = { "cloudwatch:namespace" = local.namespace } }
      },
      ],
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
    ] : statement if length(var.subnet_ids) > 0])
  }
}

resource "aws_iam_role_policy" "monitor" {
  name   = "least-privilege"
  role   = aws_iam_role.monitor.id
  policy = jsonencode(local.monitor_policy)
}

# --- The Model Monitor schedule --------------------------------------------------------------

# AWS's Model Monitor analyzer image of this region (the provider knows the registry account).
data "aws_sagemaker_prebuilt_ecr_image" "model_monitor" {
  repository_name = "sagemaker-model-monitor-analyzer"
  image_tag       = "latest"
}

resource "aws_sagemaker_data_quality_job_definition" "this" {
  count    = local.count
  name     = local.schedule_name
  role_arn = aws_iam_role.monitor.arn

  data_quality_app_specification {
    image_uri = data.aws_sagemaker_prebuilt_ecr_image.model_monitor.registry_path
    # The analyzer writes feature_baseline_drift_<feature> for the alarms below.
    environment = { publish_cloudwatch_metrics = "Enabled" }
  }

  data_quality_baseline_config {
    constraints_resource {
      s3_uri = "s3://${var.bucket}/${local.baseline}/constraints.json"
    }
    statistics_resource {
      s3_uri = "s3://${var.bucket}/${local.baseline}/statistics.json"
    }
  }

  data_quality_job_input {
    endpoint_input {
      endpoint_name             = var.endpoint_name
      local_path                = "/opt/ml/processing/input/endpoint"
      s3_data_distribution_type = "FullyReplicated"
      s3_input_mode             = "File"
    }
  }

  data_quality_job_output_config {
    kms_key_id = var.kms_key_arn
    monitoring_outputs {
      s3_output {
        local_path     = "/opt/ml/processing/output"
        s3_uri         = "s3://${var.bucket}/${local.reports}/"
        s3_upload_mode = "EndOfJob"
      }
    }
  }

  job_resources {
    cluster_config {
      instance_count    = 1
      instance_type     = var.instance_type
      volume_size_in_gb = 20
      volume_kms_key_id = var.kms_key_arn
    }
  }

  network_config {
    enable_network_isolation                  = var.network_isolation
    enable_inter_container_traffic_encryption = var.inter_container_encryption
    dynamic "vpc_config" {
      for_each = length(var.subnet_ids) > 0 ? [1] : []
      content {
        subnets            = var.subnet_ids
        security_group_ids = var.security_group_ids
      }
    }
  }

  stopping_condition {
    max_runtime_in_seconds = 1800
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy.monitor]
}

resource "aws_sagemaker_monitoring_schedule" "this" {
  count = local.count
  name  = local.schedule_name

  monitoring_schedule_config {
    monitoring_job_definition_name = aws_sagemaker_data_quality_job_definition.this[0].name
    monitoring_type                = "DataQuality"
    schedule_config {
      schedule_expression = var.schedule_expression
    }
  }

  tags = var.tags
}

# --- Drift as alarms: one per feature, one composite over them --------------------------------

resource "aws_cloudwatch_metric_alarm" "feature_drift" {
  for_each            = local.count == 1 ? local.columns : {}
  alarm_name          = "${var.endpoint_name}-drift-${each.key}"
  alarm_description   = "Distribution of ${each.key} (${each.value} in captured CSV) moved away from the champion's baseline."
  namespace           = local.namespace
  metric_name         = "feature_baseline_drift_${each.value}"
  dimensions          = { Endpoint = var.endpoint_name, MonitoringSchedule = local.schedule_name }
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.drift_threshold
  treat_missing_data  = "notBreaching" # no traffic in an hour is not drift
  tags                = var.tags
}

resource "aws_cloudwatch_composite_alarm" "drift" {
  count             = local.count
  alarm_name        = "${var.endpoint_name}-data-drift"
  alarm_description = "Any feature of ${var.endpoint_name}'s traffic drifted from the champion's baseline. Runbook: docs/runbook.md#drift-alarm-fired-what-now"
  alarm_rule        = join(" OR ", [for alarm in aws_cloudwatch_metric_alarm.feature_drift : "ALARM(\"${alarm.alarm_name}\")"])
  tags              = var.tags
}

# --- Alarm -> EventBridge -> retraining and the alert ----------------------------------------

resource "aws_cloudwatch_event_rule" "drift" {
  count       = local.count
  name        = "${var.name}-data-drift"
  description = "The data-drift alarm of ${var.endpoint_name} went to ALARM"
  event_pattern = jsonencode({
    source        = ["aws.cloudwatch"]
    "detail-type" = ["CloudWatch Alarm State Change"]
    resources     = [aws_cloudwatch_composite_alarm.drift[0].arn]
    detail        = { state = { value = ["ALARM"] } }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "retrain" {
  count     = var.retrain_on_drift ? local.count : 0
  rule      = aws_cloudwatch_event_rule.drift[0].name
  target_id = "retrain"
  arn       = var.training_pipeline_arn
  role_arn  = var.events_role_arn

  sagemaker_pipeline_target {
    pipeline_parameter_list {
      name  = "InputDataUri"
      value = var.training_input_data_uri
    }
  }

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 3
  }
}

resource "aws_cloudwatch_event_target" "alert" {
  count     = local.count
  rule      = aws_cloudwatch_event_rule.drift[0].name
  target_id = "alerts-topic"
  arn       = var.alerts_topic_arn
}

output "schedule" {
  description = "The monitoring schedule (name, expression, job definition), or null when off."
  value = local.count == 0 ? null : {
    name                 = aws_sagemaker_monitoring_schedule.this[0].name
    expression           = aws_sagemaker_monitoring_schedule.this[0].monitoring_schedule_config[0].schedule_config[0].schedule_expression
    type                 = aws_sagemaker_monitoring_schedule.this[0].monitoring_schedule_config[0].monitoring_type
    job_definition       = aws_sagemaker_data_quality_job_definition.this[0].name
    endpoint             = aws_sagemaker_data_quality_job_definition.this[0].data_quality_job_input[0].endpoint_input[0].endpoint_name
    baseline_statistics  = aws_sagemaker_data_quality_job_definition.this[0].data_quality_baseline_config[0].statistics_resource[0].s3_uri
    baseline_constraints = aws_sagemaker_data_quality_job_definition.this[0].data_quality_baseline_config[0].constraints_resource[0].s3_uri
    network_isolation    = aws_sagemaker_data_quality_job_definition.this[0].network_config[0].enable_network_isolation
    volume_kms_key       = aws_sagemaker_data_quality_job_definition.this[0].job_resources[0].cluster_config[0].volume_kms_key_id
    output_kms_key       = aws_sagemaker_data_quality_job_definition.this[0].data_quality_job_output_config[0].kms_key_id
  }
}

output "feature_alarms" {
  description = "Per-feature drift alarms: alarm name => metric name."
  value       = { for alarm in aws_cloudwatch_metric_alarm.feature_drift : alarm.alarm_name => alarm.metric_name }
}

output "drift_alarm" {
  description = "The composite drift alarm (name, rule), or null when off."
  value = local.count == 0 ? null : {
    name = aws_cloudwatch_composite_alarm.drift[0].alarm_name
    arn  = aws_cloudwatch_composite_alarm.drift[0].arn
    rule = aws_cloudwatch_composite_alarm.drift[0].alarm_rule
  }
}

output "drift_rule_pattern" {
  description = "Event pattern of the drift rule (JSON), or null when off."
  value       = try(aws_cloudwatch_event_rule.drift[0].event_pattern, null)
}

output "drift_targets" {
  description = "What the drift rule starts: target id => {arn, role, parameters}."
  value = merge(
    { for target in aws_cloudwatch_event_target.retrain : target.target_id => {
      arn        = target.arn
      role_arn   = target.role_arn
      parameters = { for p in target.sagemaker_pipeline_target[0].pipeline_parameter_list : p.name => p.value }
    } },
    { for target in aws_cloudwatch_event_target.alert : target.target_id => {
      arn        = target.arn
      role_arn   = null
      parameters = {}
    } },
  )
}

output "role_name" {
  description = "Role of the monitoring jobs."
  value       = aws_iam_role.monitor.name
}

output "policy_documents" {
  description = "Identity and trust policy of the monitoring role, as JSON."
  value = {
    monitor_trust = aws_iam_role.monitor.assume_role_policy
    monitor       = jsonencode(local.monitor_policy)
  }
}
