"""The ``tempo-py`` command: ``serve`` and tools in the spirit of tempo-cli.

    tempo-py serve [--config FILE] [--target all|distributor|ingester|querier|compactor] [--set key=value]
                   [--log-level debug|info|warn|error] [--log-format logfmt|json] [--[no-]config-expand-env]
    tempo-py -config.file=FILE [-target=T] [-config.expand-env]    # Tempo's own flags: serve
    tempo-py --version                                               # also Tempo's -version
    tempo-py agent [--config FILE] [--set key=value]
    tempo-py blocks list [--tenant T] [backend options]
    tempo-py trace get TRACE_ID [--tenant T] [backend options]
    tempo-py block write FILE [--tenant T] [--format json|proto] [backend options]
    tempo-py compaction plan [--tenant T] [--json] [backend options]

Backend options: ``--config FILE``, ``--set key=value`` (any config key), or the shortcuts
``--backend local|s3``, ``--path DIR``, ``--bucket B``, ``--endpoint URL``. Bad arguments and
unreachable backends print one line and exit 2.

Tempo's Go flags are accepted as Tempo's binary takes them, with one or two dashes and ``=value``
or a separate value (:func:`tempo_flags_to_ours`); without a subcommand they mean ``serve``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py import __version__
from tempo_py.config import Config, ConfigError, load_config
from tempo_py.config.loader import load_config_with_notes
from tempo_py.tenant import SINGLE_TENANT, validate_tenant

log = logging.getLogger("tempo_py.cli")

_COMMANDS = ("serve", "agent", "blocks", "trace", "block", "compaction")
# Tempo's flag -> ours (value flags); the bool flags are handled in tempo_flags_to_ours.
_TEMPO_VALUE_FLAGS = {
    "config.file": "--config",
    "target": "--target",
    "log.level": "--log-level",
    "log.format": "--log-format",
}
_TARGETS = [
    "all",
    "distributor",
    "ingester",
    "querier",
    "compactor",
    # Tempo's names, run as the tempo_py target with the same role (tempo_py.config.tempo_keys)
    "scalable-single-binary",
    "query-frontend",
    "live-store",
    "block-builder",
    "backend-scheduler",
    "backend-worker",
]


def version_text() -> str:
    """What ``--version`` prints."""
    import platform

    return f"tempo-py, version {__version__} (python {platform.python_version()}, {sys.platform})"


def tempo_flags_to_ours(argv: Sequence[str]) -> list[str]:
    """Rewrite Grafana Tempo's command-line flags into ours.

    ``-config.file=F`` / ``-config.file F`` -> ``--config F``; ``-target=T`` -> ``--target T``;
    ``-log.level`` / ``-log.format`` -> ``--log-level`` / ``--log-format``;
    ``-config.expand-env[=true|false]`` -> ``--[no-]config-expand-env``; ``-version`` ->
    ``--version``. Go's flag package takes one or two dashes for each. Without a subcommand, a
    command line of flags means ``serve`` (Tempo's binary has no subcommands).
    """
    out: list[str] = []
    args = list(argv)
    i = 0
    tempo_style = False
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-") or arg == "-" or arg == "--":
            out.append(arg)
            continue
        name, eq, value = arg.lstrip("-").partition("=")
        if name == "version" and not eq:
            out.append("--version")
            tempo_style = True
        elif name == "config.expand-env":
            on = not eq or value.lower() in ("true", "1", "t")
            out.append("--config-expand-env" if on else "--no-config-expand-env")
            tempo_style = True
        elif name in _TEMPO_VALUE_FLAGS and (name != "target" or not arg.startswith("--")):
            if not eq:
                if i >= len(args):
                    out.append(_TEMPO_VALUE_FLAGS[name])  # argparse reports the missing value
                    continue
                value = args[i]
                i += 1
            out += [_TEMPO_VALUE_FLAGS[name], value]
            tempo_style = True
        else:
            out.append(arg)
    if tempo_style and "--version" not in out and not any(a in _COMMANDS for a in out):
        out.insert(0, "serve")
    return out


class CLIError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


def _backend_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="tempo-py/Tempo YAML config file")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    p.add_argument("--backend", choices=["local", "s3"], help="shortcut for storage.trace.backend")
    p.add_argument("--path", help="shortcut for storage.trace.local.path")
    p.add_argument("--bucket", help="shortcut for storage.trace.s3.bucket")
    p.add_argument("--endpoint", help="shortcut for storage.trace.s3.endpoint")
    p.add_argument("--tenant", default=SINGLE_TENANT, help=f"tenant ID (default {SINGLE_TENANT})")


def _load(args: argparse.Namespace) -> Config:
    sets = list(args.set)
    for opt, key in (
        ("backend", "storage.trace.backend"),
        ("path", "storage.trace.local.path"),
        ("bucket", "storage.trace.s3.bucket"),
        ("endpoint", "storage.trace.s3.endpoint"),
    ):
        value = getattr(args, opt, None)
        if value is not None:
            sets.append(f"{key}={value}")
    if getattr(args, "target", None):
        sets.append(f"target={args.target}")
    return load_config(args.config, overrides=sets)


def _serve(args: argparse.Namespace) -> int:
    from tempo_py.app import serve
    from tempo_py.app.logs import setup_logging
    from tempo_py.app.memory import use_preferred_allocator

    sets = list(args.set)
    if args.target:
        sets.append(f"target={args.target}")
    cfg, notes = load_config_with_notes(args.config, overrides=sets, expand_env_vars=args.config_expand_env)
    setup_logging(args.log_level or cfg.server.log_level, args.log_format or cfg.server.log_format)
    log.info("starting tempo-py %s, target %s, config %s", __version__, cfg.target, args.config or "(none)")
    log.info("Arrow memory pool: %s", use_preferred_allocator())
    for src, dst in notes.mapped:
        log.info("Tempo key %s read as %s", src, dst)
    for line in notes.warning_lines():
        log.warning("%s", line)
    asyncio.run(serve(cfg))
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tempo-py", description="Distributed tracing backend (Tempo-compatible)."
    )
    p.add_argument("--version", action="version", version=version_text())
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="run the server")
    s.add_argument("--config")
    s.add_argument("--target", choices=_TARGETS)
    s.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    s.add_argument(
        "--log-level", choices=["debug", "info", "warn", "error"], help="default: server.log_level"
    )
    s.add_argument("--log-format", choices=["logfmt", "json"], help="default: server.log_format")
    s.add_argument(
        "--config-expand-env",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="expand ${VAR} and ${VAR:-default} in the config file (default: on)",
    )

    a = sub.add_parser("agent", help="run the node agent: receivers, an on-disk queue, OTLP/gRPC onward")
    a.add_argument("--config", help="agent YAML file (docs/kubernetes.md#agent-configuration)")
    a.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    a.add_argument("--log-level", default="info", choices=["debug", "info", "warn", "error"])

    blocks = sub.add_parser("blocks", help="inspect blocks").add_subparsers(dest="sub", required=True)
    _backend_args(blocks.add_parser("list", help="list a tenant's blocks with their meta"))

    trace = sub.add_parser("trace", help="read traces").add_subparsers(dest="sub", required=True)
    g = trace.add_parser("get", help="print one trace as OTLP JSON, straight from the backend")
    g.add_argument("trace_id")
    _backend_args(g)

    block = sub.add_parser("block", help="write blocks").add_subparsers(dest="sub", required=True)
    w = block.add_parser("write", help="write a block from an OTLP JSON or protobuf file")
    w.add_argument("file")
    w.add_argument("--format", choices=["json", "proto"], help="default: by file extension")
    _backend_args(w)

    compaction = sub.add_parser("compaction", help="inspect compaction")
    compaction_sub = compaction.add_subparsers(dest="sub", required=True)
    cp = compaction_sub.add_parser("plan", help="show what the compactor would merge or delete, and why")
    cp.add_argument("--json", action="store_true", help="print the plan as JSON")
    _backend_args(cp)
    return p


async def _compaction_plan(args: argparse.Namespace) -> int:
    from tempo_py.app.wiring import compactor_settings, make_store
    from tempo_py.compactor.plan_cli import show_plan

    cfg = _load(args)
    store = make_store(cfg)
    try:
        await show_plan(
            store, compactor_settings(cfg), validate_tenant(args.tenant), sys.stdout, as_json=args.json
        )
    finally:
        await store.close()
    return 0


async def _blocks_list(args: argparse.Namespace) -> int:
    from tempo_py.app.wiring import make_store
    from tempo_py.block.blocklist import list_tenant

    store = make_store(_load(args))
    try:
        tb = await list_tenant(store, validate_tenant(args.tenant))
    finally:
        await store.close()
    rows = sorted([*tb.live.values(), *tb.compacted.values()], key=lambda m: m.start_time_ns)
    for m in rows:
        d = json.loads(m.to_json())
        d["compacted"] = m.block_id in tb.compacted
        print(json.dumps(d))
    print(f"{len(tb.live)} blocks, {len(tb.compacted)} compacted", file=sys.stderr)
    return 0


async def _trace_get(args: argparse.Namespace) -> int:
    from tempo_py.app.wiring import make_store, querier_concurrency
    from tempo_py.block.blocklist import list_tenant
    from tempo_py.block.cache import BlockCaches
    from tempo_py.block.find import find_in_blocks
    from tempo_py.model.arrow_to_otlp import table_to_resource_spans
    from tempo_py.model.ids import InvalidTraceID, parse_trace_id
    from tempo_py.querier.trace_api import resource_spans_json

    try:
        trace_id = parse_trace_id(args.trace_id)
    except InvalidTraceID as e:
        raise CLIError(str(e)) from e
    cfg = _load(args)
    store = make_store(cfg)
    try:
        tb = await list_tenant(store, validate_tenant(args.tenant))
        table = await find_in_blocks(
            store,
            [*tb.live.values(), *tb.compacted.values()],
            trace_id,
            BlockCaches(),
            concurrency=querier_concurrency(cfg),
        )
    finally:
        await store.close()
    if table.num_rows == 0:
        raise CLIError(f"trace {trace_id.hex()} not found in tenant {args.tenant}")
    spans = resource_spans_json(table_to_resource_spans(table))
    print(json.dumps({"resourceSpans": spans}, indent=1))
    return 0


def read_otlp_file(path: str, fmt: str | None) -> ExportTraceServiceRequest:
    """An OTLP request from a JSON (OTLP/JSON, one document or one per line) or protobuf file."""
    from tempo_py.distributor.receivers.otlp.json_decode import OTLPJSONError, decode_otlp_json

    try:
        data = open(path, "rb").read()  # noqa: SIM115
    except OSError as e:
        raise CLIError(f"cannot read {path}: {e.strerror}") from e
    fmt = fmt or ("json" if path.endswith((".json", ".jsonl")) else "proto")
    req = ExportTraceServiceRequest()
    try:
        if fmt == "proto":
            req.ParseFromString(data)
        else:
            lines = [ln for ln in data.splitlines() if ln.strip()]
            docs = lines if len(lines) > 1 else [data]
            for doc in docs:
                req.MergeFrom(decode_otlp_json(doc))
    except (OTLPJSONError, json_format.ParseError) as e:
        raise CLIError(f"{path}: {e}") from e
    except Exception as e:  # protobuf DecodeError
        raise CLIError(f"{path}: not an OTLP protobuf ExportTraceServiceRequest ({e})") from e
    return req


async def _block_write(args: argparse.Namespace) -> int:
    from tempo_py.app.wiring import block_settings, make_store
    from tempo_py.block.encoding import write_block
    from tempo_py.distributor.distributor import span_problem
    from tempo_py.model.otlp_to_arrow import resource_spans_to_table

    req = read_otlp_file(args.file, args.format)
    for rs in req.resource_spans:
        for ss in rs.scope_spans:
            for sp in ss.spans:
                problem = span_problem(sp.trace_id, sp.span_id, sp.parent_span_id, sp.kind, sp.status.code)
                if problem:
                    raise CLIError(f"{args.file}: span {sp.name!r}: {problem}")
    table = resource_spans_to_table(req.resource_spans)
    if table.num_rows == 0:
        raise CLIError(f"{args.file}: no spans")
    cfg = _load(args)
    store = make_store(cfg)
    try:
        meta = await write_block(store, validate_tenant(args.tenant), table, block_settings(cfg))
    finally:
        await store.close()
    print(meta.to_json().decode())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tempo-py`` console script."""
    args = _parser().parse_args(tempo_flags_to_ours(sys.argv[1:] if argv is None else argv))
    try:
        if args.cmd == "serve":
            return _serve(args)
        if args.cmd == "agent":
            logging.basicConfig(
                level=args.log_level.upper().replace("WARN", "WARNING"),
                format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            )
            from tempo_py.agent.process import run_agent
            from tempo_py.config.agent import load_agent_config

            asyncio.run(run_agent(load_agent_config(args.config, args.set)))
            return 0
        handlers = {
            ("blocks", "list"): _blocks_list,
            ("trace", "get"): _trace_get,
            ("block", "write"): _block_write,
            ("compaction", "plan"): _compaction_plan,
        }
        return asyncio.run(handlers[(args.cmd, args.sub)](args))
    except (CLIError, ConfigError, ValueError) as e:
        print(f"tempo-py: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"tempo-py: backend unreachable or unusable: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # e.g. S3 errors: one line, not a traceback
        print(f"tempo-py: {type(e).__name__}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
