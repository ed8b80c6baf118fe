"""Keys of the bucket layout: what paths builds, paths parses back; everything else is not a block key."""

from __future__ import annotations

import uuid

from tempo_py.block import paths

BID = str(uuid.UUID(int=0xABCDEF))


def test_block_keys_parse_back_to_their_parts() -> None:
    for key, name in (
        (paths.data_key("t1", BID), paths.DATA),
        (paths.meta_key("t1", BID), paths.META),
        (paths.compacted_meta_key("t1", BID), paths.COMPACTED_META),
        (paths.bloom_key("t1", BID, 3), paths.bloom_name(3)),
        (paths.object_key("t1", BID, "x"), "x"),
    ):
        assert paths.parse_key(key) == paths.BlockKey("t1", BID, name)
    assert paths.bloom_key("t1", BID, 3) == paths.object_key("t1", BID, paths.bloom_name(3))
    assert paths.block_prefix("t1", BID) + paths.DATA == paths.data_key("t1", BID)


def test_other_keys_are_not_block_keys() -> None:
    for key in (
        paths.tenant_index_key("t1"),
        "t1",
        "t1/" + BID,
        "t1/" + BID + "/sub/x",
        paths.lease_prefix("t1", "100") + "0000000001.json",
    ):
        assert paths.parse_key(key) is None, key
    # the folder is not checked to be a UUID; is_block_id tells
    odd = paths.parse_key("t1/not-a-uuid/meta.json")
    assert odd == paths.BlockKey("t1", "not-a-uuid", "meta.json")
    assert not paths.is_block_id(odd.block_id)
    assert paths.is_block_id(BID)
    assert not paths.is_block_id(BID.upper())  # only the canonical form is a block ID as written


def test_lease_keys() -> None:
    key = paths.lease_prefix("t1", "3600") + "0000000002.json"
    assert key == "t1/compactor-leases/3600/0000000002.json"
    assert paths.parse_lease_key(key) == paths.LeaseKey("t1", "3600", "0000000002.json")
    for other in (paths.meta_key("t1", BID), "t1/compactor-leases/3600", "t1/other/3600/0.json"):
        assert paths.parse_lease_key(other) is None, other


def test_tenant_of() -> None:
    assert paths.tenant_of(paths.data_key("t1", BID)) == "t1"
    assert paths.tenant_of(paths.tenant_index_key("t2")) == "t2"
    assert paths.tenant_of("loose-object") is None
