"""Tuning steps: a sequential search over the definition's HyperParameterTuningJobConfig.

Each trial is an ordinary local training job (the TrainingJobDefinition with the static
hyperparameters plus the trial's values); the best trial by the objective metric (scraped with the
job's MetricDefinitions, as SageMaker does) becomes BestTrainingJob, and TrainingJobSummaries lists
the trials best first, so `get_top_model_s3_uri(top_k=0)` and BestTrainingJob paths resolve.

Strategy: Grid enumerates every combination (categorical values and integer ranges, as SageMaker's
grid allows), capped by MaxNumberOfTrainingJobs when given. Random, Bayesian and Hyperband draw at
random with RandomSeed (0 when absent): Bayesian optimisation needs a model of earlier trials that
would only add noise to a handful of local jobs, and a fixed seed makes reruns identical.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
from collections.abc import Callable
from typing import Any

from local_runner.expressions import UnsupportedError

RANDOM_STRATEGIES = ("Random", "Bayesian", "Hyperband")


def _number(text: Any, integer: bool) -> float:
    return int(float(text)) if integer else float(text)


def _draw(rng: random.Random, low: float, high: float, scaling: str, integer: bool) -> Any:
    if scaling == "Logarithmic" and low > 0:
        value = math.exp(rng.uniform(math.log(low), math.log(high)))
    elif scaling == "ReverseLogarithmic" and high < 1:
        value = 1 - math.exp(rng.uniform(math.log(1 - high), math.log(1 - low)))
    else:
        value = rng.uniform(low, high)
    return min(high, max(low, round(value))) if integer else value


def trials(config: dict[str, Any], step: str) -> list[dict[str, str]]:
    """The hyperparameter values of each trial (strings, as SageMaker passes them)."""
    ranges = config.get("ParameterRanges") or {}
    integers = ranges.get("IntegerParameterRanges") or []
    continuous = ranges.get("ContinuousParameterRanges") or []
    categorical = ranges.get("CategoricalParameterRanges") or []
    strategy = config.get("Strategy", "Bayesian")
    limit = (config.get("ResourceLimits") or {}).get("MaxNumberOfTrainingJobs")
    if strategy == "Grid":
        if continuous:
            raise UnsupportedError(
                f"step {step}: Grid search cannot enumerate continuous range "
                f"'{continuous[0]['Name']}' (SageMaker refuses it too); use Random or an integer "
                "or categorical range."
            )
        axes = [(c["Name"], [str(v) for v in c["Values"]]) for c in categorical] + [
            (r["Name"], [str(v) for v in range(int(r["MinValue"]), int(r["MaxValue"]) + 1)])
            for r in integers
        ]
        combos = [
            dict(zip([n for n, _ in axes], values, strict=True))
            for values in itertools.product(*[v for _, v in axes])
        ]
        return combos[: int(limit)] if limit else combos
    if strategy not in RANDOM_STRATEGIES:
        raise UnsupportedError(f"step {step}: tuning strategy '{strategy}' is not supported.")
    if not limit:
        raise UnsupportedError(
            f"step {step}: ResourceLimits.MaxNumberOfTrainingJobs is required for {strategy}."
        )
    rng = random.Random(int(config.get("RandomSeed", 0)))  # noqa: S311 - a search, not a secret
    found = []
    for _ in range(int(limit)):
        values: dict[str, str] = {}
        for kind, integer in ((integers, True), (continuous, False)):
            for item in kind:
                low, high = (_number(item[k], integer) for k in ("MinValue", "MaxValue"))
                scaling = item.get("ScalingType", "Auto")
                values[item["Name"]] = str(_draw(rng, low, high, scaling, integer))
        for item in categorical:
            values[item["Name"]] = str(rng.choice(item["Values"]))
        found.append(values)
    return found


def check(arguments: dict[str, Any], step: str) -> None:
    """Refuse, before any step runs, a tuning configuration this runner cannot search."""
    config = arguments.get("HyperParameterTuningJobConfig") or {}
    strategy = config.get("Strategy", "Bayesian")
    objective = (config.get("HyperParameterTuningJobObjective") or {}).get("MetricName")
    if not arguments.get("TrainingJobDefinition") or not objective:
        raise UnsupportedError(
            f"step {step}: a tuning step needs TrainingJobDefinition and an objective MetricName "
            "(TrainingJobDefinitions with several algorithms are not supported locally)."
        )
    if strategy not in (*RANDOM_STRATEGIES, "Grid"):
        raise UnsupportedError(
            f"step {step}: tuning strategy '{strategy}' is not supported locally (Grid, "
            f"{', '.join(RANDOM_STRATEGIES)})."
        )
    ranges = config.get("ParameterRanges") or {}
    if strategy == "Grid" and ranges.get("ContinuousParameterRanges"):
        name = ranges["ContinuousParameterRanges"][0].get("Name")
        raise UnsupportedError(
            f"step {step}: Grid search cannot enumerate continuous range '{name}' (SageMaker "
            "refuses it too); use Random or an integer or categorical range."
        )
    if strategy != "Grid" and not (config.get("ResourceLimits") or {}).get(
        "MaxNumberOfTrainingJobs"
    ):
        raise UnsupportedError(
            f"step {step}: ResourceLimits.MaxNumberOfTrainingJobs is required for {strategy}."
        )


def trial_job_name(tuning_job: str, index: int, values: dict[str, str]) -> str:
    """<tuning job>-<NNN>-<hash>, as SageMaker names a tuning job's training jobs (<= 63)."""
    digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:8]
    return f"{tuning_job[:32].rstrip('-')}-{index:03d}-{digest}"


