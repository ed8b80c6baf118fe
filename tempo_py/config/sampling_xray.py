"""``sampling.xray``: X-Ray centralized sampling rules (``GetSamplingRules``, ``SamplingTargets``).

Rules are a mapping keyed by ``RuleName``; each field is the X-Ray API's SamplingRule field in
snake case (``reservoir_size`` is ``ReservoirSize``, ``url_path`` is ``URLPath``...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tempo_py.config.build import Duration
from tempo_py.config.durations import parse_duration

__all__ = ["XRayDefaultRuleConfig", "XRayRuleConfig", "XRaySamplingConfig"]

_RATE = {"min": 0.0, "max": 1.0}


@dataclass(frozen=True)
class XRayRuleConfig:
    """One ``sampling.xray.rules.<RuleName>`` entry."""

    priority: int = field(default=1000, metadata={"min": 1, "max": 9999})
    reservoir_size: int = field(default=0, metadata={"min": 0})
    fixed_rate: float = field(default=0.05, metadata=_RATE)
    service_name: str = "*"
    service_type: str = "*"
    host: str = "*"
    http_method: str = "*"
    url_path: str = "*"
    resource_arn: str = "*"
    attributes: dict[str, str] = field(default_factory=dict)
    version: int = field(default=1, metadata={"min": 1, "max": 1})


@dataclass(frozen=True)
class XRayDefaultRuleConfig:
    """``sampling.xray.default``: X-Ray's "Default" rule (priority 10000, matches everything)."""

    reservoir_size: int = field(default=1, metadata={"min": 0})
    fixed_rate: float = field(default=0.05, metadata=_RATE)


@dataclass(frozen=True)
class XRaySamplingConfig:
    """``sampling.xray``. Off unless ``enabled``."""

    enabled: bool = False
    listen_address: str = ""  # empty: server.http_listen_address
    listen_port: int = field(default=2000, metadata={"min": 0, "max": 65535})  # daemon's TCP; 0 = none
    rules: dict[str, XRayRuleConfig] = field(default_factory=dict)
    default: XRayDefaultRuleConfig = field(default_factory=XRayDefaultRuleConfig)
    # How often clients report (SamplingTargetDocuments.Interval), and how long a quota holds.
    target_interval: Duration = field(default=parse_duration("10s"), metadata={"min": 1.0})
    quota_ttl: Duration = field(default=parse_duration("30s"), metadata={"min": 1.0})
