"""The few AWS calls `make deploy` needs, through boto3 (imported only when a step needs it)."""

from __future__ import annotations

from release.errors import DeployError


class Aws:
    """The few AWS calls make deploy needs, through boto3 (honours AWS_ENDPOINT_URL)."""

    def __init__(self, region: str):
        import boto3  # deferred: a dry run never imports it

        self._session = boto3.Session(region_name=region)
        self.region = region

    @staticmethod
    def configured_region() -> str | None:
        """The region the person's AWS configuration selects (env or profile), if any."""
        import boto3

        return boto3.Session().region_name

    def account_id(self) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self._session.client("sts").get_caller_identity()["Account"]
        except (BotoCoreError, ClientError) as error:
            raise DeployError(
                f"no usable AWS credentials ({error}). Log in first, for example "
                "`aws sso login --profile <profile>` and `export AWS_PROFILE=<profile>`; CI gets "
                "them by OIDC (vars.AWS_DEPLOY_ROLE_ARN of the GitHub environment)."
            ) from error

    def image_digest(self, repository: str, *, tag: str | None = None, digest: str | None = None):
        """The digest ECR holds for a tag or a digest, or None when the image is not there."""
        from botocore.exceptions import ClientError

        image_id = {"imageTag": tag} if tag else {"imageDigest": digest}
        try:
            response = self._session.client("ecr").describe_images(
                repositoryName=repository, imageIds=[image_id]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] in ("ImageNotFoundException",):
                return None
            raise DeployError(
                f"cannot read ECR repository '{repository}' ({error}). Run `make apply` once "
                "(Terraform creates it) or check the role's ecr:DescribeImages permission."
            ) from error
        details = response.get("imageDetails") or []
        return details[0]["imageDigest"] if details else None

    def missing_repositories(self, names: list[str]) -> list[str]:
        """The ECR repositories among `names` that do not exist (yet: a fresh account)."""
        from botocore.exceptions import ClientError

        ecr = self._session.client("ecr")
        missing = []
        for name in names:
            try:
                ecr.describe_repositories(repositoryNames=[name])
            except ClientError as error:
                if error.response["Error"]["Code"] != "RepositoryNotFoundException":
                    raise DeployError(
                        f"cannot read ECR repository '{name}' ({error}): check the role's "
                        "ecr:DescribeRepositories permission."
                    ) from error
                missing.append(name)
        return missing

    def bucket_exists(self, bucket: str) -> bool:
        """True when the bucket exists and this identity may see it (HeadBucket)."""
        from botocore.exceptions import ClientError

        try:
            self._session.client("s3").head_bucket(Bucket=bucket)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchBucket", "NotFound"):
                return False
            raise DeployError(
                f"cannot read bucket '{bucket}' ({error}): check the role's s3:ListBucket "
                "permission."
            ) from error
        return True

    def has_objects(self, bucket: str, prefix: str) -> bool:
        """True when at least one object lies under s3://bucket/prefix."""
        response = self._session.client("s3").list_objects_v2(
            Bucket=bucket, Prefix=prefix, MaxKeys=1
        )
        return bool(response.get("KeyCount"))

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        """One object, encrypted with the bucket's default KMS key (its encryption settings)."""
        self._session.client("s3").put_object(Bucket=bucket, Key=key, Body=body)

    def docker_password(self) -> str:
        import base64

        token = self._session.client("ecr").get_authorization_token()["authorizationData"][0]
        return base64.b64decode(token["authorizationToken"]).decode().split(":", 1)[1]

    def start_pipeline(self, pipeline_name: str, display_name: str, description: str) -> str:
        response = self._session.client("sagemaker").start_pipeline_execution(
            PipelineName=pipeline_name,
            PipelineExecutionDisplayName=display_name,
            PipelineExecutionDescription=description,
        )
        return response["PipelineExecutionArn"]
