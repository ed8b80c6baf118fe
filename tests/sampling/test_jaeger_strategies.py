"""Unit tests of the tricky parts: Jaeger's strategies.json rules and the adaptive calculation."""

from __future__ import annotations

import json

import pytest

from tempo_py.sampling.jaeger.adaptive import AdaptiveSettings, next_probability
from tempo_py.sampling.jaeger.strategies import StrategiesError, parse_strategies

SETTINGS = AdaptiveSettings(
    target_samples_per_second=5.0,
    initial_sampling_probability=0.5,
    min_sampling_probability=0.001,
    max_sampling_probability=0.9,
    min_samples_per_second=0.0,
    calculation_interval_s=1.0,
    aggregation_buckets=3,
)


def test_no_default_strategy_is_jaegers_0_001() -> None:
    assert parse_strategies("{}").for_service("x") == {
        "strategyType": "PROBABILISTIC",
        "probabilisticSampling": {"samplingRate": 0.001},
    }


def test_services_inherit_and_merge_the_default_operations() -> None:
    doc = {
        "default_strategy": {
            "type": "probabilistic",
            "param": 0.5,
            "default_lower_bound_traces_per_second": 2,
            "operation_strategies": [
                {"operation": "/health", "type": "probabilistic", "param": 0.0},
                {"operation": "/login", "type": "probabilistic", "param": 0.9},
            ],
        },
        "service_strategies": [
            {"service": "plain", "type": "probabilistic", "param": 0.2},
            {"service": "limited", "type": "ratelimiting", "param": 7},
            {
                "service": "own",
                "type": "probabilistic",
                "param": 0.3,
                "operation_strategies": [
                    {"operation": "/login", "type": "probabilistic", "param": 0.1},
                    {"operation": "/skip", "type": "ratelimiting", "param": 3},
                ],
            },
        ],
    }
    s = parse_strategies(json.dumps(doc))
    plain = s.for_service("plain")["operationSampling"]
    assert plain["defaultSamplingProbability"] == 0.2
    assert plain["defaultLowerBoundTracesPerSecond"] == 2.0
    assert [o["operation"] for o in plain["perOperationStrategies"]] == ["/health", "/login"]
    assert s.for_service("limited") == {
        "strategyType": "RATE_LIMITING",
        "rateLimitingSampling": {"maxTracesPerSecond": 7},
    }
    own = s.for_service("own")["operationSampling"]["perOperationStrategies"]
    # its own /login wins, /health comes from the default, the rate-limited operation is skipped
    assert {o["operation"]: o["probabilisticSampling"]["samplingRate"] for o in own} == {
        "/login": 0.1,
        "/health": 0.0,
    }


@pytest.mark.parametrize(
    "doc",
    [
        "not json",
        '{"default_strategy": {"type": "sometimes", "param": 1}}',
        '{"default_strategy": {"type": "probabilistic", "param": 1.5}}',
        '{"service_strategies": [{"type": "probabilistic", "param": 0.5}]}',
        '{"service_strategies": [{"service": "a", "type": "ratelimiting", "param": "x"}]}',
    ],
)
def test_bad_files_are_refused_with_a_reason(doc: str) -> None:
    with pytest.raises(StrategiesError):
        parse_strategies(doc)


def test_next_probability_aims_at_the_target_and_caps_increases() -> None:
    assert next_probability(0.5, 100.0, SETTINGS) == pytest.approx(0.05)  # 5 of 100 per second
    assert next_probability(0.1, 10.0, SETTINGS) == pytest.approx(0.15)  # wants 0.5: +50% at most
    assert next_probability(0.1, 0.0, SETTINGS) == pytest.approx(0.15)  # idle: rise, capped
    assert next_probability(0.8, 1.0, SETTINGS) == 0.9  # the ceiling
    assert next_probability(0.01, 1e6, SETTINGS) == 0.001  # the floor
