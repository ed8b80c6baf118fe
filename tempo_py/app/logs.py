"""The process's log lines: logfmt (Tempo's default) or JSON, at ``server.log_level``.

A logfmt line reads like Tempo's (go-kit log): ``level=info ts=2026-12-03T17:51:36.123Z
caller=process.py:151 msg="tempo_py ready" logger=tempo_py.app.process``; a JSON line carries the
same keys. An exception adds ``err`` (the exception) and ``stacktrace``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Literal

__all__ = ["LogFormatter", "setup_logging"]

_LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warn", "ERROR": "error", "CRITICAL": "error"}


def _logfmt_value(value: str) -> str:
    if value and not any(c in value for c in ' ="\\\n\t') and value.isprintable():
        return value
    return json.dumps(value, ensure_ascii=False)


class LogFormatter(logging.Formatter):
    """One record as one logfmt or JSON line."""

    def __init__(self, fmt: Literal["logfmt", "json"]) -> None:
        super().__init__()
        self.fmt = fmt

    def _fields(self, record: logging.LogRecord) -> dict[str, str]:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        fields = {
            "level": _LEVELS.get(record.levelname, record.levelname.lower()),
            "ts": f"{ts}.{int(record.msecs):03d}Z",
            "caller": f"{record.filename}:{record.lineno}",
            "msg": record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info and record.exc_info[1] is not None:
            fields["err"] = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
            fields["stacktrace"] = self.formatException(record.exc_info)
        return fields

    def format(self, record: logging.LogRecord) -> str:
        fields = self._fields(record)
        if self.fmt == "json":
            return json.dumps(fields, ensure_ascii=False)
        return " ".join(f"{k}={_logfmt_value(v)}" for k, v in fields.items())


def setup_logging(level: str, fmt: Literal["logfmt", "json"]) -> None:
    """Route every logger to stderr at ``level`` (debug, info, warn, error) in ``fmt``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogFormatter(fmt))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper().replace("WARN", "WARNING"))
