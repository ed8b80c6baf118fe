"""Decoding Jaeger Thrift payloads with our own IDL (``idl/*.thrift``) loaded by thriftpy2.

UDP datagrams carry one ``Agent.emitBatch`` oneway call in Thrift compact (port 6831) or binary
(port 6832) protocol; the HTTP collector endpoint carries a bare binary-encoded ``Batch``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import thriftpy2
from thriftpy2.protocol.binary import TBinaryProtocol
from thriftpy2.protocol.compact import TCompactProtocol
from thriftpy2.thrift import TMessageType

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

    def read(self, n: int) -> bytes:
        end = self._pos + n
        if n < 0 or end > len(self._view):
            raise EOFError(f"thrift payload truncated: wanted {n} bytes at offset {self._pos}")
        chunk = bytes(self._view[self._pos : end])
        self._pos = end
        return chunk


# thriftpy2's constructors are untyped; bind them once as Any rather than silencing each call.
_compact: Any = TCompactProtocol
_binary: Any = TBinaryProtocol


def _protocol(data: bytes, wire: str) -> Any:
    buf = _StrictBuffer(data)
    if wire == "compact":
        return _compact(buf)
    if wire == "binary":
        # Old agents/clients may omit the versioned message header, so do not insist on it.
        return _binary(buf, strict_read=False)
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
    except _DECODE_ERRORS as exc:
        raise DecodeError(f"bad thrift binary batch: {exc!r}") from exc
    return _check_batch(batch)
