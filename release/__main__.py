"""`python -m release --env dev|staging|prod`: what `make deploy ENV=<env>` runs."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from release.deployment import Deployment
from release.errors import DeployError
from release.options import parse_args


def main(argv: Sequence[str] | None = None) -> int:
    try:
        Deployment(parse_args(argv)).run()
    except DeployError as error:
        print(f"make deploy: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
