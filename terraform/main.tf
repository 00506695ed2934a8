# One environment (dev, staging or prod) of the SageMaker GitOps template, composed from
# modules/<concern>. Values come from environments/<environment>.yaml.

locals {
  config_file = "${path.module}/../environments/${var.environment}.yaml"
  cfg         = yamldecode(file(local.config_file))

  project    = local.cfg.project
  region     = local.cfg.aws.region
  account_id = tostring(local.cfg.aws.account_id)
  res        = local.cfg.resources
  name       = "${local.project}-${var.environment}"

  tags = {
    Project     = local.project
    Environment = var.environment
    ManagedBy   = "terraform"
    Repository  = local.cfg.github_repository
  }

  definition_file  = coalesce(var.pipeline_definition_file, "${path.module}/../build/${var.environment}/pipeline-definition.json")
  batch_definition = coalesce(var.batch_definition_file, "${path.module}/../build/${var.environment}/batch-definition.json")
  # Feature order of the model's input (what the endpoint captures): names the drift alarms.
  features         = jsondecode(file("${path.module}/../training_code/schema.json")).features
  deployments_file = coalesce(var.deployments_file, "${path.module}/../deployments/${var.environment}.json")
  lambda_zip_file  = coalesce(var.lambda_zip_file, "${path.module}/../build/lambda/deploy.zip")
  token_secret     = coalesce(var.github_token_secret_name, "${local.project}/${var.environment}/github-dispatch-token")

  # deployments/<env>.json is written by the deploy workflow after each rollout. Until the first
  # approval there is none, so there is no model to serve and no endpoint.
  deployment        = fileexists(local.deployments_file) ? jsondecode(file(local.deployments_file)) : {}
  model_package_arn = try(tostring(local.deployment.model_package_arn), "")

  endpoint_enabled = local.cfg.endpoint.enabled
  network          = local.cfg.network
  deploy_target    = local.cfg.approval.deploy_target

  # Promotion (approval.promote_from, e.g. prod from staging): this environment also deploys the
  # source environment's approved packages, so its roles read that environment's registry and
  # models. Names come from the source's own YAML; "" = none.
  promote_from    = try(local.cfg.approval.promote_from, "")
  promote_sources = { for env in compact([local.promote_from]) : env => yamldecode(file("${path.module}/../environments/${env}.yaml")) }
  promote_source = local.promote_from == "" ? null : {
    model_package_group = local.promote_sources[local.promote_from].resources.model_package_group
    bucket_arn          = "arn:aws:s3:::${local.promote_sources[local.promote_from].resources.artifact_bucket}"
    prefix              = local.promote_sources[local.promote_from].resources.prefix
    kms_key_alias       = local.promote_sources[local.promote_from].resources.kms_key_alias
  }

  lambda_function_name = "${local.name}-deploy"
  api_destination_name = "${local.name}-github-dispatch"
  dlq_name             = "${local.name}-approval-dlq"
  # Same place deploy/ (builders.build_data_capture_config) sends captures after a rollout.
  data_capture_uri = "s3://${local.res.artifact_bucket}/${local.res.prefix}/datacapture/${local.res.endpoint_name}"
  alarm_latency_ms = coalesce(var.alarm_latency_ms, local.cfg.endpoint.smoke_test.max_latency_ms)
}

module "storage" {
  source = "./modules/storage"

  name           = local.name
  account_id     = local.account_id
  region         = local.region
  kms_key_alias  = local.res.kms_key_alias
  bucket_name    = local.res.artifact_bucket
  prefix         = local.res.prefix
  lifecycle_days = local.cfg.storage.lifecycle_days
  force_destroy  = local.cfg.storage.force_destroy
}

module "ecr" {
  source = "./modules/ecr"
  count  = var.manage_image_repositories ? 1 : 0

  repositories = {
    job       = local.res.job_image_repository
    inference = local.res.inference_image_repository
  }
  kms_key_arn  = module.storage.kms_key_arn
  force_delete = local.cfg.storage.force_destroy
}

module "registry" {
  source = "./modules/registry"

  name             = local.res.model_package_group
  description      = "${local.project} models for ${var.environment}; a person approves, the approval rule deploys"
  region           = local.region
  account_id       = local.account_id
  read_account_ids = var.registry_read_account_ids
}

module "iam" {
  source = "./modules/iam"

