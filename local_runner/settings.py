"""What the local runner needs to know beyond the definition, from environments/local.yaml's
`local_runner:` section: which repository handler answers for a Lambda function, and the declared
outputs of steps that only AWS can run (QualityCheck, ClarifyCheck, EMR, Callback, or any other).

    local_runner:
      lambdas:
        my-function: deploy/lambda_handler.py:handler   # function name or ARN -> file:function
      stubs:
        CheckDataQuality:                                # step name -> the properties it yields
          CalculatedBaselineConstraints: s3://bucket/baseline/constraints.json
        WaitForApproval:
          OutputParameters: {decision: approve}          # a mapping becomes [{Name, Value}]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SECTION = "local_runner"
OTHER_KEYS = ("runtimes",)  # the image -> runtime table, read by local_runner.jobs (env_config)


class SettingsError(ValueError):
    """A local_runner section that cannot be used; the message names the key and the fix."""


@dataclass(frozen=True)
class StepSettings:
    lambdas: dict[str, str] = field(default_factory=dict)
    stubs: dict[str, dict[str, Any]] = field(default_factory=dict)
    where: str = "environments/local.yaml"

    @classmethod
    def from_mapping(cls, raw: Any, where: str = "environments/local.yaml") -> StepSettings:
        if raw in (None, {}):
            return cls(where=where)
        if not isinstance(raw, dict):
            raise SettingsError(f"{where}: {SECTION} must be a mapping (lambdas:, stubs:).")
        unknown = sorted(set(raw) - {"lambdas", "stubs", *OTHER_KEYS})
        if unknown:
            raise SettingsError(
                f"{where}: {SECTION}.{unknown[0]} is not a setting of the local runner "
                f"(known: lambdas, stubs, {', '.join(OTHER_KEYS)})."
            )
        lambdas = raw.get("lambdas") or {}
        stubs = raw.get("stubs") or {}
        if not isinstance(lambdas, dict) or not all(
            isinstance(v, str) and ":" in v for v in lambdas.values()
        ):
            raise SettingsError(
                f"{where}: {SECTION}.lambdas maps a function name or ARN to 'path/to/file.py:"
                "function' (a handler in this repository)."
            )
        if not isinstance(stubs, dict) or not all(isinstance(v, dict) for v in stubs.values()):
            raise SettingsError(
                f"{where}: {SECTION}.stubs maps a step name to the properties it yields "
                "(a mapping, e.g. OutputParameters: {name: value})."
            )
        return cls(lambdas=dict(lambdas), stubs={k: dict(v) for k, v in stubs.items()}, where=where)

    @classmethod
    def from_config(cls, config: Any) -> StepSettings:
        """From an env_config.EnvConfig (its raw mapping, so a missing section is no error)."""
        return cls.from_mapping(config.raw.get(SECTION), str(config.path))
