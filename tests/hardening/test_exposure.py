"""Defect 7 of issue 17 (exposure), against a real server process: admin endpoints are POST-only,
/status/config masks credentials, receivers bind localhost by default, and bearer tokens
(``server.auth.tokens``) guard every receiver with headers, the query API and the admin endpoints,
exercised with the OTel SDK's OTLP HTTP and gRPC exporters and curl; and TLS on the query port
(``server.http_tls_config``). TLS on the receivers and basic auth: test_receiver_tls.py.
"""

from __future__ import annotations

import json
import ssl
import subprocess
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

from tempo_py.config.schema import Config
from tempo_py.testing.otlp_factory import rich_request
from tests.hardening.certs import make_pki
from tests.hardening.header_receivers import (
    EMPTY_THRIFT,
    header_receivers,
    post_spans,
    post_spans_request,
    zipkin_body,
)

TOKENS = {"token-for-a": "tenant-a", "token-for-b": "tenant-b"}


def test_admin_endpoints_refuse_get(tempo_server_factory: Any) -> None:
    srv = tempo_server_factory()
    for path in ("/flush", "/shutdown"):
        status, headers, _ = srv.request("GET", path)
        assert status == 405, path
        assert "POST" in headers.get("Allow", ""), headers
    # A GET /shutdown did not stop anything; POST still works.
    status, _, _ = srv.request("GET", "/ready")
    assert status == 200
    srv.flush()
    status, _, _ = srv.request("POST", "/shutdown")
    assert status == 200
    assert srv.proc is not None and srv.proc.wait(60) == 0


def test_status_config_masks_s3_credentials(tempo_server_factory: Any) -> None:
    access, secret = "AKIAEXAMPLEACCESSKEY", "wJalrXUtnFEMI-example-secret"
    srv = tempo_server_factory({"storage": {"trace": {"s3": {"access_key": access, "secret_key": secret}}}})
    status, _, body = srv.request("GET", "/status/config")
    assert status == 200
    assert access.encode() not in body and secret.encode() not in body
    s3 = yaml.safe_load(body)["storage"]["trace"]["s3"]
    assert s3["access_key"] == "********" and s3["secret_key"] == "********"


def test_receivers_default_to_localhost() -> None:
    enabled = Config.default(all_receivers=True).distributor.receivers.enabled()
    assert enabled and all(endpoint.startswith("localhost:") for endpoint in enabled.values()), enabled
    # The API keeps Tempo's default of every interface (documented).
    assert Config.default().server.http_listen_address == "0.0.0.0"


def test_localhost_receiver_endpoint_accepts_loopback_clients(tempo_server_factory: Any) -> None:
    srv = tempo_server_factory(start=False)
    http = srv.config["distributor"]["receivers"]["otlp"]["protocols"]["http"]
    http["endpoint"] = f"localhost:{srv.otlp_http_port}"
    srv.write_config()
    srv.start()
    request = rich_request(n_traces=1, spans_per_trace=2, seed=7)
    trace_id = request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    status, _, body = srv.request(
        "POST",
        "",
        body=request.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
        url=srv.otlp_http_url,
    )
    assert status == 200, body
    status, body = srv.get_trace(trace_id)
    assert status == 200, body


# ------------------------------------------------------------------------------- bearer tokens


def _spans(service: str) -> tuple[list[ReadableSpan], str]:
    """Finished SDK spans of one new trace, and its trace ID in hex."""
    recorder = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(recorder))
    with provider.get_tracer("auth.test").start_as_current_span("op") as span:
        trace_id = f"{span.get_span_context().trace_id:032x}"
    provider.shutdown()
    return list(recorder.get_finished_spans()), trace_id


def _export(exporter: SpanExporter, service: str) -> tuple[SpanExportResult, str]:
    spans, trace_id = _spans(service)
    try:
        return exporter.export(spans), trace_id
    finally:
        exporter.shutdown()


def _curl(url: str, *headers: str, curl_args: tuple[str, ...] = ()) -> tuple[int, str]:
    """GET with curl (``curl_args``: e.g. --cacert); returns (status, body)."""
    args = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *curl_args, url]
    for h in headers:
        args += ["-H", h]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60, check=True).stdout
    body, _, code = out.rpartition("\n")
    return int(code), body


@pytest.fixture
def auth_server(tempo_server_factory: Any) -> Any:
    return tempo_server_factory({"multitenancy_enabled": True, "server": {"auth": {"tokens": TOKENS}}})


