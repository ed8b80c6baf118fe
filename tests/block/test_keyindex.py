"""The per-row-group attribute key index: round trip, and columns with too many keys left out."""

from __future__ import annotations

from tempo_py.block.v1 import keyindex


def _groups(attrs: list[set[str]]) -> list[keyindex.GroupKeys]:
    return [
        {"attrs": frozenset(a), "resource_attrs": frozenset({"service.name"}), "scope_attrs": frozenset()}
        for a in attrs
    ]


def test_round_trip() -> None:
    groups = _groups([{"a", "b"}, set(), {"b", "c"}])
    assert keyindex.decode(keyindex.encode(groups), 3) == groups


def test_a_column_with_generated_key_names_is_not_indexed() -> None:
    many = [{f"id.{g}.{i}" for i in range(keyindex.MAX_KEYS)} for g in range(2)]
    decoded = keyindex.decode(keyindex.encode(_groups(many)), 2)
    assert decoded is not None
    assert all("attrs" not in g and g["resource_attrs"] == {"service.name"} for g in decoded)


def test_a_damaged_or_mismatched_index_is_unknown() -> None:
    raw = keyindex.encode(_groups([{"a"}]))
    assert keyindex.decode(raw, 2) is None
    assert keyindex.decode(b"{not json", 1) is None
    assert keyindex.decode(None, 1) is None
