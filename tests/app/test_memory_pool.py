"""The server runs Arrow on jemalloc (it returns freed memory; see tempo_py/app/memory.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pyarrow as pa
import pytest

CHECK = """
import os, sys
import pyarrow as pa
from tempo_py.app.memory import use_preferred_allocator
backend = use_preferred_allocator()
print(backend, pa.default_memory_pool().backend_name, os.environ.get("ARROW_DEFAULT_MEMORY_POOL"))
"""


def _run(env_pool: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if env_pool is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = env_pool
    out = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_jemalloc_in_the_process_and_for_its_workers() -> None:
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow build has no jemalloc")
    assert _run(None) == ["jemalloc", "jemalloc", "jemalloc"]


def test_the_users_choice_wins() -> None:
    assert _run("system") == ["system", "system", "system"]
