"""The one error of a release: a check or a step that failed, with what to do next."""


class DeployError(RuntimeError):
    """A check or a step that failed; the message says what to do next."""
