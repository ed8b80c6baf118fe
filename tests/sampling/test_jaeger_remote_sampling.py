"""Jaeger remote sampling from the user's side: the real jaeger-client's RemoteControlledSampler
against a real tempo-py process, strategies from a strategies.json file that changes under it, and
gRPC ``SamplingManager/GetSamplingStrategy`` through a grpc channel."""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import grpc
import pytest

from tests.support.server import TempoServer, free_port

CLIENT = Path(__file__).parent / "clients" / "jaeger_remote_sampled.py"

STRATEGIES: dict[str, Any] = {
    "default_strategy": {"type": "probabilistic", "param": 0.3},
    "service_strategies": [
        {
            "service": "svc-prob",
            "type": "probabilistic",
            "param": 0.25,
            "operation_strategies": [{"operation": "op-low", "type": "probabilistic", "param": 0.05}],
        },
        {"service": "svc-rl", "type": "ratelimiting", "param": 20},
    ],
}


def run_client(port: int, service: str, expect: str, **kw: Any) -> dict[str, Any]:
    argv = [
        sys.executable,
        str(CLIENT),
        "--sampling-port",
        str(port),
        "--service",
        service,
        "--expect",
        expect,
    ]
    for k, v in kw.items():
        argv += [f"--{k.replace('_', '-')}", str(v)]
    out = subprocess.run(
        argv, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"}
    )
    assert out.returncode == 0, out.stdout + out.stderr
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def assert_binomial(kept: int, n: int, p: float) -> None:
    """Within 4 standard deviations of n·p (a false failure about once in 16,000 runs)."""
    sigma = math.sqrt(n * p * (1 - p))
    assert abs(kept - n * p) <= 4 * sigma, f"kept {kept} of {n}, expected {n * p:.0f} ± {4 * sigma:.0f}"


@pytest.fixture
def sampling_server(tempo_server_factory: Any, tmp_path: Path) -> tuple[TempoServer, Path, int, int]:
    path = tmp_path / "strategies.json"
    path.write_text(json.dumps(STRATEGIES))
    port, grpc_port = free_port(), free_port()
    srv = tempo_server_factory(
        {
            "sampling": {
                "jaeger": {
                    "enabled": True,
                    "strategies_file": str(path),
                    "strategies_reload_interval": "200ms",
                    "listen_port": port,
                    "grpc_listen_port": grpc_port,
                }
            }
        }
    )
    return srv, path, port, grpc_port


def get_json(srv: TempoServer, url: str) -> tuple[int, Any]:
    status, _, body = srv.request("GET", "", url=url)
    return status, json.loads(body) if status == 200 else body.decode()


def test_http_responses_are_jaegers_json(sampling_server: tuple[TempoServer, Path, int, int]) -> None:
    srv, _, port, _ = sampling_server
    for url in (f"http://127.0.0.1:{port}/sampling", f"{srv.url}/api/sampling", f"{srv.url}/sampling"):
        assert get_json(srv, url + "?service=svc-rl") == (
            200,
            {"strategyType": "RATE_LIMITING", "rateLimitingSampling": {"maxTracesPerSecond": 20}},
        )
        assert get_json(srv, url + "?service=nobody") == (
            200,
            {"strategyType": "PROBABILISTIC", "probabilisticSampling": {"samplingRate": 0.3}},
        )
        status, _ = get_json(srv, url)
        assert status == 400
    assert get_json(srv, f"http://127.0.0.1:{port}/sampling?service=svc-prob")[1] == {
        "strategyType": "PROBABILISTIC",
        "probabilisticSampling": {"samplingRate": 0.25},
        "operationSampling": {
            "defaultSamplingProbability": 0.25,
            "defaultLowerBoundTracesPerSecond": 0.0,
            "perOperationStrategies": [
                {"operation": "op-low", "probabilisticSampling": {"samplingRate": 0.05}}
            ],
        },
    }


