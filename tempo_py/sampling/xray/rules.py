"""Sampling rules: the X-Ray SamplingRule record, its wildcard matching and priority order."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

__all__ = ["DEFAULT_RULE_NAME", "SamplingRequest", "XRayRule", "select_rule", "wildcard_match"]

DEFAULT_RULE_NAME = "Default"
DEFAULT_PRIORITY = 10000


@lru_cache(maxsize=1024)
def _pattern(glob: str) -> re.Pattern[str]:
    # X-Ray globs: "*" any run of characters, "?" exactly one; case-insensitive, whole string.
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(body, re.IGNORECASE | re.DOTALL)


def wildcard_match(glob: str, value: str | None) -> bool:
    """Whether ``value`` matches the X-Ray glob ``glob``; a missing value matches only ``*``."""
    if glob == "*":
        return True
    if value is None:
        return False
    return _pattern(glob).fullmatch(value) is not None


@dataclass(frozen=True)
class SamplingRequest:
    """What a client knows about a request when it decides."""

    service_name: str | None = None
    service_type: str | None = None
    host: str | None = None
    http_method: str | None = None
    url_path: str | None = None
    resource_arn: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class XRayRule:
    """One rule, with the X-Ray API's fields."""

    rule_name: str
    priority: int
    reservoir_size: int
    fixed_rate: float
    service_name: str = "*"
    service_type: str = "*"
    host: str = "*"
    http_method: str = "*"
    url_path: str = "*"
    resource_arn: str = "*"
    attributes: Mapping[str, str] = field(default_factory=dict)
    version: int = 1

    def matches(self, req: SamplingRequest) -> bool:
        """Every field's glob matches the request, and every rule attribute is present and matches."""
        pairs = (
            (self.service_name, req.service_name),
            (self.service_type, req.service_type),
            (self.host, req.host),
            (self.http_method, req.http_method),
            (self.url_path, req.url_path),
            (self.resource_arn, req.resource_arn),
        )
        if not all(wildcard_match(g, v) for g, v in pairs):
            return False
        return all(wildcard_match(g, req.attributes.get(k)) for k, g in self.attributes.items())

    def sort_key(self) -> tuple[int, str]:
        """X-Ray's order: lower priority first, ties by rule name."""
        return (self.priority, self.rule_name)

    def to_api(self) -> dict[str, Any]:
        """The ``SamplingRule`` JSON object."""
        return {
            "RuleName": self.rule_name,
            "RuleARN": f"arn:aws:xray:local:000000000000:sampling-rule/{self.rule_name}",
            "ResourceARN": self.resource_arn,
            "Priority": self.priority,
            "FixedRate": self.fixed_rate,
            "ReservoirSize": self.reservoir_size,
            "ServiceName": self.service_name,
            "ServiceType": self.service_type,
            "Host": self.host,
            "HTTPMethod": self.http_method,
            "URLPath": self.url_path,
            "Version": self.version,
            "Attributes": dict(self.attributes),
        }


def select_rule(rules: Iterable[XRayRule], req: SamplingRequest) -> XRayRule | None:
    """The first rule in priority order that matches ``req``."""
    for rule in sorted(rules, key=XRayRule.sort_key):
        if rule.matches(req):
            return rule
    return None
