"""``GET /sampling?service=`` (jaeger-agent, port 5778) and ``GET /api/sampling?service=``
(jaeger-collector), answering the JSON of ``SamplingStrategyResponse``."""

from __future__ import annotations

from aiohttp import web

from tempo_py.sampling.jaeger.service import SamplingStrategies

__all__ = ["sampling_routes"]


def sampling_routes(strategies: SamplingStrategies) -> list[web.RouteDef]:
    """The two routes, on whatever app serves them."""

    async def handle(request: web.Request) -> web.Response:
        services = request.query.getall("service", [])
        if len(services) != 1:
            # Jaeger's own wording and status
            return web.Response(status=400, text="'service' parameter must be provided once\n")
        return web.json_response(strategies.for_service(services[0]))

    return [web.get("/sampling", handle), web.get("/api/sampling", handle)]
