"""Jaeger's ``strategies.json`` -> the per-service responses jaeger-agent and jaeger-collector serve.

A response is the JSON form of ``jaeger.api_v2.SamplingStrategyResponse`` as Jaeger serves it
(``strategyType``, ``probabilisticSampling.samplingRate``, ``rateLimitingSampling.maxTracesPerSecond``,
``operationSampling.perOperationStrategies``). The rules are Jaeger's static strategy store's: no
default strategy means probabilistic 0.001; per-operation strategies must be probabilistic; a
service without operation strategies inherits the default's, with its own probability as the
per-operation default; a service with its own gets the default's operations it does not name.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_PROBABILITY",
    "Response",
    "Strategies",
    "StrategiesError",
    "parse_strategies",
    "probabilistic",
]

DEFAULT_PROBABILITY = 0.001
Response = dict[str, Any]


class StrategiesError(ValueError):
    """A strategies file that cannot be used (bad JSON, a bad type or parameter)."""


def probabilistic(rate: float) -> Response:
    """A probabilistic response."""
    return {"strategyType": "PROBABILISTIC", "probabilisticSampling": {"samplingRate": rate}}


def _strategy(raw: dict[str, Any], where: str) -> Response:
    kind, param = raw.get("type"), raw.get("param")
    if not isinstance(param, int | float) or isinstance(param, bool):
        raise StrategiesError(f"{where}: param must be a number, got {param!r}")
    if kind == "probabilistic":
        if not 0.0 <= param <= 1.0:
            raise StrategiesError(f"{where}: a probabilistic param must be within [0, 1], got {param}")
        return probabilistic(float(param))
    if kind == "ratelimiting":
        if not 0 <= param < 32768:  # Jaeger's maxTracesPerSecond is an int16 on the Thrift side
            raise StrategiesError(f"{where}: a ratelimiting param must be within [0, 32767], got {param}")
        return {"strategyType": "RATE_LIMITING", "rateLimitingSampling": {"maxTracesPerSecond": int(param)}}
    raise StrategiesError(f'{where}: type must be "probabilistic" or "ratelimiting", got {kind!r}')


def _operations(raw: dict[str, Any], base: Response, where: str) -> Response | None:
    ops = raw.get("operation_strategies")
    if not ops:
        return None
    if not isinstance(ops, list):
        raise StrategiesError(f"{where}.operation_strategies must be a list")
    default_p = (
        base["probabilisticSampling"]["samplingRate"]
        if "probabilisticSampling" in base
        else DEFAULT_PROBABILITY
    )
    per_op = []
    for i, op in enumerate(ops):
        at = f"{where}.operation_strategies[{i}]"
        if not isinstance(op, dict) or not isinstance(op.get("operation"), str):
            raise StrategiesError(f"{at}: needs an operation name")
        parsed = _strategy(op, at)
        if "probabilisticSampling" not in parsed:
            log.warning(
                "%s: only probabilistic operation strategies are supported; %s skipped", at, op["operation"]
            )
            continue
        per_op.append(
            {"operation": op["operation"], "probabilisticSampling": parsed["probabilisticSampling"]}
        )
    return {
        "defaultSamplingProbability": default_p,
        "defaultLowerBoundTracesPerSecond": float(raw.get("default_lower_bound_traces_per_second", 0.0)),
        "perOperationStrategies": per_op,
        **(
            {"defaultUpperBoundTracesPerSecond": float(raw["default_upper_bound_traces_per_second"])}
            if "default_upper_bound_traces_per_second" in raw
            else {}
        ),
    }


def _service(raw: dict[str, Any], where: str) -> Response:
    resp = _strategy(raw, where)
    ops = _operations(raw, resp, where)
    if ops is not None:
        resp["operationSampling"] = ops
    return resp


@dataclass(frozen=True)
class Strategies:
    """The strategy of every service: ``services`` by name, ``default`` for the others."""

    default: Response = field(default_factory=lambda: probabilistic(DEFAULT_PROBABILITY))
    services: dict[str, Response] = field(default_factory=dict)

    def for_service(self, service: str) -> Response:
        """The response for ``service`` (a copy: callers may change it)."""
        return copy.deepcopy(self.services.get(service, self.default))


def _merge_default_operations(service: Response, default: Response) -> Response:
    default_ops = default.get("operationSampling")
    if default_ops is None:
        return service
    own = service.get("operationSampling")
    if own is None:
        if "probabilisticSampling" not in service:
            return service  # a rate-limited service keeps its limit for every operation
        ops = copy.deepcopy(default_ops)
        ops["defaultSamplingProbability"] = service["probabilisticSampling"]["samplingRate"]
        return {**service, "operationSampling": ops}
    named = {o["operation"] for o in own["perOperationStrategies"]}
    extra = [copy.deepcopy(o) for o in default_ops["perOperationStrategies"] if o["operation"] not in named]
    own["perOperationStrategies"] = own["perOperationStrategies"] + extra
    return service


def parse_strategies(text: str) -> Strategies:
    """Parse a strategies.json document; raises :class:`StrategiesError` naming what is wrong."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StrategiesError(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise StrategiesError("the file must hold a JSON object")
    default = probabilistic(DEFAULT_PROBABILITY)
    if raw.get("default_strategy") is not None:
        if not isinstance(raw["default_strategy"], dict):
            raise StrategiesError("default_strategy must be an object")
        default = _service(raw["default_strategy"], "default_strategy")
    services: dict[str, Response] = {}
    for i, s in enumerate(raw.get("service_strategies") or []):
        where = f"service_strategies[{i}]"
        if not isinstance(s, dict) or not isinstance(s.get("service"), str):
            raise StrategiesError(f"{where}: needs a service name")
        services[s["service"]] = _merge_default_operations(_service(s, where), default)
    return Strategies(default=default, services=services)
