"""X-Ray centralized sampling from the user's side: the real aws-xray-sdk sampler (botocore's xray
client, as it talks to the X-Ray daemon on TCP 2000) against a real tempo-py process whose TCP
sampling port shares its number with the UDP segment receiver."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pytest
from aws_xray_sdk.core.context import Context
from aws_xray_sdk.core.daemon_config import DaemonConfig
from aws_xray_sdk.core.recorder import AWSXRayRecorder
from aws_xray_sdk.core.sampling.sampler import DefaultSampler

from tests.support.server import TempoServer, free_port

RULES: dict[str, Any] = {
    "reservoir": {"priority": 1, "service_name": "res-*", "reservoir_size": 20, "fixed_rate": 0.0},
    "rate": {"priority": 2, "service_name": "rate-?vc", "url_path": "/api/*", "fixed_rate": 0.2},
    # Would match "rate-svc" too, but the lower priority number wins.
    "shadowed": {"priority": 3, "service_name": "*", "url_path": "/api/*", "fixed_rate": 1.0},
}


def assert_binomial(kept: int, n: int, p: float) -> None:
    """Within 4 standard deviations of n·p."""
    sigma = math.sqrt(n * p * (1 - p))
    assert abs(kept - n * p) <= 4 * sigma, f"kept {kept} of {n}, expected {n * p:.0f} ± {4 * sigma:.0f}"


@pytest.fixture
def xray_server(tempo_server_factory: Any) -> tuple[TempoServer, int]:
    port = free_port()
    srv = tempo_server_factory(
        {
            "distributor": {"receivers": {"xray": {"endpoint": f"127.0.0.1:{port}"}}},
            "sampling": {
                "xray": {
                    "enabled": True,
                    "listen_port": port,
                    "rules": RULES,
                    "default": {"reservoir_size": 0, "fixed_rate": 0.0},
                }
            },
        }
    )
    return srv, port


def sampler_for(port: int) -> DefaultSampler:
    sampler = DefaultSampler()
    sampler.load_settings(DaemonConfig(f"tcp:127.0.0.1:{port} udp:127.0.0.1:{port}"), Context())
    sampler.start()
    deadline = time.time() + 20
    while not sampler._cache.rules and time.time() < deadline:  # the rule poller's first fetch
        time.sleep(0.05)
    assert [r.name for r in sampler._cache.rules] == ["reservoir", "rate", "shadowed", "Default"]
    return sampler


def post(srv: TempoServer, path: str, body: Any, url: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    status, _, raw = srv.request("POST", path, json.dumps(body).encode(), headers, url=url)
    return status, json.loads(raw)


def test_api_shapes_on_the_daemon_port_and_the_query_port(xray_server: tuple[TempoServer, int]) -> None:
    srv, port = xray_server
    for url in (f"http://127.0.0.1:{port}/GetSamplingRules", None):
        status, body = post(srv, "/GetSamplingRules", {}, url=url)
        assert status == 200
        records = body["SamplingRuleRecords"]
        assert [r["SamplingRule"]["RuleName"] for r in records] == [
            "reservoir",
            "rate",
            "shadowed",
            "Default",
        ]
        default = records[-1]
        assert default["SamplingRule"]["Priority"] == 10000
        assert set(default["SamplingRule"]) >= {
            "RuleName", "Priority", "ReservoirSize", "FixedRate", "ServiceName", "ServiceType", "Host",
            "HTTPMethod", "URLPath", "ResourceARN", "Attributes", "Version",
        }  # fmt: skip
        assert isinstance(default["CreatedAt"], float) and default["ModifiedAt"] == default["CreatedAt"]
    docs = [
        {"RuleName": "reservoir", "ClientID": "c1", "RequestCount": 5, "SampledCount": 5, "BorrowCount": 0},
        {"RuleName": "nope", "ClientID": "c1", "RequestCount": 1, "SampledCount": 0, "BorrowCount": 0},
    ]
    status, body = post(srv, "/SamplingTargets", {"SamplingStatisticsDocuments": docs})
    assert status == 200
    (target,) = body["SamplingTargetDocuments"]
    assert target["RuleName"] == "reservoir" and target["ReservoirQuota"] == 20
    assert target["FixedRate"] == 0.0 and target["Interval"] == 10
    assert target["ReservoirQuotaTTL"] > time.time()
    assert [u["RuleName"] for u in body["UnprocessedStatistics"]] == ["nope"]
    assert isinstance(body["LastRuleModification"], float)


def test_recorder_samples_at_the_fixed_rate_of_the_first_matching_rule(
    xray_server: tuple[TempoServer, int],
) -> None:
    _, port = xray_server
    recorder = AWSXRayRecorder()
    recorder.configure(daemon_address=f"tcp:127.0.0.1:{port} udp:127.0.0.1:{port}", sampling=True)
    sampler_for(port)  # wait until the server serves rules, then use the recorder's own sampler
    deadline = time.time() + 20
    while not recorder.sampler._cache.rules and time.time() < deadline:
        recorder.sampler.should_trace({"service": "warmup"})
        time.sleep(0.05)
    n = 2000
    req = {"service": "rate-svc", "host": "h", "method": "GET", "path": "/api/x"}
    kept = sum(1 for _ in range(n) if recorder.sampler.should_trace(dict(req)))
    assert_binomial(kept, n, 0.2)
    # "rate-svc2" does not match "rate-?vc": the "shadowed" rule (rate 1.0) takes it.
    assert all(recorder.sampler.should_trace({**req, "service": "rate-svc2"}) for _ in range(50))
    # Nothing matches but Default (reservoir 0, rate 0).
    assert not any(recorder.sampler.should_trace({**req, "path": "/other"}) for _ in range(200))


def test_reservoir_is_divided_between_two_clients_and_obeyed(xray_server: tuple[TempoServer, int]) -> None:
    _, port = xray_server
    a, b = sampler_for(port), sampler_for(port)
    req = {"service": "res-a", "host": "h", "method": "GET", "path": "/"}
    # Before any quota each client may borrow one a second.
    for s in (a, b):
        s.should_trace(dict(req))
    # The SDK's target poller reports every 10 s; wait for both to get their quota.
    deadline = time.time() + 30
    rules = [next(r for r in s._cache.rules if r.name == "reservoir") for s in (a, b)]
    while any(r.reservoir.quota is None for r in rules) and time.time() < deadline:
        for s in (a, b):
            s.should_trace(dict(req))
        time.sleep(0.2)
    # Both have reported once by now; a second round makes sure each quota counts the other.
    time.sleep(11)
    for s in (a, b):
        s.should_trace(dict(req))
    assert sorted(r.reservoir.quota for r in rules) == [10, 10]
    per_second: dict[tuple[int, int], int] = {}
    decisions = 0
    start = time.time()
    while time.time() - start < 3.0 or decisions < 4000:
        for i, s in enumerate((a, b)):
            now = int(time.time())
            decisions += 1
            if s.should_trace(dict(req)):
                per_second[(i, now)] = per_second.get((i, now), 0) + 1
    first, last = int(start), int(time.time())
    full = [(i, sec) for i in (0, 1) for sec in range(first + 1, last)]
    assert decisions >= 4000 and full
    # Fixed rate 0: exactly the quota in each full second, for each client.
    assert all(per_second.get(k) == 10 for k in full), per_second
