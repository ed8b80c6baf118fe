"""``POST /GetSamplingRules`` and ``POST /SamplingTargets``, the paths the X-Ray daemon proxies."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from tempo_py.sampling.xray.service import XRaySamplingService

__all__ = ["xray_sampling_routes"]


def _error(status: int, kind: str, message: str) -> web.Response:
    # The X-Ray API's error shape, so botocore raises a named ClientError.
    body = {"__type": kind, "message": message}
    return web.json_response(body, status=status, headers={"x-amzn-ErrorType": kind})


async def _body(request: web.Request) -> dict[str, Any] | None:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def xray_sampling_routes(service: XRaySamplingService) -> list[web.RouteDef]:
    """Routes for the daemon port and the query port."""

    async def rules(request: web.Request) -> web.Response:
        if await _body(request) is None:
            return _error(400, "InvalidRequestException", "body is not a JSON object")
        return web.json_response(service.get_sampling_rules())

    async def targets(request: web.Request) -> web.Response:
        body = await _body(request)
        docs = None if body is None else body.get("SamplingStatisticsDocuments", [])
        if not isinstance(docs, list) or not all(isinstance(d, dict) for d in docs):
            msg = "SamplingStatisticsDocuments must be a list of objects"
            return _error(400, "InvalidRequestException", msg)
        return web.json_response(service.get_sampling_targets(docs, time.time()))

    return [web.post("/GetSamplingRules", rules), web.post("/SamplingTargets", targets)]