def test_token_auth_with_sdk_exporters_and_curl(auth_server: Any) -> None:
    srv = auth_server
    bearer_a = {"authorization": "Bearer token-for-a"}
    ok_http, http_trace = _export(HttpExporter(endpoint=srv.otlp_http_url, headers=bearer_a, timeout=10), "h")
    assert ok_http == SpanExportResult.SUCCESS
    ok_grpc, grpc_trace = _export(
        GrpcExporter(endpoint=srv.otlp_grpc_target, insecure=True, headers=bearer_a, timeout=10), "g"
    )
    assert ok_grpc == SpanExportResult.SUCCESS
    # Wrong and missing tokens: refused (401 / UNAUTHENTICATED are not retried by the SDK).
    wrong = {"authorization": "Bearer not-a-token"}
    refused = [
        _export(HttpExporter(endpoint=srv.otlp_http_url, headers=wrong, timeout=10), "x"),
        _export(HttpExporter(endpoint=srv.otlp_http_url, timeout=10), "x"),
        _export(GrpcExporter(endpoint=srv.otlp_grpc_target, insecure=True, headers=wrong, timeout=10), "x"),
        _export(GrpcExporter(endpoint=srv.otlp_grpc_target, insecure=True, timeout=10), "x"),
    ]
    assert all(result == SpanExportResult.FAILURE for result, _ in refused)

    api = srv.url + "/api/v2/traces/"
    for trace_id in (http_trace, grpc_trace):
        status, body = _curl(api + trace_id, "Authorization: Bearer token-for-a")
        assert status == 200, body
        assert json.loads(body)["trace"]["resourceSpans"], body
        assert _curl(api + trace_id)[0] == 401  # no token
        assert _curl(api + trace_id, "Authorization: Bearer nope")[0] == 401
        # The token names the tenant: tenant-b's token does not see tenant-a's trace ...
        assert _curl(api + trace_id, "Authorization: Bearer token-for-b")[0] == 404
        # ... and a header claiming another tenant than the token's is refused, not obeyed.
        claim_b = ("Authorization: Bearer token-for-a", "X-Scope-OrgID: tenant-b")
        assert _curl(api + trace_id, *claim_b)[0] == 401
    # Nothing of the refused exports was stored, under any tenant.
    for _, trace_id in refused:
        for token in TOKENS:
            assert _curl(api + trace_id, f"Authorization: Bearer {token}")[0] == 404
    status, _ = _curl(srv.url + "/api/search?q=%7B%7D", "Authorization: Bearer token-for-a")
    assert status == 200
    assert _curl(srv.url + "/api/search?q=%7B%7D")[0] == 401


def test_raw_push_without_token_is_401_and_stores_nothing(auth_server: Any) -> None:
    srv = auth_server
    request = rich_request(n_traces=1, spans_per_trace=2, seed=11)
    trace_id = request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    body = request.SerializeToString()
    ctype = {"Content-Type": "application/x-protobuf"}
    for extra in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dG9rZW4tZm9yLWE6"}):
        status, _, _ = srv.request("POST", "", body=body, headers={**ctype, **extra}, url=srv.otlp_http_url)
        assert status == 401, extra
    status, _, _ = srv.request(
        "POST", "", body=body, headers={**ctype, "X-Scope-OrgID": "tenant-a"}, url=srv.otlp_http_url
    )
    assert status == 401
    auth_a = {"Authorization": "Bearer token-for-a"}
    status, _, _ = srv.request("GET", f"/api/v2/traces/{trace_id}", headers=auth_a)
    assert status == 404
    assert not list((srv.workdir / "blocks").glob("*/*/meta.json"))


def test_admin_endpoints_need_a_token(auth_server: Any) -> None:
    srv = auth_server
    assert srv.request("GET", "/ready")[0] == 200  # probes need no token
    assert srv.request("POST", "/flush")[0] == 401
    assert srv.request("POST", "/shutdown")[0] == 401
    assert srv.request("GET", "/status/config")[0] == 401
    assert srv.proc is not None and srv.proc.poll() is None  # the refused /shutdown stopped nothing
    auth = {"Authorization": "Bearer token-for-b"}
    assert srv.request("POST", "/flush", headers=auth)[0] in (200, 204)
    status, _, body = srv.request("GET", "/status/config", headers=auth)
    assert status == 200
    assert b"token-for-a" not in body and b"token-for-b" not in body
    assert yaml.safe_load(body)["server"]["auth"]["tokens"] == "********"
    assert srv.request("POST", "/shutdown", headers=auth)[0] == 200
    assert srv.proc.wait(60) == 0


