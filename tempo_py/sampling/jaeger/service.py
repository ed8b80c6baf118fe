"""What every transport asks: the strategy response for a service (adaptive first, then the file)."""

from __future__ import annotations

from tempo_py.sampling.jaeger.adaptive import AdaptiveSampler
from tempo_py.sampling.jaeger.strategies import Response, probabilistic
from tempo_py.sampling.jaeger.strategies_file import StrategiesFile

__all__ = ["SamplingStrategies"]


class SamplingStrategies:
    """Jaeger's ``StrategyStore.GetSamplingStrategy``: one answer per service name."""

    def __init__(self, file: StrategiesFile, adaptive: AdaptiveSampler | None = None) -> None:
        self.file = file
        self.adaptive = adaptive

    def for_service(self, service: str) -> Response:
        """The response for ``service``: computed operations when adaptive knows it, else the file's
        (with adaptive on, a service the file does not name gets the initial probability, as in
        Jaeger's adaptive provider, so the traffic it sends is sampled at the rate assumed for it)."""
        current = self.file.current
        if self.adaptive is not None:
            computed = self.adaptive.response(service)
            if computed is not None:
                return computed
            if service not in current.services:
                return probabilistic(self.adaptive.settings.initial_sampling_probability)
        return current.for_service(service)
