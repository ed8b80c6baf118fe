"""gRPC ``jaeger.api_v2.SamplingManager/GetSamplingStrategy`` (Jaeger's sampling.proto).

The messages are described with ``descriptor_pb2`` in a private pool, as
:mod:`tempo_py.distributor.receivers.jaeger.api_v2` does for the collector's, with the package,
names and field numbers of Jaeger's ``proto/api_v2/sampling.proto``; the JSON response of the HTTP
endpoints is parsed into them, so both transports answer the same.
"""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

from tempo_py.sampling.jaeger.service import SamplingStrategies

__all__ = ["SERVICE", "SamplingGRPCServer", "messages", "start_sampling_grpc"]

PACKAGE = "jaeger.api_v2"
SERVICE = f"{PACKAGE}.SamplingManager"
_F = descriptor_pb2.FieldDescriptorProto


def _field(
    name: str, number: int, ftype: int, type_name: str = "", repeated: bool = False
) -> descriptor_pb2.FieldDescriptorProto:
    f = descriptor_pb2.FieldDescriptorProto(
        name=name, number=number, type=ftype, label=_F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL
    )
    if type_name:
        f.type_name = f".{PACKAGE}.{type_name}"
    return f


def _file() -> descriptor_pb2.FileDescriptorProto:
    msg, dbl = _F.TYPE_MESSAGE, _F.TYPE_DOUBLE
    m = descriptor_pb2.DescriptorProto
    return descriptor_pb2.FileDescriptorProto(
        name="tempo_py/jaeger_sampling.proto",
        package=PACKAGE,
        syntax="proto3",
        enum_type=[
            descriptor_pb2.EnumDescriptorProto(
                name="SamplingStrategyType",
                value=[
                    descriptor_pb2.EnumValueDescriptorProto(name="PROBABILISTIC", number=0),
                    descriptor_pb2.EnumValueDescriptorProto(name="RATE_LIMITING", number=1),
                ],
            )
        ],
        message_type=[
            m(name="ProbabilisticSamplingStrategy", field=[_field("samplingRate", 1, dbl)]),
            m(name="RateLimitingSamplingStrategy", field=[_field("maxTracesPerSecond", 1, _F.TYPE_INT32)]),
            m(
                name="OperationSamplingStrategy",
                field=[
                    _field("operation", 1, _F.TYPE_STRING),
                    _field("probabilisticSampling", 2, msg, "ProbabilisticSamplingStrategy"),
                ],
            ),
            m(
                name="PerOperationSamplingStrategies",
                field=[
                    _field("defaultSamplingProbability", 1, dbl),
                    _field("defaultLowerBoundTracesPerSecond", 2, dbl),
                    _field("perOperationStrategies", 3, msg, "OperationSamplingStrategy", repeated=True),
                    _field("defaultUpperBoundTracesPerSecond", 4, dbl),
                ],
            ),
            m(
                name="SamplingStrategyResponse",
                field=[
                    _field("strategyType", 1, _F.TYPE_ENUM, "SamplingStrategyType"),
                    _field("probabilisticSampling", 2, msg, "ProbabilisticSamplingStrategy"),
                    _field("rateLimitingSampling", 3, msg, "RateLimitingSamplingStrategy"),
                    _field("operationSampling", 4, msg, "PerOperationSamplingStrategies"),
                ],
            ),
            m(name="SamplingStrategyParameters", field=[_field("serviceName", 1, _F.TYPE_STRING)]),
        ],
    )


def _build() -> dict[str, Any]:
    pool = descriptor_pool.DescriptorPool()
    fd = pool.Add(_file())
    return {name: message_factory.GetMessageClass(d) for name, d in fd.message_types_by_name.items()}


#: Message classes by name (``SamplingStrategyParameters``, ``SamplingStrategyResponse``, ...).
messages = _build()


class SamplingGRPCServer:
    """A running grpc.aio server; ``close`` stops it."""

    def __init__(self, server: grpc.aio.Server, port: int) -> None:
        self._server = server
        self.port = port

    async def close(self, grace_s: float = 2.0) -> None:
        """Stop accepting calls; in-flight ones get ``grace_s``."""
        await self._server.stop(grace_s)


def sampling_handler(strategies: SamplingStrategies) -> grpc.GenericRpcHandler:
    """The SamplingManager service, for any grpc server."""
    params_cls, resp_cls = messages["SamplingStrategyParameters"], messages["SamplingStrategyResponse"]

    async def get_strategy(raw: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
        try:
            params = params_cls.FromString(raw)
        except Exception as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"bad SamplingStrategyParameters: {exc}")
        resp = json_format.ParseDict(strategies.for_service(params.serviceName), resp_cls())
        return bytes(resp.SerializeToString())

    method = grpc.unary_unary_rpc_method_handler(get_strategy)
    return grpc.method_handlers_generic_handler(SERVICE, {"GetSamplingStrategy": method})


async def start_sampling_grpc(host: str, port: int, strategies: SamplingStrategies) -> SamplingGRPCServer:
    """Serve SamplingManager on ``host:port`` (0 picks a free port; see ``.port``)."""
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    server.add_generic_rpc_handlers((sampling_handler(strategies),))
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot bind the Jaeger sampling gRPC server to {host}:{port}")
    await server.start()
    return SamplingGRPCServer(server, bound)
