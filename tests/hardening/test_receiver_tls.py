"""Issue 17, auth and TLS on every port, with real clients against a real server process.

The receivers serve TLS with the OpenTelemetry Collector's keys (``distributor.receivers.<protocol>
.tls``: ``cert_file``, ``key_file``, ``client_ca_file``, ``min_version``), the query port with
``server.http_tls_config``; requests authenticate with a bearer token (``server.auth.tokens``) or
basic auth (``server.auth.basic``). Clients: the OTel SDK's OTLP exporters (HTTP with
``certificate_file``, gRPC with ``OTEL_EXPORTER_OTLP_CERTIFICATE``), grpcio secure channels for
Jaeger, urllib for Zipkin and Jaeger HTTP, curl for the query API. Certificates are made at test
time (tests/hardening/certs.py).
"""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.hardening.certs import Pki, make_pki
from tests.hardening.header_receivers import EMPTY_THRIFT, post_spans, post_spans_request, zipkin_body
from tests.hardening.test_hostile_input_e2e import _batch, _binary_body, _trace_id
from tests.support.server import TempoServer, free_port

TOKENS = {"token-for-a": "tenant-a", "token-for-b": "tenant-b"}
# alice writes as tenant-a; "tenant-b" has no tenant key, so the username is the tenant.
BASIC = {"alice": {"password": "alice-secret", "tenant": "tenant-a"}, "tenant-b": {"password": "b-secret"}}
ZIPKIN_TRACE = "5af7183fb1d4cf5f5af7183fb1d4cf5f"  # header_receivers.zipkin_body's trace


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class TlsServer:
    """A started server with TLS on every TCP receiver and on the query port, and its ports."""

    def __init__(self, srv: TempoServer, pki: Pki, jaeger_http: int, jaeger_grpc: int, zipkin: int) -> None:
        self.srv, self.pki = srv, pki
        self.otlp_http = f"https://127.0.0.1:{srv.otlp_http_port}/v1/traces"
        self.otlp_grpc = f"https://127.0.0.1:{srv.otlp_grpc_port}"
        self.jaeger_http = f"https://127.0.0.1:{jaeger_http}/api/traces"
        self.jaeger_grpc = f"127.0.0.1:{jaeger_grpc}"
        self.zipkin = f"https://127.0.0.1:{zipkin}/api/v2/spans"


def _tls(pki: Pki, **extra: str) -> dict[str, str]:
    return {"cert_file": pki.server_cert, "key_file": pki.server_key, **extra}


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    workdir = tmp_path_factory.mktemp("receiver-tls")
    pki = make_pki(workdir)
    jaeger_http, jaeger_grpc, zipkin = free_port(), free_port(), free_port()
    srv = TempoServer(workdir / "srv", {"multitenancy_enabled": True})
    at = "127.0.0.1:{}".format
    srv.config["server"].update(auth={"tokens": TOKENS, "basic": BASIC}, http_tls_config=_tls(pki))
    srv.config["distributor"]["receivers"] = {
        "otlp": {
            "protocols": {
                "grpc": {"endpoint": at(srv.otlp_grpc_port), "tls": _tls(pki)},
                "http": {"endpoint": at(srv.otlp_http_port), "tls": _tls(pki, min_version="1.2")},
            }
        },
        "jaeger": {
            "protocols": {
                "thrift_http": {"endpoint": at(jaeger_http), "tls": _tls(pki)},
                "grpc": {"endpoint": at(jaeger_grpc), "tls": _tls(pki)},
            }
        },
        "zipkin": {"endpoint": at(zipkin), "tls": _tls(pki)},
    }
    srv.write_config()
    srv.ssl_context = ssl.create_default_context(cafile=pki.ca_file)
    srv.start()
    try:
        yield TlsServer(srv, pki, jaeger_http, jaeger_grpc, zipkin)
    finally:
        srv.stop()


# ------------------------------------------------------------------------------------ helpers


@pytest.fixture(autouse=True)
def _no_ca_bundle_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override the exporter's own
    ``certificate_file`` (a requests quirk); a host that sets them must not decide this test."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