def test_jaeger_client_samples_at_the_per_operation_rates(
    sampling_server: tuple[TempoServer, Path, int, int],
) -> None:
    _, _, port, _ = sampling_server
    got = run_client(port, "svc-prob", "AdaptiveSampler(0.25", ops="op-low,other", traces=3000)
    assert got["rates"] == {"op-low": 0.05, "other": 0.25}
    assert_binomial(got["kept"]["op-low"], 3000, 0.05)
    assert_binomial(got["kept"]["other"], 3000, 0.25)


def test_jaeger_client_samples_the_default_and_the_rate_limit(
    sampling_server: tuple[TempoServer, Path, int, int],
) -> None:
    _, _, port, _ = sampling_server
    got = run_client(port, "svc-default", "ProbabilisticSampler(0.3)", traces=3000)
    assert_binomial(got["kept"]["op"], 3000, 0.3)
    # 20 traces/s: over ~3 s of 1,000 traces/s, 3 x 20 plus at most the bucket's initial 20.
    got = run_client(port, "svc-rl", "RateLimitingSampler(20", traces=3000, seconds=3)
    expected = 20 * got["elapsed"]
    assert expected - 10 <= got["kept"]["op"] <= expected + 20 + 10, got


def test_a_changed_file_is_picked_up_and_a_bad_one_keeps_the_last_good(
    sampling_server: tuple[TempoServer, Path, int, int],
) -> None:
    srv, path, port, _ = sampling_server
    changed = {"default_strategy": {"type": "probabilistic", "param": 0.6}}
    path.write_text(json.dumps(changed))
    got = run_client(port, "svc-prob", "ProbabilisticSampler(0.6)", traces=2000)
    assert_binomial(got["kept"]["op"], 2000, 0.6)
    path.write_text("{ not json")
    deadline = time.monotonic() + 10
    while "keeping the previous strategies" not in srv.log_tail(200):
        assert time.monotonic() < deadline, srv.log_tail()
        time.sleep(0.1)
    assert get_json(srv, f"{srv.url}/api/sampling?service=svc-rl")[1] == {
        "strategyType": "PROBABILISTIC",
        "probabilisticSampling": {"samplingRate": 0.6},
    }


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def test_grpc_get_sampling_strategy(sampling_server: tuple[TempoServer, Path, int, int]) -> None:
    _, _, _, grpc_port = sampling_server
    _check_grpc_strategies(grpc_port)


def test_grpc_sampling_on_the_jaeger_grpc_receiver_port(tempo_server_factory: Any, tmp_path: Path) -> None:
    """jaeger-collector serves SamplingManager beside CollectorService on 14250: so do we."""
    path = tmp_path / "strategies.json"
    path.write_text(json.dumps(STRATEGIES))
    receiver_port = free_port()
    tempo_server_factory(
        {
            "sampling": {
                "jaeger": {"enabled": True, "strategies_file": str(path), "listen_port": free_port()}
            },
            "distributor": {
                "receivers": {"jaeger": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{receiver_port}"}}}}
            },
        }
    )
    _check_grpc_strategies(receiver_port)


def _check_grpc_strategies(grpc_port: int) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        call = channel.unary_unary("/jaeger.api_v2.SamplingManager/GetSamplingStrategy")
        # SamplingStrategyParameters{serviceName=1}, written by hand so the check does not lean
        # on the server's own message classes
        name = b"svc-rl"
        raw = call(b"\x0a" + _varint(len(name)) + name, timeout=10)
        # strategyType=RATE_LIMITING (1), rateLimitingSampling{maxTracesPerSecond=20}
        assert raw == b"\x08\x01\x1a\x02\x08\x14"
        name = b"nobody"
        raw = call(b"\x0a" + _varint(len(name)) + name, timeout=10)
        # strategyType=PROBABILISTIC is proto3's default (not written); probabilisticSampling{0.3}
        assert raw == b"\x12\x09\x09" + struct.pack("<d", 0.3)
