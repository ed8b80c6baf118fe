"""Decoding Jaeger Thrift payloads with our own IDL (``idl/*.thrift``) loaded by thriftpy2.

UDP datagrams carry one ``Agent.emitBatch`` oneway call in Thrift compact (port 6831) or binary
(port 6832) protocol; the HTTP collector endpoint carries a bare binary-encoded ``Batch``.

Decoding is bounded by the input size: thriftpy2 loops over whatever element count a container
header declares, so 8 bytes declaring ``list<VOID>`` of 2^31-1 elements kept a core busy for
minutes. Every list/set/map header is checked against the bytes left before the loop starts, and
element types that occupy no bytes (STOP, VOID, unknown codes) are refused, so each iteration
consumes at least one input byte and the work is linear in the payload.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import thriftpy2
from thriftpy2.protocol.compact import TCompactProtocol
from thriftpy2.thrift import TMessageType, TType

from tempo_py.distributor.receivers.errors import DecodeError

_IDL = Path(__file__).with_name("idl")

jaeger_thrift: Any = thriftpy2.load(str(_IDL / "jaeger.thrift"), module_name="tempo_jaeger_thrift")
agent_thrift: Any = thriftpy2.load(
    str(_IDL / "agent.thrift"), module_name="tempo_jaeger_agent_thrift", include_dirs=[str(_IDL)]
)

# thriftpy2 raises many unrelated types on hostile input (TException, its C ProtocolError,
# EOFError, struct/overflow errors...): any failure while decoding untrusted bytes is a decode error.
_DECODE_ERRORS = (Exception,)


class _StrictBuffer:
    """A read-only transport that fails on short reads.

    thriftpy2's memory buffers return fewer bytes at the end of input and its Cython decoder
    then yields half-filled structs; a truncated datagram must be an error instead, so we use the
    pure-Python protocols over this buffer.
    """

    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self._pos = 0

    def remaining(self) -> int:
        """Bytes not yet read: the ceiling for any element count a container header declares."""
        return len(self._view) - self._pos

    def read(self, n: int) -> bytes:
        end = self._pos + n
        if n < 0 or end > len(self._view):
            raise EOFError(f"thrift payload truncated: wanted {n} bytes at offset {self._pos}")
        chunk = bytes(self._view[self._pos : end])
        self._pos = end
        return chunk


# Element types that occupy at least one byte on the wire. STOP/VOID and unknown codes are skipped
# by thriftpy2 without reading anything, so a container of them would loop for free.
_ELEMENT_TYPES = frozenset(
    (
        TType.BOOL,
        TType.BYTE,
        TType.DOUBLE,
        TType.I16,
        TType.I32,
        TType.I64,
        TType.STRING,
        TType.STRUCT,
        TType.MAP,
        TType.SET,
        TType.LIST,
        TType.BINARY,
    )
)


def _check_container(etypes: tuple[int, ...], size: int, entry_bytes: int, buf: Any) -> None:
    """Refuse a container header whose elements cannot all fit in the bytes left."""
    for etype in etypes:
        if etype not in _ELEMENT_TYPES:
            raise DecodeError(f"thrift container of element type {etype} is not allowed")
    if size < 0:
        raise DecodeError(f"thrift container size {size} is negative")
    # Every element takes >= 1 byte (>= 2 per map entry), so a larger count must be a lie.
    remaining = buf.remaining() if isinstance(buf, _StrictBuffer) else None
    if remaining is not None and size * entry_bytes > remaining:
        raise DecodeError(f"thrift container declares {size} elements but only {remaining} bytes are left")


def _private_binary_module() -> ModuleType:
    """A private copy of ``thriftpy2.protocol.binary`` whose container headers are bounded.

    Its reader is module-level functions calling each other through the module's globals, so
    bounding it means replacing ``read_list_begin``/``read_map_begin`` there; doing it on a copy
    leaves thriftpy2 itself (used by test clients and anything else in the process) untouched.
    """
    spec = importlib.util.find_spec("thriftpy2.protocol.binary")
    if spec is None or spec.loader is None:  # pragma: no cover - thriftpy2 is a dependency
        raise ImportError("thriftpy2.protocol.binary not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    read_list_begin = module.read_list_begin
    read_map_begin = module.read_map_begin

    def bounded_list_begin(inbuf: Any) -> tuple[int, int]:
        etype, size = read_list_begin(inbuf)
        _check_container((etype,), size, 1, inbuf)
        return etype, size

    def bounded_map_begin(inbuf: Any) -> tuple[int, int, int]:
        ktype, vtype, size = read_map_begin(inbuf)
        _check_container((ktype, vtype), size, 2, inbuf)
        return ktype, vtype, size

    module.read_list_begin = bounded_list_begin  # type: ignore[attr-defined]
    module.read_map_begin = bounded_map_begin  # type: ignore[attr-defined]
    return module


_bounded_binary = _private_binary_module()


class _BoundedCompactProtocol(TCompactProtocol):
    """Compact protocol whose collection headers are checked like the binary ones."""

    def _read_collection_begin(self) -> tuple[int, int]:
        base: Any = super()  # thriftpy2's private readers are untyped
        etype, size = base._read_collection_begin()
        _check_container((etype,), size, 1, self.trans)
        return int(etype), int(size)

    def _read_map_begin(self) -> tuple[int, int, int]:
        base: Any = super()
        ktype, vtype, size = base._read_map_begin()
        # An empty map carries no type byte (both decode as STOP): nothing to loop over.
        if size:
            _check_container((ktype, vtype), size, 2, self.trans)
        return int(ktype), int(vtype), int(size)


# thriftpy2's constructors are untyped; bind them once as Any rather than silencing each call.
_compact: Any = _BoundedCompactProtocol
_binary: Any = _bounded_binary.TBinaryProtocol


def _protocol(data: bytes, wire: str) -> Any:
    buf = _StrictBuffer(data)
    if wire == "compact":
        # strict_decode: a string that is not UTF-8 is an error, not bytes that fail later in
        # the OTLP mapping with an exception no receiver expects.
        return _compact(buf, strict_decode=True)
    if wire == "binary":
        # Old agents/clients may omit the versioned message header, so do not insist on it.
        return _binary(buf, strict_read=False, strict_decode=True)
    raise ValueError(f"unknown thrift protocol {wire!r}")


def decode_agent_datagram(data: bytes, wire: str) -> Any:
    """The ``jaeger.Batch`` inside one ``Agent.emitBatch`` datagram; raises DecodeError."""
    try:
        proto = _protocol(data, wire)
        name, mtype, _seqid = proto.read_message_begin()
        if name == "emitZipkinBatch":
            raise DecodeError(
                "emitZipkinBatch is not supported; send Zipkin spans to the Zipkin receiver", "unsupported"
            )
        if name != "emitBatch" or mtype not in (TMessageType.ONEWAY, TMessageType.CALL):
            raise DecodeError(f"unexpected thrift message {name!r} type {mtype}")
        args = agent_thrift.Agent.emitBatch_args()
        proto.read_struct(args)
    except DecodeError:
        raise
    except _DECODE_ERRORS as exc:
        raise DecodeError(f"bad thrift {wire} emitBatch datagram: {exc!r}") from exc
    if args.batch is None:
        raise DecodeError("emitBatch without a batch")
    return _check_batch(args.batch)


def _check_batch(batch: Any) -> Any:
    # thriftpy2 does not enforce `required`; a batch missing them is garbage, not an empty batch.
    if batch.process is None or batch.spans is None:
        raise DecodeError("thrift Batch lacks its required process or spans")
    return batch


def decode_batch_binary(body: bytes) -> Any:
    """A ``jaeger.Batch`` serialized alone in Thrift binary protocol (``POST /api/traces``)."""
    try:
        batch = jaeger_thrift.Batch()
        _protocol(body, "binary").read_struct(batch)
    except DecodeError:
        raise
    except _DECODE_ERRORS as exc:
        raise DecodeError(f"bad thrift binary batch: {exc!r}") from exc
    return _check_batch(batch)
