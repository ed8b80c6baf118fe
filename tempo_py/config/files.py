"""Reading a YAML config file and applying ``--set`` items: what every program's loader shares
(the server's :mod:`tempo_py.config.loader` and the agent's :mod:`tempo_py.config.agent`)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from tempo_py.config.build import ConfigError, apply_override, expand_env


def read_yaml(path: str | os.PathLike[str], environ: Mapping[str, str] | None) -> dict[str, Any]:
    """The mapping in the file at ``path``, with ``${VAR}`` expanded from ``environ`` (None: not
    expanded); an empty file is an empty mapping. Raises ConfigError naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {os.fspath(path)}: {exc.strerror}") from None
    if environ is not None:
        text = expand_env(text, environ)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{os.fspath(path)} is not valid YAML: {exc}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{os.fspath(path)}: expected a mapping of keys at the top level")
    return raw


def apply_set_items(raw: dict[str, Any], cls: type, items: Sequence[str]) -> None:
    """Apply ``--set key.path=value`` items to ``raw`` (checked against ``cls``'s keys)."""
    for item in items:
        dotted, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f'--set {item}: expected "key.path=value"')
        apply_override(raw, cls, dotted.strip(), value, f"--set {item}")
