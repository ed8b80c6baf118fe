"""Adaptive sampling: per service/operation probabilities from the root spans ingesters observe.

Each process counts root spans per (service, operation) in what its ingesters convert
(:class:`RootSpanCounter`, an ``Ingester.observers`` entry) and publishes one bucket of counts per
calculation interval under ``sampling/jaeger/throughput/<process>.json``. One process at a time
(the holder of ``sampling/jaeger/leader.json``, a lease renewed each interval; when it lapses the
next process to look writes itself in, last writer wins) sums every process's recent buckets into
sampled traces per second and writes ``sampling/jaeger/probabilities.json``. Every process reads
that object each interval, so all of them serve the same probabilities.

The calculation follows Jaeger's: the traces observed are the sampled ones, so an operation's
real rate is ``observed / p``. Each bucket records the probability this process served for every
operation while it filled, so a calculation divides each bucket's count by the probability its
traces were sampled at (not by the newest one: clients pick a new probability up only at their
next poll, and an interval of old traffic would otherwise make the probability overshoot). Then
``p' = target / real``, an increase capped at +50% per interval (Jaeger's
percentage-increase-capped calculator) so one quiet interval does not open the gates, clamped to
``[min, max]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.sampling.jaeger.strategies import Response
from tempo_py.storage.base import ObjectNotFound, ObjectStore

log = logging.getLogger(__name__)

__all__ = ["AdaptiveSampler", "AdaptiveSettings", "RootSpanCounter", "next_probability"]

PREFIX = "sampling/jaeger/"
LEADER_KEY = PREFIX + "leader.json"
PROBABILITIES_KEY = PREFIX + "probabilities.json"
THROUGHPUT_PREFIX = PREFIX + "throughput/"
MAX_INCREASE = 1.5
_SEP = "\x00"


@dataclass(frozen=True)
class AdaptiveSettings:
    """``sampling.jaeger.adaptive``, mapped by :mod:`tempo_py.app.wiring`."""

    target_samples_per_second: float
    initial_sampling_probability: float
    min_sampling_probability: float
    max_sampling_probability: float
    min_samples_per_second: float
    calculation_interval_s: float
    aggregation_buckets: int


class RootSpanCounter:
    """Counts root spans per (service, operation); called as ``(tenant, span_table)``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # observers run on the loop; take() may run in a thread
        self._counts: Counter[tuple[str, str]] = Counter()

    def __call__(self, tenant: str, table: pa.Table) -> None:
        parent = table.column("parent_span_id")
        is_root = pc.or_kleene(pc.is_null(parent), pc.equal(pc.binary_length(parent), 0))
        roots = table.select(["service_name", "name"]).filter(pc.fill_null(is_root, True))
        if roots.num_rows == 0:
            return
        grouped = roots.group_by(["service_name", "name"]).aggregate([([], "count_all")])
        with self._lock:
            for svc, op, n in zip(
                grouped.column("service_name").to_pylist(),
                grouped.column("name").to_pylist(),
                grouped.column("count_all").to_pylist(),
                strict=True,
            ):
                self._counts[(svc or "", op or "")] += n

    def take(self) -> dict[tuple[str, str], int]:
        """The counts since the last take."""
        with self._lock:
            out, self._counts = dict(self._counts), Counter()
        return out


def next_probability(old: float, real_per_s: float, s: AdaptiveSettings) -> float:
    """The probability that samples ``real_per_s`` traces per second down to the target."""
    if real_per_s <= 0:
        new = old * MAX_INCREASE
    else:
        new = min(s.target_samples_per_second / real_per_s, old * MAX_INCREASE)
    return min(max(new, s.min_sampling_probability), s.max_sampling_probability)


