"""The strategies file, re-read when its modification time or size changes (Jaeger's
``--sampling.strategies-reload-interval``); a file that fails to parse keeps the last good one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

from tempo_py.sampling.jaeger.strategies import Strategies, StrategiesError, parse_strategies

log = logging.getLogger(__name__)

__all__ = ["StrategiesFile"]


class StrategiesFile:
    """The current :class:`Strategies` of ``path`` (``None``: Jaeger's default for everyone)."""

    def __init__(self, path: str | None) -> None:
        self.path = Path(path) if path else None
        self.current = Strategies()
        self._seen: tuple[int, int] | None = None
        if self.path is not None:
            # At startup a bad file is a setup mistake: fail instead of serving defaults.
            self.current = parse_strategies(self.path.read_text(encoding="utf-8"))
            self._seen = self._stamp()

    def _stamp(self) -> tuple[int, int] | None:
        assert self.path is not None
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def reload_if_changed(self) -> bool:
        """Re-read the file if it changed since the last look; True when new strategies were taken."""
        if self.path is None:
            return False
        stamp = self._stamp()
        if stamp is None or stamp == self._seen:
            return False
        self._seen = stamp
        try:
            self.current = parse_strategies(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, StrategiesError) as exc:
            log.error("sampling strategies file %s: %s; keeping the previous strategies", self.path, exc)
            return False
        log.info("sampling strategies reloaded from %s", self.path)
        return True

    async def run(self, interval_s: float, stop: asyncio.Event) -> None:
        """Poll every ``interval_s`` until ``stop`` (0: never)."""
        if interval_s <= 0 or self.path is None:
            return
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)
            if not stop.is_set():
                await asyncio.to_thread(self.reload_if_changed)
