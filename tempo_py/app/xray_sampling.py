"""X-Ray centralized sampling in a process: ``sampling.xray`` mapped to the service, its routes on
the query port and its own listener on the daemon's TCP port (2000, beside the UDP segment receiver)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from tempo_py.config import Config
from tempo_py.config.sampling_xray import XRaySamplingConfig
from tempo_py.sampling.xray.http import xray_sampling_routes
from tempo_py.sampling.xray.rules import DEFAULT_PRIORITY, DEFAULT_RULE_NAME, XRayRule
from tempo_py.sampling.xray.service import XRaySamplingService

__all__ = ["start_xray_sampling", "xray_rules", "xray_sampling_service"]

Serve = Callable[[web.Application, str, int], Awaitable[None]]


def xray_rules(x: XRaySamplingConfig) -> list[XRayRule]:
    """The configured rules plus X-Ray's Default rule."""
    out = [
        XRayRule(
            rule_name=name,
            priority=r.priority,
            reservoir_size=r.reservoir_size,
            fixed_rate=r.fixed_rate,
            service_name=r.service_name,
            service_type=r.service_type,
            host=r.host,
            http_method=r.http_method,
            url_path=r.url_path,
            resource_arn=r.resource_arn,
            attributes=dict(r.attributes),
            version=r.version,
        )
        for name, r in x.rules.items()
        if name != DEFAULT_RULE_NAME
    ]
    d = x.default
    out.append(XRayRule(DEFAULT_RULE_NAME, DEFAULT_PRIORITY, d.reservoir_size, d.fixed_rate))
    return out


def xray_sampling_service(cfg: Config) -> XRaySamplingService | None:
    """The service for ``sampling.xray``; None when it is off."""
    x = cfg.sampling.xray
    if not x.enabled:
        return None
    return XRaySamplingService(xray_rules(x), time.time(), x.target_interval, x.quota_ttl)


async def start_xray_sampling(cfg: Config, service: XRaySamplingService, serve: Serve) -> None:
    """Listen on ``sampling.xray.listen_port`` (TCP) unless it is 0."""
    x = cfg.sampling.xray
    if x.listen_port:
        app = web.Application()
        app.add_routes(xray_sampling_routes(service))
        await serve(app, x.listen_address or cfg.server.http_listen_address, x.listen_port)
