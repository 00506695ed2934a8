"""Print an environment's values as `key=value` lines for $GITHUB_OUTPUT.

Workflows read the region, account and repository names from environments/<env>.yaml through this
package instead of repeating them: `python -m ci env --env dev >> "$GITHUB_OUTPUT"`.
"""

from __future__ import annotations

import argparse
import sys

from env_config import EnvConfig, EnvConfigError, load


def outputs(config: EnvConfig) -> dict[str, str]:
    job_uri = config.image_repository_uri("job")
    return {
        "environment": config.name,
        "region": config.region,
        "account_id": config.account_id,
        "registry": job_uri.split("/", 1)[0],
        "job_repository": config.get("resources.job_image_repository"),
        "inference_repository": config.get("resources.inference_image_repository"),
        "job_image": job_uri,
        "inference_image": config.image_repository_uri("inference"),
        "pipeline_name": config.get("resources.pipeline_name"),
        "model_package_group": config.model_package_group,
        "endpoint_name": config.get("resources.endpoint_name"),
        "endpoint_enabled": str(bool(config.get("endpoint.enabled"))).lower(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    args = parser.parse_args(argv)
    try:
        values = outputs(load(args.env))
    except EnvConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for key, value in values.items():
        print(f"{key}={value}")
    return 0
