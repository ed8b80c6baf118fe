"""The one error every receiver's decoder raises for a payload it cannot accept.

Decoders (Jaeger Thrift/proto, Zipkin JSON/proto, X-Ray segments, OTLP bodies) raise
:class:`DecodeError`; the transports map it to their reply (HTTP 400/413/415 in ``http_util``,
INVALID_ARGUMENT over gRPC, a counted drop over UDP). ``reason`` labels the drop counter in
``errors_metrics``. Push failures (overload, invalid spans) are ``tempo_py.push.PushError``.
"""

from __future__ import annotations


class DecodeError(ValueError):
    """A payload could not be decoded; ``reason`` labels the drop counter."""

    def __init__(self, message: str, reason: str = "decode_error") -> None:
        super().__init__(message)
        self.reason = reason
