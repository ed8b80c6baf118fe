"""Schema-agnostic config machinery: build typed dataclasses from YAML data, with errors naming keys.

The schema (:mod:`tempo_py.config.schema`) is plain dataclasses; this module walks their type hints so that
adding a key is one line there and validation, env/--set overrides and dumping follow for free.
Supported field types: ``int``, ``float``, ``bool``, ``str``, :data:`Duration`, ``Literal[...]``,
a nested dataclass, ``Dataclass | None`` (present in YAML = enabled, Tempo's receiver semantics),
and ``dict[str, Dataclass]``. Field metadata ``min``/``max`` bound numbers; ``secret`` masks dumps.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar, Union

import yaml

from tempo_py.config.durations import DurationError, format_duration, parse_duration

__all__ = [
    "DURATION",
    "ConfigError",
    "Duration",
    "apply_override",
    "build",
    "env_overrides",
    "expand_env",
    "to_plain",
]

T = TypeVar("T")

#: A node of the Tempo-key catalogue (tempo_py.config.tempo_keys): None = accept everything below.
TempoNode = dict[str, Any] | None


class ConfigError(ValueError):
    """The configuration is invalid; the message names the dotted key and is meant for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(f"config error: {message}")


class _DurationTag:
    """Marks a float field as a Go-style duration so YAML strings like "30s" are parsed."""

    def __repr__(self) -> str:
        return "DURATION"


DURATION = _DurationTag()

#: A duration in float seconds; in YAML written Go-style ("10s", "1h30m").
Duration = Annotated[float, DURATION]

ENV_PREFIX = "TEMPO_PY_"


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """Resolved field types of a dataclass, keeping Annotated tags (cached: classes are static)."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls, include_extras=True)
    return hints


def _fields(cls: type) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(cls)}


def _optional_inner(tp: Any) -> Any | None:
    """For ``X | None`` return X; otherwise None."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0]
    return None


def _is_duration(tp: Any) -> bool:
    return typing.get_origin(tp) is Annotated and DURATION in typing.get_args(tp)[1:]


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _dict_value_type(tp: Any) -> Any | None:
    if typing.get_origin(tp) is dict:
        key_t, value_t = typing.get_args(tp)
        if key_t is str:
            return value_t
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _unknown_key(path: str, key: str, known: list[str]) -> ConfigError:
    hint = difflib.get_close_matches(key, known, n=1)
    suffix = f' (did you mean "{hint[0]}"?)' if hint else ""
    return ConfigError(f'unknown key "{_join(path, key)}"{suffix}')