def test_tokens_guard_jaeger_and_zipkin(tempo_server_factory: Any) -> None:
    rx = header_receivers()
    srv = tempo_server_factory(
        {
            "multitenancy_enabled": True,
            "server": {"auth": {"tokens": TOKENS}},
            "distributor": {"receivers": rx.config},
        }
    )
    zipkin_body_, zipkin_type = zipkin_body(), {"Content-Type": "application/json"}
    thrift_type = {"Content-Type": "application/x-thrift"}
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        assert srv.request("POST", "", zipkin_body_, {**zipkin_type, **headers}, url=rx.zipkin_url)[0] == 401
        assert srv.request("POST", "", EMPTY_THRIFT, {**thrift_type, **headers}, url=rx.thrift_url)[0] == 401
    auth = {"Authorization": "Bearer token-for-a"}
    assert srv.request("POST", "", zipkin_body_, {**zipkin_type, **auth}, url=rx.zipkin_url)[0] == 202

    with grpc.insecure_channel(rx.grpc_target) as ch:
        call = post_spans(ch)
        for metadata in ((), (("authorization", "Bearer wrong"),)):
            with pytest.raises(grpc.RpcError) as info:
                call(post_spans_request(), metadata=metadata, timeout=10)
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        call(post_spans_request(), metadata=(("authorization", "Bearer token-for-b"),), timeout=10)

    assert srv.request("POST", "/flush", headers=auth)[0] in (200, 204)
    # Only the authenticated Zipkin span was stored, under the token's tenant.
    assert sorted(p.name for p in (srv.workdir / "blocks").iterdir()) == ["tenant-a"]


# ----------------------------------------------------------------------------------------- TLS


def test_api_tls_with_client_certificates_and_token(tempo_server_factory: Any, tmp_path: Any) -> None:
    pki = make_pki(tmp_path)
    ca_file, cert_file, key_file = pki.ca_file, pki.server_cert, pki.server_key
    client_cert, client_key = pki.client_cert, pki.client_key
    tls = {
        "cert_file": cert_file,
        "key_file": key_file,
        "client_auth_type": "RequireAndVerifyClientCert",
        "client_ca_file": ca_file,
    }
    srv = tempo_server_factory(
        {"multitenancy_enabled": True, "server": {"auth": {"tokens": TOKENS}, "http_tls_config": tls}},
        start=False,
    )
    client = ssl.create_default_context(cafile=ca_file)
    client.load_cert_chain(client_cert, client_key)
    srv.ssl_context = client
    srv.start()
    assert srv.url.startswith("https://")
    request = rich_request(n_traces=1, spans_per_trace=1, seed=5)
    trace_id = request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    headers = {"Content-Type": "application/x-protobuf", "Authorization": "Bearer token-for-a"}
    assert srv.request("POST", "", request.SerializeToString(), headers, url=srv.otlp_http_url)[0] == 200

    url = f"{srv.url}/api/v2/traces/{trace_id}"
    tls_args = ("--cacert", ca_file, "--cert", client_cert, "--key", client_key)
    assert _curl(url, "Authorization: Bearer token-for-a", curl_args=tls_args)[0] == 200
    assert _curl(url, curl_args=tls_args)[0] == 401  # TLS does not replace the token
    # Without a client certificate the handshake fails; plain HTTP gets no answer either.
    no_cert = subprocess.run(["curl", "-s", "-o", "/dev/null", "--cacert", ca_file, url], timeout=60)
    assert no_cert.returncode != 0
    plain = subprocess.run(["curl", "-s", "-o", "/dev/null", url.replace("https://", "http://")], timeout=60)
    assert plain.returncode != 0


def test_half_a_tls_config_refuses_to_start(tempo_server_factory: Any, tmp_path: Any) -> None:
    from tempo_py.app.tls import server_ssl_context

    with pytest.raises(ValueError, match="together"):
        server_ssl_context("cert.pem", "", "NoClientCert", "")
    with pytest.raises(ValueError, match="client_ca_file"):
        server_ssl_context("", "", "NoClientCert", "ca.pem")
    assert server_ssl_context("", "", "NoClientCert", "") is None
    srv = tempo_server_factory(
        {"server": {"http_tls_config": {"cert_file": str(tmp_path / "x.crt")}}}, start=False
    )
    with pytest.raises(RuntimeError, match="key_file"):
        srv.start(timeout=30)
