"""Tail-sampling filter with a bounded decision cache, so late spans follow their trace's verdict."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc
from prometheus_client import Counter

from tempo_py.sampling.policies.decide import Policy, trace_decisions

DECISIONS = Counter(
    "tempo_ingester_tail_sampling_decisions_total",
    "Traces judged by ingester tail sampling, by decision and deciding policy.",
    ["tenant", "decision", "policy"],
)


class DecisionCache:
    """trace ID -> keep, oldest evicted first by count and by age."""

    def __init__(
        self, max_entries: int = 1_000_000, ttl_s: float = 600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_entries, self.ttl_s, self._clock = max_entries, ttl_s, clock
        self._d: OrderedDict[bytes, tuple[bool, float]] = OrderedDict()

    def _expire(self) -> None:
        cutoff = self._clock() - self.ttl_s
        while self._d and (len(self._d) > self.max_entries or next(iter(self._d.values()))[1] < cutoff):
            self._d.popitem(last=False)

    def get_many(self, ids: list[bytes]) -> dict[bytes, bool]:
        self._expire()
        return {i: self._d[i][0] for i in ids if i in self._d}

    def put_many(self, decisions: dict[bytes, bool]) -> None:
        now = self._clock()
        for i, k in decisions.items():
            self._d[i] = (k, now)
        self._expire()

    def __len__(self) -> int:
        return len(self._d)


class TailSampler:
    """A `(tenant, table) -> table` flush filter: judges each trace once, remembers the verdict."""

    def __init__(self, policy: Policy, cache: DecisionCache | None = None) -> None:
        self.policy = policy
        self.cache = cache or DecisionCache()
        self.counts: dict[tuple[str, str, str], int] = {}

    def __call__(self, tenant: str, table: pa.Table) -> pa.Table:
        if table.num_rows == 0:
            return table
        ids, keep, names = trace_decisions(table, self.policy)
        id_list: list[bytes] = ids.to_pylist()
        known = self.cache.get_many(id_list)
        fresh: dict[bytes, bool] = {}
        kept: list[bytes] = []
        for tid, k, name in zip(id_list, keep.to_pylist(), names, strict=True):
            if tid in known:
                k = known[tid]
            else:
                fresh[tid] = bool(k)
                key = (tenant, "keep" if k else "drop", name)
                self.counts[key] = self.counts.get(key, 0) + 1
                DECISIONS.labels(*key).inc()
            if k:
                kept.append(tid)
        self.cache.put_many(fresh)
        col = pc.cast(table.column("trace_id"), pa.binary(16))
        return table.filter(pc.is_in(col, value_set=pa.array(kept, pa.binary(16))))
