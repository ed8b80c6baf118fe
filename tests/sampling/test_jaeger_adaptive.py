"""Adaptive sampling with real traffic: jaeger-client processes with their remote sampler send a hot
and a cold operation over UDP to one tempo-py process; the probabilities computed from the root
spans it ingests move toward the target, and a second process sharing the object store serves
exactly the same ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.server import TempoServer, free_port, free_udp_port

from .test_jaeger_remote_sampling import CLIENT

TARGET = 5.0
HOT, COLD = 200, 20  # traces per second each client starts


def _config(shared: Path, sampling_port: int) -> dict[str, Any]:
    return {
        "storage": {"trace": {"local": {"path": str(shared)}}},
        "sampling": {
            "jaeger": {
                "enabled": True,
                "listen_port": sampling_port,
                "adaptive": {
                    "enabled": True,
                    "target_samples_per_second": TARGET,
                    "initial_sampling_probability": 0.5,
                    "min_samples_per_second": 0,
                    "calculation_interval": "1s",
                    "aggregation_buckets": 3,
                },
            }
        },
    }


def _served(srv: TempoServer) -> Any:
    status, _, body = srv.request("GET", "/api/sampling?service=shop")
    assert status == 200, body
    return json.loads(body)


def _rates(resp: Any) -> dict[str, float]:
    ops = resp.get("operationSampling", {}).get("perOperationStrategies", [])
    return {o["operation"]: o["probabilisticSampling"]["samplingRate"] for o in ops}


def test_probabilities_move_to_the_target_and_every_process_serves_them(
    tempo_server_factory: Any, tmp_path: Path
) -> None:
    shared = tmp_path / "shared-blocks"
    udp, port_a, port_b = free_udp_port(), free_port(), free_port()
    cfg_a = _config(shared, port_a)
    cfg_a["distributor"] = {
        "receivers": {"jaeger": {"protocols": {"thrift_compact": {"endpoint": f"127.0.0.1:{udp}"}}}}
    }
    a = tempo_server_factory(cfg_a, name="a")
    b = tempo_server_factory(_config(shared, port_b), name="b")
    assert _served(a) == {"strategyType": "PROBABILISTIC", "probabilisticSampling": {"samplingRate": 0.5}}

    seconds = 25
    clients = [
        subprocess.Popen(
            [
                sys.executable,
                str(CLIENT),
                "--sampling-port",
                str(port_a),
                "--reporting-port",
                str(udp),
                "--service",
                "shop",
                "--ops",
                op,
                "--traces",
                str(rate * seconds),
                "--seconds",
                str(seconds),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        for op, rate in (("hot", HOT), ("cold", COLD))
    ]
    # Read what is served while the traffic still runs (once it stops, the probabilities rise
    # again by the capped +50% per interval, as they should for an idle operation).
    time.sleep(seconds - 5)
    served_a, served_b = _served(a), _served(b)
    deadline = time.monotonic() + 3
    while served_a != served_b and time.monotonic() < deadline:  # b may be one load behind
        time.sleep(0.1)
        served_a, served_b = _served(a), _served(b)
    outs = [c.communicate(timeout=seconds + 60) for c in clients]
    for c, (out, err) in zip(clients, outs, strict=True):
        assert c.returncode == 0, out + err
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]

    # served probabilities: target / real rate, from the initial 0.5 (a factor 2 either side)
    rates = _rates(served_a)
    assert TARGET / HOT / 2 <= rates["hot"] <= TARGET / HOT * 2, (rates, results, a.log_tail())
    assert TARGET / COLD / 2 <= rates["cold"] <= TARGET / COLD * 2, rates
    # the process that saw no traffic serves the same, from the shared store
    assert served_b == served_a
    assert served_b["operationSampling"]["defaultSamplingProbability"] == 0.5
    # the clients themselves took them up
    assert TARGET / HOT / 2 <= results[0]["rates"]["hot"] <= TARGET / HOT * 2, results[0]
    assert TARGET / COLD / 2 <= results[1]["rates"]["cold"] <= TARGET / COLD * 2, results[1]
