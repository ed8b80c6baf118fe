"""OTLP/gRPC receiver: ``opentelemetry.proto.collector.trace.v1.TraceService/Export`` on 4317.

Status codes per the OTLP spec: INVALID_ARGUMENT for bad data, UNAUTHENTICATED without a tenant,
RESOURCE_EXHAUSTED with a google.rpc.RetryInfo detail when overloaded (so exporters back off),
UNAVAILABLE while stopping. gzip request compression is handled by grpcio itself.

The method is registered with a generic handler taking raw bytes, not the generated servicer:
grpcio deserializes for a servicer before our code runs and answers garbage with UNKNOWN, while
OTLP wants INVALID_ARGUMENT (a client must not retry it).
"""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import DecodeError as ProtoDecodeError
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tempo_py.push import InvalidSpans, Overloaded, PushFn, Unavailable
from tempo_py.tenant import TenantOf


async def _abort_with_retry(
    context: grpc.aio.ServicerContext, code: grpc.StatusCode, message: str, retry_after_s: float
) -> None:
    info = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=max(1, int(retry_after_s))))
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=code.value[0], message=message, details=[detail])
    context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
    await context.abort(code, message)


_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, push: PushFn, tenant_of: TenantOf) -> None:
        self.push = push
        self.tenant_of = tenant_of

    async def Export(
        self,
        request: ExportTraceServiceRequest,
        context: grpc.aio.ServicerContext,
    ) -> ExportTraceServiceResponse:
        headers = {k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)}
        try:
            tenant = self.tenant_of(headers)
        except PermissionError as e:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(e))
        except ValueError as e:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        try:
            result = await self.push(tenant, request, "otlp_grpc")
        except InvalidSpans as e:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        except Overloaded as e:
            await _abort_with_retry(context, grpc.StatusCode.RESOURCE_EXHAUSTED, str(e), e.retry_after_s)
        except Unavailable as e:
            await _abort_with_retry(context, grpc.StatusCode.UNAVAILABLE, str(e), e.retry_after_s)
        resp = ExportTraceServiceResponse()
        if result.rejected_spans:
            resp.partial_success.rejected_spans = result.rejected_spans
            resp.partial_success.error_message = result.error_message
        return resp

    async def export_raw(self, raw: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
        """Export with our own decoding, so a bad body is INVALID_ARGUMENT rather than UNKNOWN."""
        request = ExportTraceServiceRequest()
        try:
            request.ParseFromString(raw)
        except (ProtoDecodeError, ValueError, RecursionError) as e:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"invalid ExportTraceServiceRequest: {e}")
        response = await self.Export(request, context)
        return bytes(response.SerializeToString())

    def handler(self) -> grpc.GenericRpcHandler:
        method = grpc.unary_unary_rpc_method_handler(
            self.export_raw,
            request_deserializer=None,  # raw bytes: decoded in export_raw
            response_serializer=None,
        )
        return grpc.method_handlers_generic_handler(_SERVICE, {"Export": method})


async def start_otlp_grpc(
    host: str,
    port: int,
    push: PushFn,
    tenant_of: TenantOf,
    max_request_bytes: int,
    *,
    credentials: grpc.ServerCredentials | None = None,
) -> grpc.aio.Server:
    """Start the gRPC server (TLS with ``credentials``); stop it with ``await server.stop(grace)``."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", max_request_bytes),
            ("grpc.so_reuseport", 0),
        ]
    )
    server.add_generic_rpc_handlers((_TraceService(push, tenant_of).handler(),))
    address = f"{host}:{port}"
    if credentials is not None:
        bound = server.add_secure_port(address, credentials)
    else:
        bound = server.add_insecure_port(address)
    if bound == 0:
        raise OSError(f"cannot listen for OTLP gRPC on {host}:{port}")
    await server.start()
    return server
