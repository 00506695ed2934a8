# Realistic ARNs for the mocked AWS provider: without them the mock invents random strings and
# anything that parses an ARN (or a JSON policy naming one) sees garbage.

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555"
    key_id = "11111111-2222-3333-4444-555555555555"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::mock-bucket"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::000000000000:role/mock-role"
  }
}

mock_resource "aws_sagemaker_pipeline" {
  defaults = {
    arn = "arn:aws:sagemaker:us-east-1:000000000000:pipeline/mock-pipeline"
  }
}

mock_resource "aws_sagemaker_model_package_group" {
  defaults = {
    arn = "arn:aws:sagemaker:us-east-1:000000000000:model-package-group/mock-group"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:us-east-1:000000000000:mock-alerts"
  }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:us-east-1:000000000000:mock-dlq"
    id  = "https://sqs.us-east-1.amazonaws.com/000000000000/mock-dlq"
    url = "https://sqs.us-east-1.amazonaws.com/000000000000/mock-dlq"
  }
}

mock_resource "aws_cloudwatch_event_rule" {
  defaults = {
    arn = "arn:aws:events:us-east-1:000000000000:rule/mock-rule"
  }
}

mock_resource "aws_cloudwatch_event_connection" {
  defaults = {
    arn        = "arn:aws:events:us-east-1:000000000000:connection/mock/00000000-0000-0000-0000-000000000000"
    secret_arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:events!connection/mock-AbCdEf"
  }
}

mock_resource "aws_cloudwatch_event_api_destination" {
  defaults = {
    arn = "arn:aws:events:us-east-1:000000000000:api-destination/mock/00000000-0000-0000-0000-000000000000"
  }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn = "arn:aws:lambda:us-east-1:000000000000:function:mock-deploy"
  }
}

mock_resource "aws_ecr_repository" {
  defaults = {
    arn            = "arn:aws:ecr:us-east-1:000000000000:repository/mock"
    repository_url = "000000000000.dkr.ecr.us-east-1.amazonaws.com/mock"
  }
}

mock_resource "aws_scheduler_schedule" {
  defaults = {
    arn = "arn:aws:scheduler:us-east-1:000000000000:schedule/default/mock"
  }
}

mock_resource "aws_sagemaker_endpoint" {
  defaults = {
    arn = "arn:aws:sagemaker:us-east-1:000000000000:endpoint/mock"
  }
}

# Terraform reads only the token's version ids (the value never enters the plan or the state).
mock_data "aws_secretsmanager_secret_versions" {
  defaults = {
    versions = [{ version_id = "mock-version", version_stages = ["AWSCURRENT"], created_time = "2026-01-01T00:00:00Z", last_accessed_date = "" }]
  }
}

mock_resource "aws_iam_policy" {
  defaults = {
    arn = "arn:aws:iam::000000000000:policy/mock-policy"
  }
}

mock_resource "aws_iam_openid_connect_provider" {
  defaults = {
    arn = "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com"
  }
}
