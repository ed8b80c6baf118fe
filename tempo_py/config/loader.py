"""Load a configuration: YAML file, then ``TEMPO_PY_*`` variables, then ``--set``; then validate.

The schema is :mod:`tempo_py.config.schema`; the typed building and override machinery it rests on
is :mod:`tempo_py.config.build`. Every error is a :class:`ConfigError` naming the dotted key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from tempo_py.config.build import ConfigError, apply_override, build, env_overrides
from tempo_py.config.files import apply_set_items, read_yaml
from tempo_py.config.receivers import check_receivers
from tempo_py.config.schema import NO_FILE_RAW, BlockConfig, Config
from tempo_py.config.tempo_keys import NO_EFFECT, LoadNotes, adopt_tempo_keys

__all__ = ["LoadNotes", "check", "load_config", "load_config_with_notes"]


def check(cfg: Config) -> None:
    """Cross-field rules the per-field types cannot express."""
    trace = cfg.storage.trace
    if trace.backend == "s3" and not trace.s3.bucket:
        raise ConfigError('storage.trace.s3.bucket: required when storage.trace.backend is "s3"')
    if trace.backend == "local" and not trace.local.path:
        raise ConfigError('storage.trace.local.path: required when storage.trace.backend is "local"')
    if not trace.wal.path:
        raise ConfigError("storage.trace.wal.path: must not be empty")
    fpr = trace.block.bloom_filter_false_positive
    if not 0.0 < fpr < 1.0:
        raise ConfigError(f"storage.trace.block.bloom_filter_false_positive: {fpr} must be between 0 and 1")
    comp = cfg.compactor.compaction
    if comp.min_input_blocks > comp.max_input_blocks:
        raise ConfigError(
            f"compactor.compaction.min_input_blocks: {comp.min_input_blocks} is above "
            f"compactor.compaction.max_input_blocks ({comp.max_input_blocks})"
        )
    check_receivers(cfg.distributor.receivers, "distributor.receivers")


def load_config(
    path: str | os.PathLike[str] | None,
    env: Mapping[str, str] | None = None,
    overrides: Sequence[str] = (),
    *,
    expand_env_vars: bool = True,
) -> Config:
    """Load, override and validate the configuration.

    Order: the YAML file at ``path`` (``None`` = no file: :meth:`Config.default`'s receivers) with
    ``${VAR}``/``${VAR:-default}`` expanded from ``env``; then ``TEMPO_PY_<KEY>`` variables from
    ``env`` (``TEMPO_PY_STORAGE__TRACE__BACKEND=s3``); then ``overrides`` (``"key.path=value"``, as
    from ``--set``). ``env`` defaults to ``os.environ``. Raises :class:`ConfigError` naming the key.
    """
    cfg, _ = load_config_with_notes(path, env, overrides, expand_env_vars=expand_env_vars)
    return cfg


def load_config_with_notes(
    path: str | os.PathLike[str] | None,
    env: Mapping[str, str] | None = None,
    overrides: Sequence[str] = (),
    *,
    expand_env_vars: bool = True,
) -> tuple[Config, LoadNotes]:
    """:func:`load_config`, also returning what the startup log should say about the file.

    Grafana Tempo's own keys are adopted first (:mod:`tempo_py.config.tempo_keys`): the ones with a
    meaning here are moved to tempo_py's keys, the others accepted and listed in
    ``LoadNotes.no_effect``; every unknown key is reported in one error.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    raw: Any
    if path is None:
        raw = yaml.safe_load(yaml.safe_dump(NO_FILE_RAW))  # a deep copy we may mutate
    else:
        raw = read_yaml(path, environ if expand_env_vars else None)
    for dotted, value, source in env_overrides(environ):
        apply_override(raw, Config, dotted, value, source)
    apply_set_items(raw, Config, overrides)
    notes = LoadNotes()
    adopt_tempo_keys(raw, notes, written_version=BlockConfig().version)
    cfg = build(Config, raw, tempo=NO_EFFECT, no_effect=notes.no_effect)
    check(cfg)
    return cfg, notes