  name                   = local.name
  environment            = var.environment
  account_id             = local.account_id
  region                 = local.region
  github_repository      = local.cfg.github_repository
  execution_role_name    = local.res.execution_role_name
  bucket_arn             = module.storage.bucket_arn
  prefix                 = local.res.prefix
  kms_key_arn            = module.storage.kms_key_arn
  image_repository_names = [local.res.job_image_repository, local.res.inference_image_repository]
  model_package_group    = local.res.model_package_group
  pipeline_name          = local.res.pipeline_name
  endpoint_name          = local.res.endpoint_name
  deploy_target          = local.deploy_target
  lambda_function_name   = local.lambda_function_name
  api_destination_name   = local.api_destination_name
  dlq_name               = local.dlq_name
  subnet_ids             = local.network.subnet_ids
  security_group_ids     = local.network.security_group_ids
  tuning_enabled         = local.cfg.pipeline.tuning.enabled
  promote_source         = local.promote_source
  release_ref            = var.release_ref
  permissions_boundary_arn = (
    var.permissions_boundary_name == null ? null : "arn:aws:iam::${local.account_id}:policy/${var.permissions_boundary_name}"
  )
}

module "pipeline" {
  source = "./modules/pipeline"

  name                = local.res.pipeline_name
  environment         = var.environment
  definition_file     = local.definition_file
  role_arn            = module.iam.execution_role_arn
  execution_role_name = local.res.execution_role_name
  accuracy_threshold  = local.cfg.pipeline.accuracy_threshold
  instance_types = {
    processing = local.cfg.pipeline.processing_instance_type
    training   = local.cfg.pipeline.training_instance_type
  }
  network_isolation          = local.network.enable_network_isolation
  inter_container_encryption = local.network.encrypt_inter_container_traffic
  use_spot                   = local.cfg.pipeline.use_spot

  # The role's policy must exist before a run can start (apply order, not just the ARN).
  depends_on = [module.iam]
}

module "triggers" {
  source = "./modules/triggers"

  name                = local.name
  pipeline_arn        = module.pipeline.arn
  schedule_expression = local.cfg.pipeline.schedule
  input_data_uri      = local.cfg.pipeline.input_data_uri
  bucket              = module.storage.bucket
  raw_prefix          = "${local.res.prefix}/raw/"
  scheduler_role_arn  = module.iam.scheduler_role_arn
  events_role_arn     = module.iam.events_role_arn
  kms_key_arn         = module.storage.kms_key_arn
}

module "alerts" {
  source = "./modules/alerts"

  name                = local.name
  account_id          = local.account_id
  pipeline_arn        = module.pipeline.arn
  model_package_group = module.registry.name
  kms_key_arn         = module.storage.kms_key_arn
  email               = local.cfg.alerts.email
}

module "approval" {
  source = "./modules/approval"

  name                     = local.name
  environment              = var.environment
  deploy_target            = local.deploy_target
  model_package_group      = module.registry.name
  account_id               = local.account_id
  kms_key_arn              = module.storage.kms_key_arn
  alerts_topic_arn         = module.alerts.topic_arn
  dlq_name                 = local.dlq_name
  github_repository        = local.cfg.github_repository
  github_token_secret_name = local.token_secret
  api_destination_name     = local.api_destination_name
  events_role_arn          = module.iam.events_role_arn
  python                   = var.python
  region                   = local.region
  lambda_function_name     = local.lambda_function_name
  lambda_zip_file          = local.lambda_zip_file
  lambda_role_arn          = module.iam.deploy_role_arn
  subnet_ids               = local.network.subnet_ids
  security_group_ids       = local.network.security_group_ids
  lambda_environment = {
    DEPLOY_ENVIRONMENT      = var.environment
    MODEL_PACKAGE_GROUP     = local.res.model_package_group
    ENDPOINT_NAME           = local.res.endpoint_name
    EXECUTION_ROLE_ARN      = module.iam.execution_role_arn
    KMS_KEY_ARN             = module.storage.kms_key_arn
    ARTIFACT_BUCKET         = module.storage.bucket
    ARTIFACT_PREFIX         = local.res.prefix
    ENDPOINT_INSTANCE_TYPE  = local.cfg.endpoint.instance_type
    ENDPOINT_INSTANCE_COUNT = tostring(local.cfg.endpoint.initial_instance_count)
    ENDPOINT_ENABLED        = tostring(local.cfg.endpoint.enabled)
    # Optional ones deploy/settings.py reads (safe defaults when absent); set so YAML stays the truth.
    ENDPOINT_DATA_CAPTURE_PERCENT     = tostring(local.cfg.endpoint.data_capture.enabled ? local.cfg.endpoint.data_capture.sampling_percentage : 0)
    ENDPOINT_CANARY_PERCENT           = tostring(local.cfg.endpoint.deployment.canary_percent)
    ENDPOINT_CANARY_WAIT_SECONDS      = tostring(local.cfg.endpoint.deployment.wait_seconds)
    ENDPOINT_TERMINATION_WAIT_SECONDS = tostring(local.cfg.endpoint.deployment.termination_wait_seconds)
    SUBNET_IDS                        = join(",", local.network.subnet_ids)
    SECURITY_GROUP_IDS                = join(",", local.network.security_group_ids)
    ENABLE_NETWORK_ISOLATION          = tostring(local.network.enable_network_isolation)
    PIPELINE_NAME                     = local.res.pipeline_name
    PROMOTE_FROM_GROUP                = try(local.promote_source.model_package_group, "")
  }
}

