"""Per-trace keep decisions over an Arrow span table, shared by tail sampling and content retention."""

from tempo_py.sampling.policies.decide import Policy, trace_decisions

__all__ = ["Policy", "trace_decisions"]
