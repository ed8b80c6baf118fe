"""TLS for every TCP listener: the API port and the receivers, one place that builds contexts.

* The HTTP API port: ``server.http_tls_config`` (dskit's keys) -> ``ssl.SSLContext``
  (:func:`server_ssl_context`).
* The receivers: ``distributor.receivers.<protocol>.tls`` (the OpenTelemetry Collector's keys,
  as Tempo takes them: ``cert_file``, ``key_file``, ``client_ca_file``, ``min_version``) ->
  ``ssl.SSLContext`` for the aiohttp receivers (:func:`receiver_ssl_context`) or
  ``grpc.ServerCredentials`` for the gRPC ones (:func:`receiver_grpc_credentials`).

Only what Python's ``ssl`` and grpcio can enforce is accepted: dskit's ``RequestClientCert`` and
``RequireAnyClientCert`` ask for a certificate without verifying it, which ``ssl`` cannot do, and
grpcio has no TLS version setting (gRPC core's floor is TLS 1.2), so a gRPC receiver's
``min_version: "1.3"`` is refused rather than silently ignored. Every error is a ValueError naming
the config key, raised at startup.
"""

from __future__ import annotations

import ssl

import grpc

from tempo_py.config.receivers import ReceiversConfig
from tempo_py.distributor.receivers.start import ReceiverTls

_VERIFY = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}

#: The Collector's ``min_version`` values we can enforce (1.0 and 1.1 are refused: broken, and
#: OpenSSL 3 disables them anyway).
_MIN_VERSION = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def _context(
    where: str,
    cert_file: str,
    key_file: str,
    verify_mode: ssl.VerifyMode,
    client_ca_file: str,
    min_version: ssl.TLSVersion,
) -> ssl.SSLContext:
    """A server context with the certificate loaded (a key that does not match it is an error)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = min_version
    try:
        ctx.load_cert_chain(cert_file, key_file)
    except (OSError, ssl.SSLError) as exc:
        files = f"cert_file {cert_file!r} / key_file {key_file!r}"
        raise ValueError(f"{where}: cannot load {files}: {exc}") from exc
    ctx.verify_mode = verify_mode
    if client_ca_file:
        try:
            ctx.load_verify_locations(cafile=client_ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"{where}: cannot load client_ca_file {client_ca_file!r}: {exc}") from exc
    return ctx


def server_ssl_context(
    cert_file: str, key_file: str, client_auth_type: str, client_ca_file: str
) -> ssl.SSLContext | None:
    """The API port's context, or None when ``cert_file`` and ``key_file`` are both empty (plain HTTP).

    Raises ValueError for half a configuration (a cert without its key, a client CA or client auth
    type without a server cert, client verification without a CA), so a typo never silently serves
    plain HTTP or skips client verification.
    """
    where = "server.http_tls_config"
    if not cert_file and not key_file:
        if client_ca_file or client_auth_type != "NoClientCert":
            raise ValueError(f"{where}: client_ca_file/client_auth_type need cert_file and key_file")
        return None
    if not cert_file or not key_file:
        raise ValueError(f"{where}: cert_file and key_file must be set together")
    if client_auth_type not in _VERIFY:
        raise ValueError(f"{where}.client_auth_type: unsupported {client_auth_type!r}")
    if client_auth_type != "NoClientCert" and not client_ca_file:
        raise ValueError(f"{where}: client_auth_type {client_auth_type} needs client_ca_file")
    if client_auth_type == "NoClientCert" and client_ca_file:
        # A CA given with NoClientCert would verify nothing; refuse rather than mislead.
        raise ValueError(f"{where}: client_ca_file is set but client_auth_type is NoClientCert")
    # TLS 1.2: dskit's default minimum as well
    return _context(
        where, cert_file, key_file, _VERIFY[client_auth_type], client_ca_file, ssl.TLSVersion.TLSv1_2
    )


def _receiver_checks(where: str, cert_file: str, key_file: str, min_version: str) -> ssl.TLSVersion:
    if not cert_file or not key_file:
        raise ValueError(f"{where}: a tls section needs both cert_file and key_file")
    version = _MIN_VERSION.get(min_version.strip())
    if version is None:
        raise ValueError(f'{where}.min_version: unsupported {min_version!r} (use "1.2" or "1.3")')
    return version


def receiver_ssl_context(
    where: str, cert_file: str, key_file: str, client_ca_file: str, min_version: str
) -> ssl.SSLContext:
    """The context of an HTTP receiver whose ``tls`` section is present (``where`` names it).

    As in the OpenTelemetry Collector, ``client_ca_file`` turns on required and verified client
    certificates (mTLS); ``min_version`` is "1.2" (the default) or "1.3".
    """
    version = _receiver_checks(where, cert_file, key_file, min_version)
    verify = ssl.CERT_REQUIRED if client_ca_file else ssl.CERT_NONE
    return _context(where, cert_file, key_file, verify, client_ca_file, version)


def receiver_grpc_credentials(
    where: str, cert_file: str, key_file: str, client_ca_file: str, min_version: str
) -> grpc.ServerCredentials:
    """The credentials of a gRPC receiver whose ``tls`` section is present (``where`` names it).

    The files are first loaded into an ``ssl`` context, so a missing file, a key that does not
    match the certificate or a bad CA stops startup here rather than failing every handshake.
    ``client_ca_file`` requires and verifies client certificates. Only ``min_version`` "1.2" is
    accepted: grpcio cannot be told to refuse TLS 1.2.
    """
    version = _receiver_checks(where, cert_file, key_file, min_version)
    if version != ssl.TLSVersion.TLSv1_2:
        raise ValueError(
            f'{where}.min_version: gRPC receivers support only "1.2" (grpcio has no TLS version '
            "setting; TLS 1.3 is still negotiated with clients that offer it)"
        )
    verify = ssl.CERT_REQUIRED if client_ca_file else ssl.CERT_NONE
    _context(where, cert_file, key_file, verify, client_ca_file, version)  # validation only
    with open(cert_file, "rb") as f:
        cert = f.read()
    with open(key_file, "rb") as f:
        key = f.read()
    client_ca: bytes | None = None
    if client_ca_file:
        with open(client_ca_file, "rb") as f:
            client_ca = f.read()
    return grpc.ssl_server_credentials(
        [(key, cert)], root_certificates=client_ca, require_client_auth=client_ca is not None
    )


#: Which receiver protocols speak HTTP (an ``ssl`` context) and which gRPC (grpcio credentials).
_HTTP_PROTOCOLS = ("otlp.http", "jaeger.thrift_http", "zipkin")
_GRPC_PROTOCOLS = ("otlp.grpc", "jaeger.grpc")


def receiver_tls(receivers: ReceiversConfig) -> ReceiverTls:
    """Contexts and credentials of every enabled receiver with a ``tls`` section (files loaded now)."""
    http: dict[str, ssl.SSLContext] = {}
    grpc_creds: dict[str, grpc.ServerCredentials] = {}
    for name, tls in receivers.tls().items():
        where = f"distributor.receivers.{name.replace('.', '.protocols.')}.tls"
        args = (where, tls.cert_file, tls.key_file, tls.client_ca_file, tls.min_version)
        field = name.replace(".", "_")
        if name in _HTTP_PROTOCOLS:
            http[field] = receiver_ssl_context(*args)
        elif name in _GRPC_PROTOCOLS:
            grpc_creds[field] = receiver_grpc_credentials(*args)
        else:  # a schema with a tls section this function does not know: a bug, not user error
            raise AssertionError(f"no TLS transport for receiver {name}")
    return ReceiverTls(http=http, grpc=grpc_creds)
