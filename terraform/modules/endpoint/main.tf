# The real-time endpoint. The auto-rollback alarms exist whenever the endpoint is enabled (deploy/
# uses them even for its first rollout); model, config, endpoint and autoscaling are created once an
# Approved model package is known (deployments/<env>.json, key model_package_arn). After creation deploy/ owns rollouts: it creates a
# new model + endpoint config and calls UpdateEndpoint on the same name (blue/green canary with the
# alarms below as auto-rollback guards); git's deployments/<env>.json records each rollout.

variable "endpoint_name" {
  description = "Endpoint name (resources.endpoint_name)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.endpoint_name))
    error_message = "resources.endpoint_name must be 1-63 letters, digits and single hyphens."
  }
}

variable "model_package_arn" {
  description = "ARN of the Approved model package to serve first; \"\" = none known yet (alarms only, no endpoint)."
  type        = string

  validation {
    condition     = var.model_package_arn == "" || can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/[a-zA-Z0-9-]+/[0-9]+$", var.model_package_arn))
    error_message = "model_package_arn (deployments/<env>.json) must be arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>."
  }
}

variable "execution_role_arn" {
  description = "Role the model runs as."
  type        = string
}

variable "kms_key_arn" {
  description = "Key for the endpoint's storage volumes and captured data."
  type        = string
}

variable "instance_type" {
  description = "endpoint.instance_type."
  type        = string

  validation {
    condition     = can(regex("^ml\\.[a-z0-9-]+\\.(nano|micro|small|medium|large|[0-9]*xlarge|metal)$", var.instance_type))
    error_message = "endpoint.instance_type must be a SageMaker instance type such as ml.m5.large or ml.t2.medium."
  }
}

variable "initial_instance_count" {
  description = "endpoint.initial_instance_count."
  type        = number

  validation {
    condition     = var.initial_instance_count >= 1 && floor(var.initial_instance_count) == var.initial_instance_count
    error_message = "endpoint.initial_instance_count must be a whole number >= 1."
  }
}

variable "autoscaling" {
  description = "endpoint.autoscaling: min_capacity, max_capacity, target_invocations_per_instance."
  type = object({
    min_capacity                    = number
    max_capacity                    = number
    target_invocations_per_instance = number
  })

  validation {
    condition     = var.autoscaling.min_capacity >= 1 && var.autoscaling.max_capacity >= var.autoscaling.min_capacity && var.autoscaling.target_invocations_per_instance > 0
    error_message = "endpoint.autoscaling needs 1 <= min_capacity <= max_capacity and target_invocations_per_instance > 0."
  }
}

variable "data_capture" {
  description = "endpoint.data_capture: enabled, sampling_percentage."
  type = object({
    enabled             = bool
    sampling_percentage = number
  })

  validation {
    condition     = var.data_capture.sampling_percentage >= 0 && var.data_capture.sampling_percentage <= 100 && (!var.data_capture.enabled || var.data_capture.sampling_percentage > 0)
    error_message = "endpoint.data_capture.sampling_percentage must be within 0-100, and above 0 when data capture is enabled."
  }
}

variable "data_capture_uri" {
  description = "Where captured requests/responses go (s3://<bucket>/<prefix>/data-capture/)."
  type        = string
}

variable "deployment" {
  description = "endpoint.deployment: canary_percent, wait_seconds, termination_wait_seconds."
  type = object({
    canary_percent           = number
    wait_seconds             = number
    termination_wait_seconds = number
  })

  validation {
    condition = (
      var.deployment.canary_percent >= 1 && var.deployment.canary_percent <= 50
      && var.deployment.wait_seconds >= 0 && var.deployment.wait_seconds <= 3600
      && var.deployment.termination_wait_seconds >= 0 && var.deployment.termination_wait_seconds <= 3600
    )
    error_message = "endpoint.deployment: canary_percent must be 1-50, wait_seconds and termination_wait_seconds 0-3600."
  }
}

variable "max_latency_ms" {
  description = "Average model latency (ms) above which the latency alarm fires (endpoint.smoke_test.max_latency_ms)."
  type        = number

  validation {
    condition     = var.max_latency_ms > 0
    error_message = "endpoint.smoke_test.max_latency_ms must be positive."
  }
}

variable "enable_network_isolation" {
  description = "network.enable_network_isolation: the model container gets no network access."
  type        = bool
}

variable "subnet_ids" {
  description = "network.subnet_ids (empty: no VPC)."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "network.security_group_ids."
  type        = list(string)
  default     = []
}

