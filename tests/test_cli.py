"""tempo-py's tools as a user runs them: write a block, list blocks, print a trace; bad input exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from google.protobuf import json_format
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans

from tempo_py.testing.otlp_factory import canonical_spans, otlp_json, rich_request, spans_of_trace


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tempo_py.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_block_write_list_and_trace_get(tmp_path: Path) -> None:
    req = rich_request(n_traces=2, spans_per_trace=3, seed=8)
    (tmp_path / "spans.json").write_text(json.dumps(otlp_json(req)))
    (tmp_path / "spans.pb").write_bytes(
        rich_request(n_traces=1, spans_per_trace=2, seed=9).SerializeToString()
    )
    store = ["--backend", "local", "--path", str(tmp_path / "blocks"), "--tenant", "t1"]
    r = _cli("block", "write", "spans.json", *store, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["spanCount"] == 2 * 2 * 2 * 3
    assert _cli("block", "write", "spans.pb", *store, cwd=tmp_path).returncode == 0
    r = _cli("blocks", "list", *store, cwd=tmp_path)
    assert r.returncode == 0 and len(r.stdout.strip().splitlines()) == 2
    assert "2 blocks" in r.stderr
    tid = req.resource_spans[0].scope_spans[0].spans[0].trace_id
    r = _cli("trace", "get", tid.hex(), *store, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    got = []
    for item in json.loads(r.stdout)["resourceSpans"]:
        rs = ResourceSpans()
        json_format.ParseDict(item, rs)
        got.append(rs)
    assert canonical_spans(got) == canonical_spans(spans_of_trace(list(req.resource_spans), tid))


def test_bad_arguments_and_unreachable_backends_give_one_line_and_exit_2(tmp_path: Path) -> None:
    local = ["--backend", "local", "--path", str(tmp_path / "blocks")]
    cases = [
        ("trace", "get", "not-hex", *local),
        ("trace", "get", "abcd", *local),  # absent
        ("block", "write", "missing.json", *local),
        ("blocks", "list", "--tenant", "../etc", *local),
        ("blocks", "list", "--set", "storage.trace.bakend=local"),
        (
            "blocks",
            "list",
            "--backend",
            "s3",
            "--bucket",
            "b",
            "--endpoint",
            "http://127.0.0.1:9",
            "--set",
            "storage.trace.s3.insecure=true",
        ),
    ]
    (tmp_path / "bad.json").write_text("{nope")
    cases.append(("block", "write", "bad.json", *local))
    for args in cases:
        r = _cli(*args, cwd=tmp_path)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
        assert r.stderr.startswith("tempo-py: "), r.stderr
