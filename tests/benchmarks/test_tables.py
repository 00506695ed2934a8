"""Each benchmark's tables(...) on small synthetic figures gives a result the one format accepts,
with the headline computed from the figures (no benchmark is run here)."""

from __future__ import annotations

import pytest

from benchmarks import (
    batch,
    definition,
    definition_check,
    local,
    proof,
    proxy,
    report,
    scale_out,
    setup_install,
    sharded,
    training,
)


def accepted(name: str, tables: list[report.Table]) -> dict:
    run = report.Run(name, f"python -m benchmarks {name}", 1.0)
    result = report.publish(run, conditions="synthetic", tables=tables)
    report.validate(result, name)
    return result


def headline(result: dict, table: int = 0) -> dict:
    return result["tables"][table]["headline"]


def test_definition_and_definition_check(capsys):
    assert headline(accepted("definition", definition.tables(2.0, 2.5, 3)))["value"] == 1.25
    medians = {"read": 0.1, "validate": 1.0, "generate": 10.0}
    result = accepted("definition-check", definition_check.tables(medians, 0.0011, 3, 12))
    assert headline(result)["value"] == 0.1
    assert result["tables"][0]["rows"][2][1] == "**1.1 ms** (median of 12)"


def test_training_reports_the_largest_peak_of_any_step():
    figures = {"preprocess": (27.0, 0.5), "train": (172.0, 0.91), "evaluate": (8.0, 0.7)}
    result = accepted("training", training.tables(1000, figures))
    assert headline(result) == {
        "figure": "peak RSS of any step, GiB (4 GB = 3.7 GiB)", "value": 0.91, "goal": "<= 3.7"
    }  # fmt: skip
    assert result["tables"][0]["rows"][1][1] == "27 s / 172 s / 8 s"


def test_local_runner():
    timings = {
        "direct": 10.0,
        "cold": {"definition as generated": 11.0},
        "rerun": {"definition as generated": 0.1},
        "cached": {"definition as generated": ["Preprocess", "Train"]},
    }
    figures = {
        "raw_rows_per_s": 600.0, "endpoint_rows_per_s": 300.0, "raw_batch_rows_per_s": 100.0,
        "endpoint_batch_rows_per_s": 60.0, "batch_rows": 86, "p50_ms": 2.0, "p99_ms": 8.0,
        "load_seconds": 10.0, "load_requests": 3000, "load_errors": 0,
    }  # fmt: skip
    result = accepted("local", local.tables(timings, figures))
    assert headline(result)["value"] == 1.1
    assert "(cached: Preprocess, Train)" in result["tables"][0]["rows"][1][1]


def test_sharded_ratio_and_idle_estimate():
    single = [sharded.Round(10.0, 0.4, 12.0)] * 3
    four = [sharded.Round(6.0, 0.2, 14.0)] * 3
    result = accepted("sharded", sharded.tables(single, four, cores=2))
    assert headline(result)["value"] == 0.6
    # 0.2 + 14 / 2 = 7.2 against 0.4 + 12 = 12.4
    assert result["tables"][0]["rows"][3][1] == "7.2 s / 12.4 s = **0.58**"


def test_proxy_ratios():
    results = {
        "new": {"p50": 2.0, "p99": 4.0, "ping_burst_max": 100.0, "ping_after_p50": 1.0},
        "old": {"p50": 1.0, "p99": 8.0, "ping_burst_max": 200.0, "ping_after_p50": 1.0},
    }
    result = accepted("proxy", proxy.tables(results, "0556951", 2000))
    assert headline(result)["value"] == 2.0
    assert result["tables"][0]["columns"][2] == "standard-library proxy (0556951)"


def test_batch_scorer_ratio_is_against_the_hand_written_script_with_in_memory_predict_beside():
    median = {"raw": 0.1, "script": 1.0, "scorer": 1.25, "pipeline": 2.0}
    result = accepted("batch", batch.tables(median, 1000))
    assert headline(result) == {
        "figure": "scorer / hand-written script throughput", "value": 0.8, "goal": ">= 0.8"
    }  # fmt: skip
    scorer = result["tables"][0]["rows"][2]
    assert scorer[0] == "scorer" and scorer[3] == "800"
    assert scorer[4] == "**0.80**" and scorer[5] == "0.08"  # beside it: vs in-memory predict


def test_setup_and_proof():
    assert headline(accepted("setup", setup_install.tables(20.0, 200.0)))["value"] == 0.1
    result = accepted("proof", proof.tables(1705, 2780, 7.4, 4.3, 6.8, 6.3))
    assert headline(result) == {"figure": "warm `make proof` wall time, s", "value": 7.4,
                                "goal": "< 30"}  # fmt: skip


@pytest.mark.parametrize(("hosts", "expected"), [((1, 2, 4), 0.75), ((1, 4), 0.25)])
def test_scale_out_efficiency_at_two_hosts_or_the_largest_count(hosts, expected):
    def figures(seconds: float) -> dict:
        return {
            "preprocess": seconds / 2, "train": seconds / 2, "preprocess_cpu": 5.0,
            "train_cpu": 6.0, "peak_rss": 3e8, "largest_shard": 1e8, "rss_ratio": 3.0,
            "accuracy": 0.85,
        }  # fmt: skip

    walls = {1: 100.0, 2: 100 / 1.5, 4: 100.0}
    result = accepted("scale-out", scale_out.tables({h: figures(walls[h]) for h in hosts}))
    assert headline(result)["value"] == expected
