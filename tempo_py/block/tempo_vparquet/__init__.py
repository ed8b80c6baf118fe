"""Reading Grafana Tempo's own vParquet4 and vParquet5 blocks (read-only encodings).

- ``meta``: what of Tempo's meta.json the reader needs (dedicated attribute columns).
- ``bloom``: Tempo's bloom shards and their hashing.
- ``index``: the ``index`` object (largest trace ID of each row group).
- ``attrs``: Tempo's attribute lists -> ours, columnar.
- ``mapping``: Tempo's nested trace rows -> our flat span rows (SPAN_SCHEMA), columnar.
- ``reader``: the block handle (lookup by trace ID, row groups for compaction).
- ``scan``: the search scan.
- ``encoding``: the two encodings registered under "vParquet4" and "vParquet5".
"""
