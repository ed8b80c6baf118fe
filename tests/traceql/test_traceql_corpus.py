"""Tempo's own TraceQL conformance corpus: every query behaves as its bucket says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tempo_py.traceql import (
    TraceQLParseError,
    TraceQLUnsupportedError,
    TraceQLValidationError,
    check_supported,
    parse,
    validate,
)

# tests/traceql/<this file> -> repo root is parents[2]; the corpus lives beside the checkout.
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "traceql" / "test_examples.yaml"


def _bucket(name: str) -> list[Any]:
    if not CORPUS.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"TraceQL corpus not found at {CORPUS}"))]
    data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return list(data.get(name) or [])


@pytest.mark.parametrize("query", _bucket("valid"))
def test_valid_queries_parse_validate_and_are_supported(query: str) -> None:
    root = parse(query)
    validate(root)
    check_supported(root)


@pytest.mark.parametrize("query", _bucket("valid") + _bucket("validate_fails") + _bucket("unsupported"))
def test_canonical_form_round_trips(query: str) -> None:
    root = parse(query)
    canonical = str(root)
    assert parse(canonical) == root, canonical
    assert str(parse(canonical)) == canonical  # printing is a fixed point


@pytest.mark.parametrize("query", _bucket("parse_fails"))
def test_parse_fails(query: str) -> None:
    with pytest.raises(TraceQLParseError) as info:
        parse(query)
    assert info.value.line >= 1 and info.value.column >= 1


@pytest.mark.parametrize("query", _bucket("validate_fails"))
def test_validate_fails(query: str) -> None:
    root = parse(query)
    with pytest.raises(TraceQLValidationError):
        validate(root)


@pytest.mark.parametrize("query", _bucket("unsupported"))
def test_unsupported(query: str) -> None:
    root = parse(query)
    validate(root)
    with pytest.raises(TraceQLUnsupportedError, match=r"^not supported: "):
        check_supported(root)


def test_mangled_corpus_queries_fail_cleanly_or_round_trip() -> None:
    """Deleting any one character of a corpus query gives a parse error or a query that round-trips
    and validates with TraceQL errors only (never a crash)."""
    queries = [q for name in ("valid", "parse_fails", "validate_fails", "unsupported") for q in _bucket(name)]
    if not all(isinstance(q, str) for q in queries):
        pytest.skip(f"TraceQL corpus not found at {CORPUS}")
    for query in queries[::4]:  # a quarter of the corpus keeps this well under a second
        for index in range(len(query)):
            mangled = query[:index] + query[index + 1 :]
            try:
                root = parse(mangled)
            except TraceQLParseError:
                continue
            assert parse(str(root)) == root, mangled
            try:
                validate(root)
                check_supported(root)
            except (TraceQLValidationError, TraceQLUnsupportedError):
                pass