module "endpoint" {
  source = "./modules/endpoint"
  count  = local.endpoint_enabled ? 1 : 0

  endpoint_name            = local.res.endpoint_name
  model_package_arn        = local.model_package_arn
  execution_role_arn       = module.iam.execution_role_arn
  kms_key_arn              = module.storage.kms_key_arn
  instance_type            = local.cfg.endpoint.instance_type
  initial_instance_count   = local.cfg.endpoint.initial_instance_count
  autoscaling              = local.cfg.endpoint.autoscaling
  data_capture             = local.cfg.endpoint.data_capture
  data_capture_uri         = local.data_capture_uri
  deployment               = local.cfg.endpoint.deployment
  max_latency_ms           = local.alarm_latency_ms
  enable_network_isolation = local.network.enable_network_isolation
  subnet_ids               = local.network.subnet_ids
  security_group_ids       = local.network.security_group_ids
  alarm_topic_arn          = module.alerts.topic_arn
}

module "batch" {
  source = "./modules/batch"

  name                       = local.name
  environment                = var.environment
  account_id                 = local.account_id
  region                     = local.region
  pipeline_name              = "${local.res.pipeline_name}-batch"
  definition_file            = local.batch_definition
  execution_role_arn         = module.iam.execution_role_arn
  execution_role_name        = local.res.execution_role_name
  processing_instance_type   = local.cfg.pipeline.processing_instance_type
  network_isolation          = local.network.enable_network_isolation
  inter_container_encryption = local.network.encrypt_inter_container_traffic
  schedule_expression        = local.cfg.batch.schedule
  bucket                     = module.storage.bucket
  prefix                     = local.res.prefix
  kms_key_arn                = module.storage.kms_key_arn
  permissions_boundary_arn = (
    var.permissions_boundary_name == null ? null : "arn:aws:iam::${local.account_id}:policy/${var.permissions_boundary_name}"
  )

  depends_on = [module.iam]
}

module "monitoring" {
  source = "./modules/monitoring"

  name       = local.name
  region     = local.region
  account_id = local.account_id
  # Model Monitor needs a live endpoint that captures data: Terraform manages one once
  # deployments/<env>.json names an approved package.
  enabled                    = local.endpoint_enabled && local.model_package_arn != "" && local.cfg.endpoint.data_capture.enabled
  endpoint_name              = local.res.endpoint_name
  schedule_expression        = local.cfg.monitoring.schedule
  features                   = local.features
  bucket                     = module.storage.bucket
  bucket_arn                 = module.storage.bucket_arn
  prefix                     = local.res.prefix
  kms_key_arn                = module.storage.kms_key_arn
  instance_type              = local.cfg.pipeline.processing_instance_type
  network_isolation          = local.network.enable_network_isolation
  inter_container_encryption = local.network.encrypt_inter_container_traffic
  subnet_ids                 = local.network.subnet_ids
  security_group_ids         = local.network.security_group_ids
  training_pipeline_arn      = module.pipeline.arn
  training_input_data_uri    = local.cfg.pipeline.input_data_uri
  retrain_on_drift           = local.cfg.monitoring.retrain_on_drift
  events_role_arn            = module.iam.events_role_arn
  alerts_topic_arn           = module.alerts.topic_arn
  permissions_boundary_arn = (
    var.permissions_boundary_name == null ? null : "arn:aws:iam::${local.account_id}:policy/${var.permissions_boundary_name}"
  )

  depends_on = [module.endpoint]
}