class AdaptiveSampler:
    """Publishes this process's throughput, computes when it holds the lease, serves the shared result."""

    def __init__(
        self, store: ObjectStore, settings: AdaptiveSettings, process_id: str, counter: RootSpanCounter | None
    ) -> None:
        self.store = store
        self.settings = settings
        self.process_id = process_id
        self.counter = counter
        self.probabilities: dict[str, dict[str, float]] = {}
        self._buckets: list[dict[str, Any]] = []
        self._bucket_start = time.time()

    # ---------------------------------------------------------------- serving

    def response(self, service: str) -> Response | None:
        """The adaptive response for ``service``, or None when it has no computed operations yet."""
        ops = self.probabilities.get(service)
        if not ops:
            return None
        s = self.settings
        return {
            "strategyType": "PROBABILISTIC",
            "probabilisticSampling": {"samplingRate": s.initial_sampling_probability},
            "operationSampling": {
                "defaultSamplingProbability": s.initial_sampling_probability,
                "defaultLowerBoundTracesPerSecond": s.min_samples_per_second,
                "perOperationStrategies": [
                    {"operation": op, "probabilisticSampling": {"samplingRate": p}}
                    for op, p in sorted(ops.items())
                ],
            },
        }

    def _served(self, service: str, operation: str, initial: float) -> float:
        return self.probabilities.get(service, {}).get(operation, initial)

    # ---------------------------------------------------------------- one cycle

    async def publish_throughput(self) -> None:
        """Close the current bucket of counts and write this process's recent buckets."""
        if self.counter is None:
            return
        now = time.time()
        counts = self.counter.take()
        initial = self.settings.initial_sampling_probability
        self._buckets.append(
            {
                "start": self._bucket_start,
                "end": now,
                "counts": {f"{k[0]}{_SEP}{k[1]}": v for k, v in counts.items()},
                # what clients were told while these traces came in
                "p": {f"{k[0]}{_SEP}{k[1]}": self._served(k[0], k[1], initial) for k in counts},
            }
        )
        self._bucket_start = now
        self._buckets = self._buckets[-self.settings.aggregation_buckets :]
        body = json.dumps({"process": self.process_id, "buckets": self._buckets}).encode()
        await self.store.put(f"{THROUGHPUT_PREFIX}{self.process_id}.json", body)

    async def _get_json(self, key: str) -> Any:
        try:
            return json.loads(await self.store.get(key))
        except ObjectNotFound:
            return None
        except (ValueError, UnicodeDecodeError):
            log.warning("adaptive sampling: %s is not JSON; ignored", key)
            return None

    async def hold_lease(self) -> bool:
        """Take or renew the writer's lease; True when this process holds it."""
        now = time.time()
        lease = await self._get_json(LEADER_KEY)
        if isinstance(lease, dict) and lease.get("holder") != self.process_id and lease.get("until", 0) > now:
            return False
        until = now + 3 * self.settings.calculation_interval_s
        await self.store.put(LEADER_KEY, json.dumps({"holder": self.process_id, "until": until}).encode())
        lease = await self._get_json(LEADER_KEY)  # last writer wins: whoever wrote last holds it
        return isinstance(lease, dict) and lease.get("holder") == self.process_id

    async def real_rates(self) -> dict[tuple[str, str], float]:
        """Traces per second per (service, operation) before sampling, summed over every process."""
        s = self.settings
        oldest = time.time() - (s.aggregation_buckets + 1) * s.calculation_interval_s
        rates: Counter[tuple[str, str]] = Counter()
        for key in await self.store.list(THROUGHPUT_PREFIX):
            doc = await self._get_json(key)
            buckets = [b for b in (doc or {}).get("buckets", []) if b.get("end", 0) >= oldest]
            seconds = sum(max(b["end"] - b["start"], 1e-3) for b in buckets)
            for b in buckets:
                served = b.get("p", {})
                for k, n in b.get("counts", {}).items():
                    svc, _, op = k.partition(_SEP)
                    p = served.get(k) or s.initial_sampling_probability
                    rates[(svc, op)] += n / max(p, 1e-12) / seconds
        return dict(rates)

    async def compute(self) -> None:
        """New probabilities from the observed rates and the current ones; written for every process."""
        rates = await self.real_rates()
        current = await self._get_json(PROBABILITIES_KEY)
        old: dict[str, dict[str, float]] = (
            (current or {}).get("probabilities", {}) if isinstance(current, dict) else {}
        )
        new: dict[str, dict[str, float]] = {}
        keys = set(rates) | {(svc, op) for svc, ops in old.items() for op in ops}
        for svc, op in keys:
            p = old.get(svc, {}).get(op, self.settings.initial_sampling_probability)
            new.setdefault(svc, {})[op] = next_probability(p, rates.get((svc, op), 0.0), self.settings)
        doc = {"writer": self.process_id, "updated": time.time(), "probabilities": new}
        await self.store.put(PROBABILITIES_KEY, json.dumps(doc, sort_keys=True).encode())

    async def load(self) -> None:
        """Serve the probabilities last written by the lease holder."""
        doc = await self._get_json(PROBABILITIES_KEY)
        if isinstance(doc, dict) and isinstance(doc.get("probabilities"), dict):
            self.probabilities = doc["probabilities"]

    async def cycle(self) -> None:
        """Publish, compute if the lease is ours, load."""
        await self.publish_throughput()
        if await self.hold_lease():
            await self.compute()
        await self.load()

    async def run(self, stop: asyncio.Event) -> None:
        """A cycle every calculation interval until ``stop``; a failing store is logged and retried."""
        with contextlib.suppress(Exception):
            await self.load()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.calculation_interval_s)
            if stop.is_set():
                return
            try:
                await self.cycle()
            except Exception:
                log.exception("adaptive sampling cycle failed; retrying next interval")
