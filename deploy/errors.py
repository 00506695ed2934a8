"""Expected failures: each carries one message that says what went wrong and what to do next.

The CLI prints the message (no traceback) and exits with `exit_code` (the table in
docs/deploy.md). The Lambda returns a refusal for what a retry cannot fix and raises only what a
retry can (`retryable`: a held lock, a busy endpoint, AWS unreachable or throttling), so that
Lambda's asynchronous retries, then the dead-letter queue, see only those.
"""

from __future__ import annotations


class DeployError(Exception):
    """A failure the user can act on. The message is the whole story."""

    exit_code = 1
    retryable = False


class RefusedError(DeployError):
    """The request is not allowed (package not Approved, wrong group/account/region, bad ARN,
    a malformed event, local env)."""

    exit_code = 2


class LockHeldError(DeployError):
    """Another deploy of the same environment holds the lock."""

    exit_code = 3
    retryable = True


class SmokeTestError(DeployError):
    """The endpoint answered wrongly or too slowly."""

    exit_code = 4


class AwsAccessError(DeployError):
    """AWS could not be reached or would not talk to us: credentials, access, network."""

    exit_code = 5


class AwsUnreachableError(AwsAccessError):
    """AWS did not answer (network, endpoint URL): worth retrying."""

    retryable = True


class RetryLaterError(DeployError):
    """A passing condition: the endpoint is mid-update, AWS throttles or is unreachable."""

    exit_code = 6
    retryable = True


EXIT_CODES = {
    0: "done, or nothing to do (already serving; a stale event for an older package)",
    1: "failure: the one line says what failed and what to do",
    2: "refused: bad ARN or event, not Approved, another group/account/region, usage error",
    3: "another deploy of the environment holds the lock",
    4: "the smoke test failed (the rollout was undone)",
    5: "AWS unreachable, credentials missing or rejected, or access denied",
    6: "try again later: the endpoint is mid-update or AWS throttled the request",
    130: "interrupted (Ctrl-C); the next run reconciles the state with the endpoint",
}
