"""The application layer: one process's wiring (:mod:`~tempo_py.app.process`), the config-to-settings
mapping (:mod:`~tempo_py.app.wiring`) and the operator endpoints (:mod:`~tempo_py.app.admin`).

This is the only layer that reads :class:`~tempo_py.config.Config`; modules below it take settings.
"""

from __future__ import annotations

from tempo_py.app.process import App, serve

__all__ = ["App", "serve"]
