"""The Tempo block reader in process: Tempo's blooms, row groups for compaction, read-only create."""

from __future__ import annotations

import asyncio

import pyarrow.compute as pc
import pytest

from tempo_py.block.cache import BlockCaches
from tempo_py.block.encoding import create_writer, open_block
from tempo_py.block.meta import BlockMeta
from tempo_py.block.tempo_vparquet.bloom import shard_for, shard_may_contain
from tempo_py.block.tempo_vparquet.encoding import ReadOnlyEncoding
from tempo_py.model.schema import SPAN_SCHEMA
from tempo_py.model.table_ops import block_order
from tempo_py.storage.local import LocalStore
from tests.support.settings import block_settings
from tests.tempo_blocks.fixtures import TENANT, VERSIONS, blocks_json, require_fixtures


@pytest.mark.parametrize("version", VERSIONS)
def test_tempo_bloom_says_yes_to_every_trace_of_its_block_and_no_to_the_others(version: str) -> None:
    root = require_fixtures() / version / TENANT
    blocks = blocks_json()["versions"][version]["blocks"]
    every = {t for b in blocks for t in b["trace_ids"]}
    for b in blocks:
        shard = shard_for(bytes.fromhex(b["trace_ids"][0]), 1)
        data = (root / b["blockID"] / f"bloom-{shard}").read_bytes()
        assert all(shard_may_contain(data, bytes.fromhex(t)) for t in b["trace_ids"])
        # 100 KiB for ~100 IDs: a false positive among ~200 others would be a hashing bug
        assert not any(shard_may_contain(data, bytes.fromhex(t)) for t in every - set(b["trace_ids"]))


@pytest.mark.parametrize("version", VERSIONS)
def test_row_groups_come_back_as_our_span_rows_in_block_order(version: str) -> None:
    root = require_fixtures() / version
    store = LocalStore(root)
    blocks = blocks_json()["versions"][version]["blocks"]

    async def read(block_id: str) -> None:
        meta = BlockMeta.from_json(await store.get(f"{TENANT}/{block_id}/meta.json"))
        handle = open_block(store, meta, BlockCaches())
        scan = await handle.scan()
        for g in range(await handle.row_group_count()):
            table = await handle.read_row_group(g)
            assert table.schema == SPAN_SCHEMA
            assert table.num_rows == scan.group_rows[g]
            assert block_order(table).to_pylist() == list(range(table.num_rows))
            ids = {bytes(x).hex() for x in pc.unique(table.column("trace_id")).to_pylist()}
            assert ids == set(next(b for b in blocks if b["blockID"] == block_id)["trace_ids"])

    for b in blocks:
        asyncio.run(read(b["blockID"]))


@pytest.mark.parametrize("version", VERSIONS)
def test_tempo_encodings_are_read_only(version: str) -> None:
    with pytest.raises(ReadOnlyEncoding, match="vParquet-py1"):
        create_writer("t", block_settings(version=version))


@pytest.mark.parametrize("version", VERSIONS)
def test_scan_statistics_bound_the_decoded_spans(version: str) -> None:
    store = LocalStore(require_fixtures() / version)
    columns = ["trace_id", "name", "kind", "status_code", "service_name", "start_time_unix_nano"]
    columns.append("end_time_unix_nano")

    async def check(block_id: str) -> None:
        meta = BlockMeta.from_json(await store.get(f"{TENANT}/{block_id}/meta.json"))
        scan = await open_block(store, meta, BlockCaches()).scan()
        for g in range(scan.num_groups):
            await scan.fetch(scan.ranges([g], columns), asyncio.Semaphore(2))
            table = scan.decode([g], columns)
            assert set(table.column_names) == set(columns) and table.num_rows == scan.group_rows[g]
            stats = scan.stats(g, columns)
            assert set(stats) == set(columns)
            for name in columns:
                mm = pc.min_max(
                    table.column(name).cast("binary") if name == "trace_id" else table.column(name)
                )
                assert stats[name].min <= mm["min"].as_py() <= mm["max"].as_py() <= stats[name].max, name
            assert scan.id_range(g) == (stats["trace_id"].min, stats["trace_id"].max)

    for b in blocks_json()["versions"][version]["blocks"]:
        asyncio.run(check(b["blockID"]))
