"""The one set of spans every contender stores, and the three "just keep the files" contenders.

The corpus is generated once per run by ``bench.workload`` into a length-prefixed file of OTLP
protobuf requests (~1,000 spans each, whole traces), so a million spans never sit in memory and
every contender reads exactly the same bytes. File contenders keep one object per request, as the
OpenTelemetry Collector's S3 exporter does (one object per exported batch): raw protobuf,
protobuf + zstd level 3 (each request compressed on its own), OTLP/JSON + gzip level 6 (each
request on its own). They have no index, so a trace-by-ID lookup means reading every object.
"""

from __future__ import annotations

import gzip
import itertools
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import zstandard
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bench.storage_cost_model import Requests, Result
from bench.storage_cost_util import Progress
from bench.workload import Workload, WorkloadConfig, read_protobuf_requests, request_to_otlp_json

_LENGTH_PREFIX = 4  # the framing bench.workload.read_protobuf_requests reads
NO_INDEX = "no index: a trace-by-ID lookup reads every object, so lookups are not priced"


@dataclass
class Corpus:
    """The generated requests on disk, with what the contenders need to know about them."""

    path: Path
    spans: int = 0
    raw_bytes: int = 0
    span_counts: list[int] = field(default_factory=list)  # per request, in file order
    trace_counts: list[int] = field(default_factory=list)  # per request, in file order
    trace_ids: list[bytes] = field(default_factory=list)

    @property
    def requests(self) -> int:
        """Number of requests in the file."""
        return len(self.span_counts)

    def bodies(self) -> Iterator[tuple[bytes, int]]:
        """Each request's bytes with its span count, in file order."""
        bodies = itertools.islice(read_protobuf_requests(self.path), self.requests)
        return zip(bodies, self.span_counts, strict=True)

    def head(self, spans: int) -> Corpus:
        """The first requests holding at least ``spans`` spans (whole requests, so whole traces)."""
        if spans >= self.spans:
            return self
        k, total = 0, 0
        while total < spans:
            total += self.span_counts[k]
            k += 1
        traces = sum(self.trace_counts[:k])
        return Corpus(
            path=self.path,
            spans=total,
            raw_bytes=0,  # not needed of a head
            span_counts=self.span_counts[:k],
            trace_counts=self.trace_counts[:k],
            trace_ids=self.trace_ids[:traces],
        )

    def sample_ids(self, n: int, seed: int) -> list[bytes]:
        """``n`` known trace IDs chosen at random (the same ones for every contender)."""
        return random.Random(seed).sample(self.trace_ids, min(n, len(self.trace_ids)))


def build_corpus(path: Path, total_spans: int, seed: int, spans_per_request: int = 1000) -> Corpus:
    """Generate the workload into ``path``; span times end in the recent past (now - 30 min lookback)."""
    corpus = Corpus(path=path)
    workload = Workload(WorkloadConfig(seed=seed))
    with path.open("wb") as out, Progress("generate workload", total_spans) as progress:
        for body, traces in workload.batches(total_spans, spans_per_request):
            out.write(len(body).to_bytes(_LENGTH_PREFIX, "big"))
            out.write(body)
            n = sum(t.span_count for t in traces)
            corpus.span_counts.append(n)
            corpus.trace_counts.append(len(traces))
            corpus.trace_ids.extend(t.trace_id for t in traces)
            corpus.spans += n
            corpus.raw_bytes += len(body)
            progress.update(n)
    return corpus


def _per_object(corpus: Corpus) -> Requests:
    return Requests(
        class_a_per_span=corpus.requests / corpus.spans,
        class_b_per_query=None,
        basis=f"one PUT per request object ({corpus.spans / corpus.requests:,.0f} spans); {NO_INDEX}",
    )


def raw_protobuf(corpus: Corpus) -> Result:
    """OTLP protobuf as it arrived: the baseline every ratio is taken against."""
    return Result(
        name="OTLP protobuf (raw)",
        spans=corpus.spans,
        stored_bytes=corpus.raw_bytes,
        requests=_per_object(corpus),
        notes=["one object per ~1,000-span request, as received"],
    )


def zstd_protobuf(corpus: Corpus, level: int = 3) -> Result:
    """Each request compressed on its own with zstd (an object per request)."""
    compressor = zstandard.ZstdCompressor(level=level)
    stored = 0
    began = time.perf_counter()
    with Progress("protobuf + zstd", corpus.spans) as progress:
        for body, n in corpus.bodies():
            stored += len(compressor.compress(body))
            progress.update(n)
    seconds = time.perf_counter() - began
    return Result(
        name=f"OTLP protobuf + zstd-{level}",
        spans=corpus.spans,
        stored_bytes=stored,
        ingest_spans_per_s=corpus.spans / seconds,
        requests=_per_object(corpus),
        notes=[f"zstd level {level} per request object; ingest = compression speed"],
    )


def json_gzip(corpus: Corpus, level: int = 6) -> Result:
    """Each request as OTLP/JSON (bench.workload's encoding), gzipped on its own."""
    stored = 0
    began = time.perf_counter()
    with Progress("OTLP JSON + gzip", corpus.spans) as progress:
        for body, n in corpus.bodies():
            doc = request_to_otlp_json(ExportTraceServiceRequest.FromString(body))
            text = json.dumps(doc, separators=(",", ":")).encode()
            stored += len(gzip.compress(text, compresslevel=level))
            progress.update(n)
    seconds = time.perf_counter() - began
    return Result(
        name=f"OTLP JSON + gzip-{level}",
        spans=corpus.spans,
        stored_bytes=stored,
        ingest_spans_per_s=corpus.spans / seconds,
        requests=_per_object(corpus),
        notes=[f"gzip level {level} per request object; ingest = JSON encoding + gzip speed"],
    )
