"""``tempo-py compaction plan`` shows jobs and reasons without changing the bucket; /metrics names."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from tempo_py import cli
from tempo_py.compactor import metrics  # noqa: F401  (registers the compactor metrics)
from tempo_py.storage.local import LocalStore

from .helpers import write_split_blocks


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_plan_lists_jobs_with_reasons_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "blocks"
    sent = asyncio.run(
        write_split_blocks(
            LocalStore(root), "t1", windows=2, blocks_per_window=3, traces=1, now_ns=time.time_ns()
        )
    )
    before = _snapshot(root)
    assert cli.main(["compaction", "plan", "--tenant", "t1", "--path", str(root)]) == 0
    text = capsys.readouterr().out
    assert text.count("job 1: 3 blocks -> level-1 block") == 2
    assert "why: 3 blocks of closed window" in text and "max_block_bytes" in text
    assert all(m.block_id in text for m in sent.blocks)
    assert "retention: 0 blocks past block_retention" in text

    assert (
        cli.main(
            [
                "compaction",
                "plan",
                "--tenant",
                "t1",
                "--path",
                str(root),
                "--json",
                "--set",
                "compactor.compaction.max_input_blocks=2",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert [len(j["inputs"]) for w in doc["windows"] for j in w["jobs"]] == [2, 2]
    assert doc["liveBlocks"] == 6 and doc["limits"]["max_input_blocks"] == 2
    assert _snapshot(root) == before  # read-only


def test_plan_bad_tenant_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["compaction", "plan", "--tenant", "../x", "--path", str(tmp_path)]) == 2
    assert "tempo-py:" in capsys.readouterr().err


def test_metrics_registered() -> None:
    text = generate_latest().decode()
    for name in (
        "tempo_compactor_blocks_compacted_total",
        "tempo_compactor_bytes_in_total",
        "tempo_compactor_bytes_out_total",
        "tempo_compactor_duration_seconds_bucket",
    ):
        assert name in text
    assert "tempo_compactor_outstanding_blocks" in text
