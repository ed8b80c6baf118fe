"""Module settings for tests: what a server without a config file would use, with a few changes.

Module settings classes carry no defaults (the config schema holds them); tests that build modules
directly take these, so they follow the config's defaults as the server does.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tempo_py.app import wiring
from tempo_py.block.settings import BlockConfig
from tempo_py.config import Config

_DEFAULT = Config.default()


def block_settings(**changes: Any) -> BlockConfig:
    """The default config's block encoding settings with ``changes`` (e.g. tiny row groups)."""
    return dataclasses.replace(wiring.block_settings(_DEFAULT), **changes)


#: Block lookups one trace-by-ID query runs at once, as the default config says.
QUERIER_CONCURRENCY = wiring.querier_concurrency(_DEFAULT)

#: The largest request body a receiver accepts, as the default config says.
MAX_REQUEST_BYTES = _DEFAULT.distributor.max_request_bytes