def training_request(definition: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """One trial's CreateTrainingJob request from the TrainingJobDefinition."""
    request = {k: v for k, v in definition.items() if k not in ("StaticHyperParameters",)}
    request["HyperParameters"] = {**(definition.get("StaticHyperParameters") or {}), **values}
    return request


def run(
    arguments: dict[str, Any],
    step: str,
    tuning_job: str,
    train: Callable[[dict[str, Any], str], dict[str, Any]],
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Run every trial with train(request, job name); the tuning job's Describe properties."""
    config = arguments.get("HyperParameterTuningJobConfig") or {}
    objective = config.get("HyperParameterTuningJobObjective") or {}
    metric, kind = objective.get("MetricName"), objective.get("Type", "Maximize")
    definition = arguments.get("TrainingJobDefinition")
    if not definition or not metric:
        raise UnsupportedError(
            f"step {step}: a tuning step needs TrainingJobDefinition and an objective MetricName "
            "(multi-algorithm TrainingJobDefinitions are not supported locally)."
        )
    summaries, failures = [], []
    for index, values in enumerate(trials(config, step), 1):
        name = trial_job_name(tuning_job, index, values)
        try:
            properties = train(training_request(definition, values), name)
        except Exception as error:  # a failed trial does not stop the search, as on SageMaker
            failures.append(f"{name}: {getattr(error, 'reason', error)}")
            say(f"    trial {index} {name} failed: {failures[-1]}")
            continue
        value = next(
            (
                m["Value"]
                for m in properties.get("FinalMetricDataList") or []
                if m["MetricName"] == metric
            ),
            None,
        )
        summary = {
            "TrainingJobName": name,
            "TrainingJobArn": properties.get("TrainingJobArn"),
            "TrainingJobStatus": "Completed",
            "TunedHyperParameters": values,
            "ObjectiveStatus": "Succeeded" if value is not None else "Failed",
            "ModelArtifacts": properties.get("ModelArtifacts"),
        }
        if value is not None:
            summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
                "Type": kind,
                "MetricName": metric,
                "Value": value,
            }
        say(f"    trial {index} {name}: {values} -> {metric}={value}")
        summaries.append(summary)
    scored = [s for s in summaries if s["ObjectiveStatus"] == "Succeeded"]
    if not scored:
        reason = failures[0] if failures else f"no trial logged the objective metric {metric}"
        raise UnsupportedError(f"step {step}: no trial succeeded with a {metric} value ({reason}).")
    scored.sort(
        key=lambda s: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"],
        reverse=kind == "Maximize",
    )
    ordered = scored + [s for s in summaries if s not in scored]
    return {
        **arguments,
        "HyperParameterTuningJobName": tuning_job,
        "HyperParameterTuningJobStatus": "Completed",
        "BestTrainingJob": scored[0],
        "TrainingJobSummaries": ordered,
        "TrainingJobStatusCounters": {
            "Completed": len(summaries),
            "Failed": len(failures),
            "InProgress": 0,
            "Stopped": 0,
        },
        "ObjectiveStatusCounters": {
            "Succeeded": len(scored),
            "Failed": len(summaries) - len(scored) + len(failures),
            "Pending": 0,
        },
    }