def _spans(service: str) -> tuple[list[ReadableSpan], str]:
    """Finished SDK spans of one new trace, and its trace ID in hex."""
    recorder = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(recorder))
    with provider.get_tracer("tls.test").start_as_current_span("op") as span:
        trace_id = f"{span.get_span_context().trace_id:032x}"
    provider.shutdown()
    return list(recorder.get_finished_spans()), trace_id


def _export(exporter: SpanExporter, service: str = "svc") -> tuple[SpanExportResult, str]:
    spans, trace_id = _spans(service)
    try:
        return exporter.export(spans), trace_id
    finally:
        exporter.shutdown()


def _http_exporter(t: TlsServer, auth: str | None, timeout: float = 10, **kw: Any) -> HttpExporter:
    """``timeout`` bounds the exporter's retries (a failed handshake is retried, a 401 is not)."""
    headers = {"authorization": auth} if auth else None
    return HttpExporter(
        endpoint=t.otlp_http, certificate_file=t.pki.ca_file, headers=headers, timeout=timeout, **kw
    )


def _grpc_exporter(
    t: TlsServer, auth: str | None, monkeypatch: pytest.MonkeyPatch, timeout: float = 10
) -> GrpcExporter:
    """The gRPC exporter trusting the test CA the way SDK users configure it: the standard env var."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", t.pki.ca_file)
    headers = {"authorization": auth} if auth else None
    return GrpcExporter(endpoint=t.otlp_grpc, headers=headers, timeout=timeout)


def _curl(t: TlsServer, path: str, *args: str) -> tuple[int, str]:
    """curl the TLS query API (trusting the test CA); returns (status, body)."""
    cmd = [
        "curl",
        "-s",
        "-o",
        "-",
        "-w",
        "\n%{http_code}",
        "--cacert",
        t.pki.ca_file,
        *args,
        t.srv.url + path,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout
    body, _, code = out.rpartition("\n")
    return int(code), body


def _trace_status(t: TlsServer, trace_id: str, *curl_auth: str) -> int:
    return _curl(t, f"/api/v2/traces/{trace_id}", *curl_auth)[0]


def _stored_nowhere(t: TlsServer, trace_id: str) -> bool:
    """No tenant has the trace (live, WAL or blocks)."""
    return all(_trace_status(t, trace_id, "-H", f"Authorization: Bearer {token}") == 404 for token in TOKENS)


def _post(url: str, body: bytes, headers: dict[str, str], ctx: ssl.SSLContext | None) -> int:
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return exc.code


# -------------------------------------------------------------------------------- OTLP + token


def test_sdk_exporters_over_tls_with_token_and_curl_reads_back(
    tls_server: TlsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = tls_server
    ok_http, http_trace = _export(_http_exporter(t, "Bearer token-for-a"))
    assert ok_http == SpanExportResult.SUCCESS, t.srv.log_tail()
    ok_grpc, grpc_trace = _export(_grpc_exporter(t, "Bearer token-for-a", monkeypatch))
    assert ok_grpc == SpanExportResult.SUCCESS, t.srv.log_tail()
    for trace_id in (http_trace, grpc_trace):
        status, body = _curl(t, f"/api/v2/traces/{trace_id}", "-H", "Authorization: Bearer token-for-a")
        assert status == 200, body
        spans = json.loads(body)["trace"]["resourceSpans"][0]["scopeSpans"][0]["spans"]
        assert [s["name"] for s in spans] == ["op"]
        assert _trace_status(t, trace_id) == 401
        assert _trace_status(t, trace_id, "-H", "Authorization: Bearer token-for-b") == 404


def test_wrong_or_missing_token_over_tls_is_refused_and_stores_nothing(
    tls_server: TlsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = tls_server
    refused = [
        _export(_http_exporter(t, "Bearer not-a-token")),
        _export(_http_exporter(t, None)),
        _export(_grpc_exporter(t, "Bearer not-a-token", monkeypatch)),
        _export(_grpc_exporter(t, None, monkeypatch)),
        _export(_http_exporter(t, _basic("alice", "wrong"))),
        _export(_grpc_exporter(t, _basic("mallory", "alice-secret"), monkeypatch)),
    ]
    assert [result for result, _ in refused] == [SpanExportResult.FAILURE] * len(refused)
    # The status codes themselves, from raw clients: 401 and UNAUTHENTICATED.
    ctx = ssl.create_default_context(cafile=t.pki.ca_file)
    proto = {"Content-Type": "application/x-protobuf"}
    for auth in ({}, {"Authorization": "Bearer nope"}, {"Authorization": _basic("alice", "nope")}):
        assert _post(t.otlp_http, b"", {**proto, **auth}, ctx) == 401, auth
    with grpc.secure_channel(t.jaeger_grpc, grpc.ssl_channel_credentials(_read(t.pki.ca_file))) as ch:
        for metadata in ((), (("authorization", "Bearer nope"),)):
            with pytest.raises(grpc.RpcError) as info:
                post_spans(ch)(post_spans_request(), metadata=metadata, timeout=10)
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    for _, trace_id in refused:
        assert _stored_nowhere(t, trace_id), trace_id


def _read(path: str) -> bytes:
    return Path(path).read_bytes()


# ----------------------------------------------------------------------------------- basic auth


def test_basic_auth_with_sdk_exporters_and_curl(
    tls_server: TlsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = tls_server
    alice = _basic("alice", "alice-secret")
    ok_http, http_trace = _export(_http_exporter(t, alice))
    assert ok_http == SpanExportResult.SUCCESS
    ok_grpc, grpc_trace = _export(_grpc_exporter(t, alice, monkeypatch))
    assert ok_grpc == SpanExportResult.SUCCESS
    for trace_id in (http_trace, grpc_trace):
        # alice's tenant is tenant-a: her credentials and tenant-a's token both see the trace
        assert _trace_status(t, trace_id, "-u", "alice:alice-secret") == 200
        assert _trace_status(t, trace_id, "-H", "Authorization: Bearer token-for-a") == 200
        # user tenant-b (no tenant key: the username is the tenant) does not
        assert _trace_status(t, trace_id, "-u", "tenant-b:b-secret") == 404
        assert _trace_status(t, trace_id, "-u", "alice:wrong") == 401
        assert _trace_status(t, trace_id, "-u", "nobody:alice-secret") == 401
        # credentials for tenant-a do not let a header pick tenant-b
        assert _trace_status(t, trace_id, "-u", "alice:alice-secret", "-H", "X-Scope-OrgID: tenant-b") == 401
    # admin endpoints take basic auth too
    assert _curl(t, "/status/config", "-u", "alice:wrong")[0] == 401
    status, body = _curl(t, "/status/config", "-u", "alice:alice-secret")
    assert status == 200
    assert "alice-secret" not in body and "b-secret" not in body
    assert yaml.safe_load(body)["server"]["auth"]["basic"] == "********"


# ------------------------------------------------------------------------ Jaeger and Zipkin TLS


def test_jaeger_and_zipkin_receivers_over_tls(tls_server: TlsServer) -> None:
    t = tls_server
    ctx = ssl.create_default_context(cafile=t.pki.ca_file)
    zipkin, thrift = {"Content-Type": "application/json"}, {"Content-Type": "application/x-thrift"}
    body = zipkin_body()
    assert _post(t.zipkin, body, zipkin, ctx) == 401
    assert _post(t.jaeger_http, EMPTY_THRIFT, thrift, ctx) == 401
    assert _post(t.zipkin, body, {**zipkin, "Authorization": _basic("alice", "alice-secret")}, ctx) == 202
    batch = _binary_body(_batch(0x7715, "over-tls"))
    assert _post(t.jaeger_http, batch, {**thrift, "Authorization": "Bearer token-for-b"}, ctx) == 202
    with grpc.secure_channel(t.jaeger_grpc, grpc.ssl_channel_credentials(_read(t.pki.ca_file))) as ch:
        post_spans(ch)(post_spans_request(), metadata=(("authorization", "Bearer token-for-a"),), timeout=10)
    status, read = _curl(t, f"/api/v2/traces/{ZIPKIN_TRACE}", "-u", "alice:alice-secret")
    assert status == 200, read
    status, read = _curl(t, f"/api/v2/traces/{_trace_id(0x7715)}", "-u", "tenant-b:b-secret")
    assert status == 200, read
    assert _trace_status(t, _trace_id(0x7715), "-u", "alice:alice-secret") == 404
    # Certificates signed by another CA are not trusted by clients, so the server's is what they checked.
    other_dir = Path(t.pki.ca_file).parent / "other"
    other_dir.mkdir(exist_ok=True)
    other = make_pki(other_dir)
    untrusting = ssl.create_default_context(cafile=other.ca_file)
    with pytest.raises(urllib.error.URLError):
        _post(t.zipkin, body, zipkin, untrusting)


def test_plaintext_clients_get_no_answer_from_tls_receivers(tls_server: TlsServer) -> None:
    t = tls_server
    for url in (t.otlp_http, t.zipkin, t.jaeger_http):
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            _post(url.replace("https://", "http://"), b"{}", {"Content-Type": "application/json"}, None)
    with grpc.insecure_channel(t.jaeger_grpc) as ch:
        with pytest.raises(grpc.RpcError) as info:
            post_spans(ch)(
                post_spans_request(), metadata=(("authorization", "Bearer token-for-a"),), timeout=5
            )
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert t.srv.request("GET", "/ready")[0] == 200  # and the server is fine


# --------------------------------------------------------------------- client certs, min_version


def test_client_ca_file_requires_client_certificates(
    tempo_server_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pki = make_pki(tmp_path)
    srv = tempo_server_factory(start=False)
    protocols = srv.config["distributor"]["receivers"]["otlp"]["protocols"]
    protocols["http"]["tls"] = _tls(pki, client_ca_file=pki.ca_file, min_version="1.3")
    protocols["grpc"]["tls"] = _tls(pki, client_ca_file=pki.ca_file)
    srv.write_config()
    srv.start()
    t = TlsServer(srv, pki, 0, 0, 0)
    # HTTP: the exporter's client certificate is required; TLS 1.2 is refused (min_version 1.3).
    ok, http_trace = _export(
        _http_exporter(t, None, client_certificate_file=pki.client_cert, client_key_file=pki.client_key)
    )
    assert ok == SpanExportResult.SUCCESS
    assert _export(_http_exporter(t, None, timeout=3))[0] == SpanExportResult.FAILURE
    tls12 = ssl.create_default_context(cafile=pki.ca_file)
    tls12.load_cert_chain(pki.client_cert, pki.client_key)
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises(urllib.error.URLError):
        _post(t.otlp_http, b"", {"Content-Type": "application/x-protobuf"}, tls12)
    # gRPC: the same, with the SDK's client-certificate variables.
    assert _export(_grpc_exporter(t, None, monkeypatch, timeout=3))[0] == SpanExportResult.FAILURE
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", pki.client_cert)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CLIENT_KEY", pki.client_key)
    ok, grpc_trace = _export(_grpc_exporter(t, None, monkeypatch))
    assert ok == SpanExportResult.SUCCESS
    for trace_id in (http_trace, grpc_trace):
        status, _ = srv.get_trace(trace_id)
        assert status == 200


@pytest.mark.parametrize(
    ("where", "tls", "message"),
    [
        ("http", {"cert_file": "server.crt"}, "needs both cert_file and key_file"),
        ("grpc", {"min_version": "1.3"}, 'gRPC receivers support only "1.2"'),
        ("http", {"min_version": "1.1"}, "min_version: unsupported"),
        ("grpc", {"client_ca_file": "missing-ca.pem"}, "cannot load client_ca_file"),
    ],
)
def test_a_bad_receiver_tls_section_refuses_to_start(
    tempo_server_factory: Any, tmp_path: Path, where: str, tls: dict[str, str], message: str
) -> None:
    pki = make_pki(tmp_path)
    srv = tempo_server_factory(start=False)
    section = {**_tls(pki), **tls}
    if section["cert_file"] == "server.crt":
        section = {"cert_file": pki.server_cert}
    srv.config["distributor"]["receivers"]["otlp"]["protocols"][where]["tls"] = section
    srv.write_config()
    with pytest.raises(RuntimeError, match=message):
        srv.start(timeout=30)


def test_udp_receivers_take_no_tls_section(tempo_server_factory: Any) -> None:
    srv = tempo_server_factory(start=False)
    srv.config["distributor"]["receivers"]["xray"] = {"endpoint": "127.0.0.1:0", "tls": {}}
    srv.write_config()
    with pytest.raises(RuntimeError, match=r"unknown key .*xray\.tls"):
        srv.start(timeout=30)
