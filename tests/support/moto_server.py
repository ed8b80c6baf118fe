"""pytest fixtures for a real S3 endpoint: moto's server in its own process over loopback HTTP.

``moto_s3`` (session scope) starts ``python -m moto.server`` once for the whole test run and waits
until it answers HTTP; ``s3_bucket`` gives each test a fresh, uniquely named bucket. Credentials
are explicit dummies, so nothing depends on the developer's ``~/.aws``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

import boto3
import pytest

from tempo_py.storage.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_START_ATTEMPTS = 3
_READY_TIMEOUT = 30.0
_POLL_INTERVAL = 0.05


@dataclass(frozen=True)
class MotoS3:
    """Where the moto server listens and the dummy credentials it accepts."""

    endpoint: str
    region: str = "us-east-1"
    access_key: str = "testing"
    secret_key: str = "testing"

    def storage_config(self, bucket: str, prefix: str = "tempo") -> dict[str, Any]:
        """``storage.trace`` config of a tempo-py server keeping its blocks in ``bucket`` here."""
        s3 = {
            "bucket": bucket,
            "endpoint": self.endpoint,
            "region": self.region,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "insecure": True,
            "forcepathstyle": True,
            "prefix": prefix,
        }
        return {"backend": "s3", "s3": s3}

    @functools.cached_property
    def _client(self) -> S3Client:
        session = boto3.session.Session(
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )
        return session.client("s3", endpoint_url=self.endpoint)

    def client(self) -> S3Client:
        """A plain boto3 S3 client (shared, do not close) for setup and inspection in tests."""
        return self._client

    def store(self, bucket: str, prefix: str = "", **kwargs: Any) -> S3Store:
        """An :class:`S3Store` on ``bucket`` of this server; ``kwargs`` go to S3Store."""
        return S3Store(
            bucket,
            prefix=prefix,
            endpoint=self.endpoint,
            region=self.region,
            access_key=self.access_key,
            secret_key=self.secret_key,
            forcepathstyle=True,
            **kwargs,
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(proc: subprocess.Popen[bytes], endpoint: str) -> bool:
    """Poll until the server answers HTTP (True) or its process died (False)."""
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(endpoint + "/moto-api/", timeout=1.0):
                return True
        except urllib.error.HTTPError:
            return True  # any HTTP answer means the server is up
        except OSError:
            time.sleep(_POLL_INTERVAL)  # poll interval of the readiness check, not a fixed wait
    raise RuntimeError(f"moto server at {endpoint} not ready after {_READY_TIMEOUT}s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.stdin is not None:
        proc.stdin.close()
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def running_moto_server() -> Iterator[MotoS3]:
    """Start moto's S3 server as a child process on a free loopback port; stop it on exit.

    The child exits by itself when this process dies, so a killed test run leaves no server behind.
    """
    env = dict(os.environ)
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    log: IO[bytes]
    with tempfile.TemporaryFile() as log:
        # The free port can be taken between probing and binding; then the child exits and we retry.
        for _ in range(_START_ATTEMPTS):
            port = _free_port()
            endpoint = f"http://127.0.0.1:{port}"
            cmd = [sys.executable, "-m", __name__, str(port)]
            proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
            try:
                if _wait_ready(proc, endpoint):
                    yield MotoS3(endpoint=endpoint)
                    return
            finally:
                _stop(proc)
        log.seek(0)
        output = log.read().decode(errors="replace")[-2000:]
        raise RuntimeError(f"moto server failed to start {_START_ATTEMPTS} times:\n{output}")


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    """One moto S3 server process for the whole test session."""
    with running_moto_server() as server:
        yield server


@pytest.fixture
def s3_bucket(moto_s3: MotoS3) -> Iterator[str]:
    """A fresh bucket for one test, emptied and removed afterwards to keep the server small."""
    name = f"test-{uuid.uuid4().hex[:20]}"
    client = moto_s3.client()
    client.create_bucket(Bucket=name)
    try:
        yield name
    finally:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=name)
        for page in pages:
            for obj in page.get("Contents", []):
                client.delete_object(Bucket=name, Key=obj["Key"])
        client.delete_bucket(Bucket=name)


def _serve(port: int) -> None:
    """Child process: run moto's server until told to stop or until the test process is gone."""

    def exit_when_parent_goes() -> None:
        # stdin is a pipe from the test process; EOF means it closed it or died (even by SIGKILL),
        # so the server never outlives the test run.
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=exit_when_parent_goes, daemon=True).start()
    from moto.server import main

    main(["-H", "127.0.0.1", "-p", str(port)])


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
