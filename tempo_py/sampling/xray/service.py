"""The two X-Ray sampling calls: ``GetSamplingRules`` and ``GetSamplingTargets`` (``/SamplingTargets``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tempo_py.sampling.xray.quota import QuotaAllocator
from tempo_py.sampling.xray.rules import XRayRule

__all__ = ["XRaySamplingService"]


@dataclass
class XRaySamplingService:
    """Rules fixed at start (``CreatedAt``/``ModifiedAt`` = ``loaded_at``), quotas per client."""

    rules: Sequence[XRayRule]
    loaded_at: float
    target_interval_s: float
    quota_ttl_s: float
    allocator: QuotaAllocator = field(init=False)
    _by_name: dict[str, XRayRule] = field(init=False)

    def __post_init__(self) -> None:
        self._by_name = {r.rule_name: r for r in self.rules}
        # A client reports every Interval; missing two reports in a row means it is gone.
        self.allocator = QuotaAllocator(window_s=2 * self.target_interval_s + 1)

    def get_sampling_rules(self) -> dict[str, Any]:
        """The ``GetSamplingRules`` response (one page: tempo-py's rule sets are small)."""
        records = [
            {"SamplingRule": r.to_api(), "CreatedAt": self.loaded_at, "ModifiedAt": self.loaded_at}
            for r in sorted(self.rules, key=XRayRule.sort_key)
        ]
        return {"SamplingRuleRecords": records}

    def get_sampling_targets(self, docs: Sequence[Mapping[str, Any]], now: float) -> dict[str, Any]:
        """The ``GetSamplingTargets`` response to ``SamplingStatisticsDocuments`` ``docs``."""
        unprocessed: list[dict[str, str]] = []
        accepted: list[tuple[XRayRule, str]] = []
        for doc in docs:
            name, client = doc.get("RuleName"), doc.get("ClientID")
            if not isinstance(name, str) or not isinstance(client, str) or not client:
                unprocessed.append(_unprocessed(name, "400", "RuleName and ClientID are required"))
            elif name not in self._by_name:
                unprocessed.append(_unprocessed(name, "400", f"unknown sampling rule {name!r}"))
            else:
                accepted.append((self._by_name[name], client))
        # Record every report first, so a client's quota already counts the others in this batch.
        for rule, client in accepted:
            self.allocator.report(rule.rule_name, client, now)
        ttl = math.floor(now + self.quota_ttl_s)
        targets = []
        for rule, client in accepted:
            target: dict[str, Any] = {
                "RuleName": rule.rule_name,
                "FixedRate": rule.fixed_rate,
                "Interval": int(self.target_interval_s),
            }
            if rule.reservoir_size > 0:
                quota = self.allocator.quota(rule.rule_name, rule.reservoir_size, client, now)
                target["ReservoirQuota"] = quota
                target["ReservoirQuotaTTL"] = ttl
            targets.append(target)
        return {
            "SamplingTargetDocuments": targets,
            "LastRuleModification": self.loaded_at,
            "UnprocessedStatistics": unprocessed,
        }


def _unprocessed(name: object, code: str, message: str) -> dict[str, str]:
    return {"RuleName": name if isinstance(name, str) else "", "ErrorCode": code, "Message": message}
