"""Build-once directories under the user's cache, shared by the client-library fixtures.

Real client libraries that cannot live in the project venv (an old OpenTelemetry SDK, an npm
package) are installed into a directory under ``~/.cache/tempo_py`` keyed by what is installed.
Building is slow and may run from two pytest processes at once, so it happens under an exclusive
file lock, and a ``.complete`` marker is written last: a directory without it is a half-finished
build (killed run, failed install) and is wiped and rebuilt.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["BuildUnavailable", "build_once", "cache_key", "cache_root"]

MARKER = ".complete"


class BuildUnavailable(RuntimeError):
    """The tool or the network a build needs is missing; tests skip with this message."""


def cache_root() -> Path:
    """``$TEMPOPY_CLIENT_CACHE`` or ``$XDG_CACHE_HOME/tempo_py`` or ``~/.cache/tempo_py``."""
    explicit = os.environ.get("TEMPOPY_CLIENT_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tempo_py"


def cache_key(parts: Iterable[str]) -> str:
    """A short, stable digest of what a build contains (order-insensitive)."""
    digest = hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()
    return digest[:12]


def build_once(target: Path, build: Callable[[Path], None]) -> Path:
    """Return ``target`` after ``build(target)`` succeeded once; later calls reuse it.

    ``build`` gets an empty directory and raises :class:`BuildUnavailable` (or anything else) on
    failure; the directory is then removed so the next run tries again.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.with_name(target.name + ".lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second pytest process waits for the first build
        if (target / MARKER).exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        try:
            build(target)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        (target / MARKER).write_text("ok\n")
    return target
