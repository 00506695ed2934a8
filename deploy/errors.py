"""Expected failures: each carries one message that says what went wrong and what to do next.

The CLI prints the message (no traceback) and exits with `exit_code`; the Lambda handler raises
them so that EventBridge/Lambda record the failure.
"""

from __future__ import annotations


class DeployError(Exception):
    """A failure the user can act on. The message is the whole story."""

    exit_code = 1


class RefusedError(DeployError):
    """The request is not allowed (package not Approved, wrong group, bad ARN, local env)."""

    exit_code = 2


class LockHeldError(DeployError):
    """Another deploy of the same environment holds the lock."""

    exit_code = 3


class SmokeTestError(DeployError):
    """The endpoint answered wrongly or too slowly."""

    exit_code = 4
