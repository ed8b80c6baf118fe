"""Arize Phoenix, the peer a Python user would pick: its own server, its OTLP/HTTP endpoint, SQLite.

Phoenix is heavy (FastAPI, SQLAlchemy, a UI), so it lives in its own virtualenv under
``bench/.cache/phoenix-venv`` (gitignored), created on first use with pip and reused afterwards;
the project venv never sees it. The bench starts ``python -m phoenix.server.main serve`` with
``PHOENIX_WORKING_DIR`` in a temp folder (SQLite at ``phoenix.db``), posts the corpus's OTLP
protobuf requests to ``/v1/traces``, waits until its bulk inserter has written every span (row
count of the ``spans`` table), then looks traces up through its REST API. Anything that fails
(no network for pip, a start-up error, a timeout) turns into a skip with the reason: never a hang.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from bench.storage_cost_corpus import Corpus
from bench.storage_cost_model import Requests, Result
from bench.storage_cost_util import (
    Progress,
    free_port,
    http_request,
    percentile,
    push_otlp,
    stop_process,
    time_lookups,
    wait_http_ok,
)

PACKAGE = "arize-phoenix"
NAME = "Arize Phoenix (SQLite)"
INSTALL_TIMEOUT_S = 1200.0


class PhoenixUnavailable(Exception):
    """Phoenix could not be installed or started: the contender is skipped with this reason."""


def ensure_venv(venv: Path) -> Path:
    """The venv's python with Phoenix importable, installing it on first use."""
    # absolute, not resolved: bin/python is a symlink to the base interpreter, which lacks Phoenix
    python = venv.absolute() / "bin" / "python"
    if python.exists() and _importable(python):
        return python
    sys.stderr.write(f"  installing {PACKAGE} into {venv} (first run only; several minutes)\n")
    try:
        if not python.exists():
            subprocess.run(
                [sys.executable, "-m", "venv", str(venv)], check=True, timeout=300, capture_output=True
            )
        subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", PACKAGE],
            check=True,
            timeout=INSTALL_TIMEOUT_S,
            capture_output=True,
        )
    except subprocess.TimeoutExpired as e:
        raise PhoenixUnavailable(f"pip install {PACKAGE} did not finish in {e.timeout:.0f}s") from e
    except subprocess.CalledProcessError as e:
        tail = (e.stderr or b"").decode(errors="replace").strip().splitlines()[-3:]
        raise PhoenixUnavailable(f"pip install {PACKAGE} failed: {' | '.join(tail)}") from e
    if not _importable(python):
        raise PhoenixUnavailable(f"{PACKAGE} installed but 'import phoenix' fails")
    return python


def _importable(python: Path) -> bool:
    try:
        done = subprocess.run(
            [str(python), "-c", "import phoenix.server.main"], timeout=120, capture_output=True
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def _span_rows(db: Path) -> int:
    """Spans Phoenix has committed so far (read-only; Phoenix keeps writing meanwhile)."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(con.execute("SELECT count(*) FROM spans").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def _wait_inserted(db: Path, spans: int, timeout: float) -> int:
    """Wait until the spans table holds ``spans`` rows or stops growing; returns the rows seen."""
    deadline = time.monotonic() + timeout
    last, still = -1, 0
    with Progress("phoenix: inserting", spans) as progress:
        while time.monotonic() < deadline:
            rows = _span_rows(db)
            progress.update(rows - progress.done)
            if rows >= spans:
                return rows
            still = still + 1 if rows == last else 0
            if still >= 60:  # 30 s without progress: it will not get there
                return rows
            last = rows
            time.sleep(0.5)
    return _span_rows(db)


def _version(python: Path) -> str:
    done = subprocess.run(
        [str(python), "-c", "import phoenix; print(phoenix.__version__)"],
        timeout=60,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "unknown"


def run_phoenix(
    corpus: Corpus, workdir: Path, lookup_ids: list[bytes], venv: Path, timeout_s: float = 3600.0
) -> Result:
    """Ingest the corpus into a Phoenix server; measure its database, ingest rate and lookups."""
    try:
        python = ensure_venv(venv)
    except PhoenixUnavailable as e:
        return Result(name=NAME, skipped=str(e))
    workdir.mkdir(parents=True, exist_ok=True)
    port, grpc_port = free_port(), free_port()
    env = dict(
        os.environ,
        PHOENIX_WORKING_DIR=str(workdir),
        PHOENIX_PORT=str(port),
        PHOENIX_GRPC_PORT=str(grpc_port),
        PHOENIX_HOST="127.0.0.1",
        PHOENIX_TELEMETRY_ENABLED="false",
    )
    env.pop("PHOENIX_SQL_DATABASE_URL", None)
    log = workdir / "phoenix.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(python), "-m", "phoenix.server.main", "serve"],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    db = workdir / "phoenix.db"
    try:
        try:
            wait_http_ok(base + "/healthz", proc, 180.0, log)
        except (RuntimeError, TimeoutError) as e:
            return Result(name=NAME, skipped=f"Phoenix did not start: {str(e).splitlines()[0]}")
        began = time.perf_counter()
        push_otlp(base + "/v1/traces", corpus.bodies(), corpus.spans, "phoenix ingest", timeout=600.0)
        stored = _wait_inserted(db, corpus.spans, timeout_s)
        ingest_s = time.perf_counter() - began

        def lookup(tid: bytes) -> None:
            spans, cursor = 0, ""
            while True:
                query = urllib.parse.urlencode(
                    {"trace_id": tid.hex(), "limit": 1000, **({"cursor": cursor} if cursor else {})}
                )
                code, body = http_request(f"{base}/v1/projects/default/spans/otlpv1?{query}")
                if code != 200:
                    raise RuntimeError(f"phoenix: trace {tid.hex()}: HTTP {code}: {body[:200]!r}")
                doc = json.loads(body)
                spans += len(doc.get("data", []))
                cursor = doc.get("next_cursor") or ""
                if not cursor:
                    break
            if spans == 0:
                raise RuntimeError(f"phoenix: trace {tid.hex()} not found")

        latencies = time_lookups(lookup, lookup_ids)
        version = _version(python)
    finally:
        stop_process(proc, timeout=60.0)
    size = sum(p.stat().st_size for p in workdir.glob("phoenix.db*"))
    notes = [
        f"arize-phoenix {version}, own venv, SQLite in PHOENIX_WORKING_DIR (db + WAL files as left)",
        "ingest = POST /v1/traces of every request until every span is in its spans table",
        "lookup = GET /v1/projects/default/spans/otlpv1?trace_id=<id> over HTTP, all pages",
    ]
    if stored < corpus.spans:
        notes.append(
            f"only {stored:,} of {corpus.spans:,} spans stored before the timeout/stall: "
            "bytes per span over the stored spans"
        )
    return Result(
        name=NAME,
        spans=stored,
        stored_bytes=size,
        ingest_spans_per_s=stored / ingest_s,
        lookup_p50_ms=percentile(latencies, 50),
        lookup_p90_ms=percentile(latencies, 90),
        lookups=len(latencies),
        requests=Requests(
            basis="a database on a disk: no per-request fees; storage priced at S3 as a lower bound"
        ),
        notes=notes,
        details={"version": version},
    )
