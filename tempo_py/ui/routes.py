"""Serves the UI's static files at ``/ui/`` from the package (only files shipped in ``static/``).

``/ui`` redirects to ``/ui/``; every path under it that is not a shipped file answers the app's
``index.html``, so deep links such as ``/ui/trace/<id>`` load the app, which reads its location.
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}


def _files() -> dict[str, tuple[bytes, str]]:
    root = resources.files("tempo_py.ui").joinpath("static")
    out: dict[str, tuple[bytes, str]] = {}
    for entry in root.iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
        if entry.is_file() and suffix in _TYPES:
            out[entry.name] = (entry.read_bytes(), _TYPES[suffix])
    return out


def ui_routes(prefix: str = "/ui") -> list[web.RouteDef]:
    """``prefix`` (redirect), ``prefix/`` and everything under it."""
    files = _files()
    index = files["index.html"]

    async def root(_: web.Request) -> web.Response:
        raise web.HTTPFound(prefix + "/")

    async def serve(request: web.Request) -> web.Response:
        name = request.match_info.get("path", "")
        body, ctype = files.get(name, index)
        return web.Response(body=body, content_type=ctype, headers={"Cache-Control": "no-cache"})

    return [
        web.get(prefix, root),
        web.get(prefix + "/", serve),
        web.get(prefix + "/{path:.*}", serve),
    ]
