"""Write the GitHub token from Secrets Manager into the EventBridge connection (run by
`terraform apply`, modules/approval: terraform_data.github_token).

Why not Terraform itself: a value Terraform reads lands in its plan and state, and a pull
request's plan role could then reach prod's token. Here the value travels from Secrets Manager to
EventBridge inside one process of the applying role and is never printed or stored.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", required=True)
    parser.add_argument("--connection", required=True, help="EventBridge connection name")
    parser.add_argument("--secret", required=True, help="Secrets Manager secret name or ARN")
    args = parser.parse_args(argv)

    import boto3  # deferred: --help needs no SDK
    from botocore.exceptions import BotoCoreError, ClientError

    session = boto3.session.Session(region_name=args.region)
    try:
        token = (
            session.client("secretsmanager")
            .get_secret_value(SecretId=args.secret)["SecretString"]
            .strip()
        )
        if not token:
            raise ValueError("empty")
        session.client("events").update_connection(
            Name=args.connection,
            AuthorizationType="API_KEY",
            AuthParameters={
                "ApiKeyAuthParameters": {
                    "ApiKeyName": "Authorization",
                    "ApiKeyValue": f"Bearer {token}",
                }
            },
        )
    except ValueError:
        print(
            f"set_github_token: secret {args.secret} holds no token. Store the GitHub token in "
            "it (docs/infrastructure.md, Approval), then apply again.",
            file=sys.stderr,
        )
        return 1
    except (BotoCoreError, ClientError) as error:
        print(
            f"set_github_token: could not copy {args.secret} into connection "
            f"{args.connection}: {error}. Check that the secret exists and that the applying "
            "role may read it (bootstrap: GithubTokenSecret) and update the connection.",
            file=sys.stderr,
        )
        return 1
    print(f"set_github_token: connection {args.connection} uses the current token of {args.secret}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
