"""Reservoir quotas: each rule's per-second reservoir divided among the clients reporting for it."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["QuotaAllocator"]


@dataclass
class QuotaAllocator:
    """Tracks which clients reported each rule recently; a client not heard from within ``window``
    seconds no longer holds a share (its last quota expires at its TTL and it borrows again)."""

    window_s: float
    _seen: dict[str, dict[str, float]] = field(default_factory=dict)  # rule -> client -> last report

    def report(self, rule: str, client_id: str, now: float) -> None:
        """``client_id`` sent statistics for ``rule`` at ``now``."""
        self._seen.setdefault(rule, {})[client_id] = now

    def clients(self, rule: str, now: float) -> list[str]:
        """The clients sharing ``rule``'s reservoir at ``now``, in a stable order."""
        seen = self._seen.get(rule, {})
        for cid in [c for c, t in seen.items() if now - t > self.window_s]:
            del seen[cid]
        return sorted(seen)

    def quota(self, rule: str, reservoir_size: int, client_id: str, now: float) -> int:
        """``client_id``'s share of ``reservoir_size`` per second. The remainder goes one each to the
        first clients in order, so the shares add up to the reservoir and no client's share exceeds
        another's by more than one."""
        active = self.clients(rule, now)
        if client_id not in active:
            return 0
        base, extra = divmod(reservoir_size, len(active))
        return base + (1 if active.index(client_id) < extra else 0)

    def forget_rules_except(self, names: set[str]) -> None:
        """Drop state of rules no longer configured."""
        for name in [n for n in self._seen if n not in names]:
            del self._seen[name]