def _describe(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


class _Walk:
    """One :func:`build` run: unknown keys found so far, and where accepted Tempo keys are recorded."""

    def __init__(self, no_effect: list[str] | None) -> None:
        self.unknown: list[ConfigError] = []
        self.no_effect = no_effect


def _tempo_child(node: TempoNode, key: str) -> TempoNode:
    """The catalogue node under ``key`` (``"*"`` matches any map entry); None when there is none."""
    if not node:
        return None
    child = node.get(key, node.get("*"))
    return child if isinstance(child, dict) else None


def _accept_tempo(value: Any, node: TempoNode, path: str, walk: _Walk) -> None:
    """A Tempo-only key: record it (``node`` None) or check the keys under it against ``node``."""
    assert walk.no_effect is not None
    if node is None or not isinstance(value, Mapping):
        if path not in walk.no_effect:
            walk.no_effect.append(path)
        return
    for key, sub in value.items():
        key = str(key)
        if key not in node and "*" not in node:
            walk.unknown.append(_unknown_key(path, key, list(node)))
        else:
            _accept_tempo(sub, node.get(key, node.get("*")), _join(path, key), walk)


def build(
    cls: type[T],
    raw: Any,
    path: str = "",
    *,
    tempo: TempoNode = None,
    no_effect: list[str] | None = None,
) -> T:
    """Build dataclass ``cls`` from parsed YAML ``raw`` (a mapping or None), validating every key.

    Missing keys take the dataclass default; mistyped values raise :class:`ConfigError` naming the
    full dotted key under ``path``. Unknown keys are all collected and raised together, each with a
    did-you-mean. With ``no_effect`` (a list to fill), keys found in the ``tempo`` catalogue
    (:data:`tempo_py.config.tempo_keys.NO_EFFECT`: Grafana Tempo's keys tempo_py does not use)
    are accepted and their dotted names appended instead.
    """
    walk = _Walk(no_effect)
    built = _build(cls, raw, path, tempo if no_effect is not None else None, walk)
    if len(walk.unknown) == 1:
        raise walk.unknown[0]
    if walk.unknown:
        listed = "; ".join(str(e).removeprefix("config error: ") for e in walk.unknown)
        raise ConfigError(f"{len(walk.unknown)} unknown keys: {listed}")
    return built


def _build(cls: type[T], raw: Any, path: str, tempo: TempoNode, walk: _Walk) -> T:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        where = path or "top level"
        raise ConfigError(f"{where}: expected a mapping of keys, got {_describe(raw)}")
    fields = _fields(cls)
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        key = str(key)
        if key not in fields:
            if tempo is not None and key in tempo:
                _accept_tempo(value, tempo[key], _join(path, key), walk)
            else:
                known = [*fields, *(tempo or {})]
                walk.unknown.append(_unknown_key(path, key, known))
            continue
        meta = fields[key].metadata
        kwargs[key] = _convert(hints[key], value, _join(path, key), meta, _tempo_child(tempo, key), walk)
    return cls(**kwargs)


def _convert(
    tp: Any,
    value: Any,
    path: str,
    meta: Mapping[str, Any],
    tempo: TempoNode = None,
    walk: _Walk | None = None,
) -> Any:
    """Convert one YAML value to field type ``tp``; raise ConfigError naming ``path``."""
    walk = walk if walk is not None else _Walk(None)
    inner = _optional_inner(tp)
    if inner is not None:
        # Tempo semantics: presence enables ("zipkin:" with a null value = defaults). ``false``
        # is our extension so an env var or --set can switch a section off again.
        if value is False:
            return None
        if value is True:
            value = None
        return _convert(inner, value, path, meta, tempo, walk)
    if _is_dataclass_type(tp):
        return _build(tp, value, path, tempo, walk)
    value_t = _dict_value_type(tp)
    if value_t is not None:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise ConfigError(f"{path}: expected a mapping, got {_describe(value)}")
        return {
            str(k): _convert(value_t, v, _join(path, str(k)), {}, _tempo_child(tempo, str(k)), walk)
            for k, v in value.items()
        }
    if typing.get_origin(tp) is Literal:
        choices = typing.get_args(tp)
        if value not in choices:
            allowed = ", ".join(f'"{c}"' for c in choices)
            raise ConfigError(f"{path}: invalid value {_describe(value)} (allowed: {allowed})")
        return value
    if _is_duration(tp):
        return _bounded(_duration(value, path), path, meta, default_min=0.0, show=format_duration)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: expected true or false, got {_describe(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected an integer, got {_describe(value)}")
        return _bounded(value, path, meta)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{path}: expected a number, got {_describe(value)}")
        return _bounded(float(value), path, meta)
    if tp is str:
        # YAML turns `bucket: 12345` into an int; a string field still means the text the user wrote.
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ConfigError(f"{path}: expected a string, got {_describe(value)}")
        return str(value)
    raise TypeError(f"{path}: unsupported config field type {tp!r}")  # a schema bug, not user error


def _duration(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConfigError(f'{path}: expected a duration such as "30s", got {_describe(value)}')
    try:
        return parse_duration(str(value))
    except DurationError:
        raise ConfigError(
            f'{path}: invalid duration "{value}" (use Go syntax such as "100ms", "30s", "1h30m")'
        ) from None


def _bounded(
    value: Any,
    path: str,
    meta: Mapping[str, Any],
    default_min: float | None = None,
    show: typing.Callable[[Any], str] = str,
) -> Any:
    low = meta.get("min", default_min)
    high = meta.get("max")
    if low is not None and value < low:
        raise ConfigError(f"{path}: {show(value)} is below the minimum {show(low)}")
    if high is not None and value > high:
        raise ConfigError(f"{path}: {show(value)} is above the maximum {show(high)}")
    return value


def to_plain(obj: Any, *, mask_secrets: bool = True) -> Any:
    """Render a config dataclass as YAML-ready data that :func:`build` reads back unchanged.

    Durations become Go strings, disabled optional sections are omitted, and fields marked
    ``secret`` become ``"********"`` unless ``mask_secrets`` is false (as Tempo's /status/config).
    """
    if not _is_dataclass_type(type(obj)):
        return obj
    out: dict[str, Any] = {}
    hints = _hints(type(obj))
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        tp = hints[f.name]
        if value is None and _optional_inner(tp) is not None:
            continue
        if _is_duration(tp):
            out[f.name] = format_duration(value)
        elif mask_secrets and f.metadata.get("secret") and value:
            out[f.name] = "********"
        elif isinstance(value, dict):
            out[f.name] = {k: to_plain(v, mask_secrets=mask_secrets) for k, v in value.items()}
        else:
            out[f.name] = to_plain(value, mask_secrets=mask_secrets)
    return out


_ENV_REF = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}")


def expand_env(text: str, env: Mapping[str, str]) -> str:
    """Expand ``${VAR}`` and ``${VAR:-default}`` in config file text, like Tempo's -config.expand-env.

    ``$$`` is a literal ``$``. Whole-line comments are left alone so a commented-out example does
    not demand its variables. An unset variable without a default is an error (not an empty string)
    because a silently empty bucket or key fails much later and far less clearly.
    """
    lines = text.splitlines(keepends=True)
    for lineno, line in enumerate(lines, start=1):
        if line.lstrip().startswith("#") or "$" not in line:
            continue

        def substitute(match: re.Match[str], lineno: int = lineno) -> str:
            if match.group(0) == "$$":
                return "$"
            name, has_default, default = match.group(1), match.group(2), match.group(3)
            if name in env:
                return env[name]
            if has_default is not None:
                return default
            raise ConfigError(
                f'line {lineno}: environment variable "{name}" is not set '
                f"(write ${{{name}:-value}} to give a default)"
            )

        lines[lineno - 1] = _ENV_REF.sub(substitute, line)
    return "".join(lines)


def _leaf_type(cls: type, keys: list[str]) -> Any:
    """Walk ``keys`` through the schema from ``cls``; return the addressed type or raise naming it."""
    tp: Any = cls
    path = ""
    for key in keys:
        inner = _optional_inner(tp)
        tp = inner if inner is not None else tp
        value_t = _dict_value_type(tp)
        if value_t is not None:
            tp = value_t  # the key is a map entry name (e.g. a tenant ID), anything goes
        elif _is_dataclass_type(tp):
            hints = _hints(tp)
            if key not in hints:
                raise _unknown_key(path, key, list(hints))
            tp = hints[key]
        else:
            raise ConfigError(f'unknown key "{_join(path, key)}" ("{path}" is not a section)')
        path = _join(path, key)
    return tp


def apply_override(raw: dict[str, Any], cls: type, dotted: str, text: str, source: str) -> None:
    """Set ``dotted`` (e.g. ``storage.trace.backend``) in parsed YAML ``raw`` to ``text``.

    The key is checked against schema ``cls`` first so a typo fails here, naming ``source`` (the
    env var or --set flag). ``text`` is read as a YAML scalar ("3201" -> 3201, "" -> null), except
    for string fields where it is taken verbatim so "0123" stays "0123".
    """
    keys = dotted.split(".")
    if not dotted or any(not k for k in keys):
        raise ConfigError(f'{source}: invalid key "{dotted}"')
    try:
        leaf = _leaf_type(cls, keys)
    except ConfigError as exc:
        raise ConfigError(f"{str(exc).removeprefix('config error: ')} (from {source})") from None
    value: Any
    if leaf is str:
        value = text
    else:
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError:
            raise ConfigError(f"{dotted}: cannot parse value {text!r} (from {source})") from None
    node = raw
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[keys[-1]] = value


def env_overrides(env: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """Collect ``TEMPO_PY_<PATH>`` variables as (dotted key, value, source) triples, sorted.

    PATH is the dotted key upper-cased with ``.`` written as ``__``; the prefix is reserved for
    config, so every such variable must name a real key.
    """
    found = []
    for name in sorted(env):
        if name.startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX):
            dotted = name[len(ENV_PREFIX) :].lower().replace("__", ".")
            found.append((dotted, env[name], f"environment variable {name}"))
    return found