variable "alarm_topic_arn" {
  description = "SNS topic told when an alarm fires."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

locals {
  create  = var.model_package_arn != ""
  variant = "AllTraffic"
  alarms = {
    # deploy/settings.py derives the same names (alarm_names) for UpdateEndpoint's auto-rollback.
    "5xx"     = "${var.endpoint_name}-5xx"
    "latency" = "${var.endpoint_name}-latency"
  }
}

resource "aws_sagemaker_model" "initial" {
  count = local.create ? 1 : 0
  # A name derived from the package: a new package means a new model, created before the old one goes.
  name                     = "${var.endpoint_name}-${substr(sha1(var.model_package_arn), 0, 10)}"
  execution_role_arn       = var.execution_role_arn
  enable_network_isolation = var.enable_network_isolation

  primary_container {
    model_package_name = var.model_package_arn
  }

  dynamic "vpc_config" {
    for_each = length(var.subnet_ids) > 0 ? [1] : []
    content {
      subnets            = var.subnet_ids
      security_group_ids = var.security_group_ids
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint_configuration" "initial" {
  count = local.create ? 1 : 0
  # Endpoint configs are immutable: a generated name + create_before_destroy lets a change swap cleanly.
  name_prefix = "${var.endpoint_name}-"
  kms_key_arn = var.kms_key_arn

  production_variants {
    variant_name           = local.variant
    model_name             = aws_sagemaker_model.initial[0].name
    initial_instance_count = var.initial_instance_count
    instance_type          = var.instance_type
    initial_variant_weight = 1
  }

  dynamic "data_capture_config" {
    for_each = var.data_capture.enabled ? [1] : []
    content {
      enable_capture              = true
      initial_sampling_percentage = var.data_capture.sampling_percentage
      destination_s3_uri          = var.data_capture_uri
      kms_key_id                  = var.kms_key_arn

      capture_options {
        capture_mode = "Input"
      }
      capture_options {
        capture_mode = "Output"
      }
      capture_content_type_header {
        csv_content_types  = ["text/csv"]
        json_content_types = ["application/json"]
      }
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_metric_alarm" "errors_5xx" {
  alarm_name          = local.alarms["5xx"]
  alarm_description   = "Model container 5xx on ${var.endpoint_name}: rolls back a blue/green update"
  namespace           = "AWS/SageMaker"
  metric_name         = "Invocation5XXErrors"
  dimensions          = { EndpointName = var.endpoint_name, VariantName = local.variant }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = local.alarms["latency"]
  alarm_description   = "Average ModelLatency above ${var.max_latency_ms} ms on ${var.endpoint_name}: rolls back a blue/green update"
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency" # microseconds
  dimensions          = { EndpointName = var.endpoint_name, VariantName = local.variant }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = var.max_latency_ms * 1000
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  tags                = var.tags
}

resource "aws_sagemaker_endpoint" "this" {
  count                = local.create ? 1 : 0
  name                 = var.endpoint_name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.initial[0].name

  deployment_config {
    blue_green_update_policy {
      termination_wait_in_seconds          = var.deployment.termination_wait_seconds
      maximum_execution_timeout_in_seconds = max(600, 4 * var.deployment.wait_seconds + var.deployment.termination_wait_seconds + 1800)

      traffic_routing_configuration {
        type                     = "CANARY"
        wait_interval_in_seconds = var.deployment.wait_seconds
        canary_size {
          type  = "CAPACITY_PERCENT"
          value = var.deployment.canary_percent
        }
      }
    }

    auto_rollback_configuration {
      alarms {
        alarm_name = aws_cloudwatch_metric_alarm.errors_5xx.alarm_name
      }
      alarms {
        alarm_name = aws_cloudwatch_metric_alarm.latency.alarm_name
      }
    }
  }

  tags = var.tags

  lifecycle {
    # After creation deploy/ owns rollouts (UpdateEndpoint with its own endpoint config); git's
    # deployments/<env>.json records them. Terraform must not roll the endpoint back to the
    # config it created first.
    ignore_changes = [endpoint_config_name]
  }
}

resource "aws_appautoscaling_target" "variant" {
  count              = local.create ? 1 : 0
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${aws_sagemaker_endpoint.this[0].name}/variant/${local.variant}"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = var.autoscaling.min_capacity
  max_capacity       = var.autoscaling.max_capacity
}

resource "aws_appautoscaling_policy" "invocations" {
  count              = local.create ? 1 : 0
  name               = "${var.endpoint_name}-invocations-per-instance"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.variant[0].service_namespace
  resource_id        = aws_appautoscaling_target.variant[0].resource_id
  scalable_dimension = aws_appautoscaling_target.variant[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.target_invocations_per_instance
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "SageMakerVariantInvocationsPerInstance"
    }
  }
}

output "endpoint_created" {
  description = "Whether Terraform manages the endpoint (an Approved package was known)."
  value       = local.create
}

output "endpoint_config_name" {
  description = "Endpoint config Terraform created (deploy/ replaces it on rollouts); null when none."
  value       = try(aws_sagemaker_endpoint_configuration.initial[0].name, null)
}

output "alarm_names" {
  description = "Auto-rollback alarms (deploy/ passes them to UpdateEndpoint)."
  value       = values(local.alarms)
}

output "encryption" {
  description = "Key protecting the endpoint's volumes and captured data (empty when no endpoint)."
  value = local.create ? {
    endpoint_config = aws_sagemaker_endpoint_configuration.initial[0].kms_key_arn
    data_capture    = try(aws_sagemaker_endpoint_configuration.initial[0].data_capture_config[0].kms_key_id, aws_sagemaker_endpoint_configuration.initial[0].kms_key_arn)
  } : {}
}

output "facts" {
  description = "Facts about the endpoint for tests and reviews (null when no endpoint)."
  value = local.create ? {
    model_package     = aws_sagemaker_model.initial[0].primary_container[0].model_package_name
    network_isolation = aws_sagemaker_model.initial[0].enable_network_isolation
    instance_type     = aws_sagemaker_endpoint_configuration.initial[0].production_variants[0].instance_type
    instance_count    = aws_sagemaker_endpoint_configuration.initial[0].production_variants[0].initial_instance_count
    data_capture      = length(aws_sagemaker_endpoint_configuration.initial[0].data_capture_config) > 0
    sampling          = try(aws_sagemaker_endpoint_configuration.initial[0].data_capture_config[0].initial_sampling_percentage, 0)
    canary_percent    = aws_sagemaker_endpoint.this[0].deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].canary_size[0].value
    rollback_alarms   = sort([for alarm in aws_sagemaker_endpoint.this[0].deployment_config[0].auto_rollback_configuration[0].alarms : alarm.alarm_name])
    min_capacity      = aws_appautoscaling_target.variant[0].min_capacity
    max_capacity      = aws_appautoscaling_target.variant[0].max_capacity
  } : null
}
