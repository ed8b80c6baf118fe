"""Build the configured object store: Tempo's ``storage.trace.backend`` picks local, s3 or memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tempo_py.storage.base import ObjectStore
from tempo_py.storage.local import LocalStore
from tempo_py.storage.memory import MemoryStore
from tempo_py.storage.s3 import S3Store

BACKENDS = ("local", "s3", "memory")


@dataclass(frozen=True)
class S3Settings:
    """The S3 backend's settings (Tempo's ``storage.trace.s3`` keys); ``None`` = the SDK's default.

    No defaults here: :func:`tempo_py.app.wiring.s3_settings` maps them from the config schema.
    """

    bucket: str
    endpoint: str | None
    region: str | None
    access_key: str | None
    secret_key: str | None
    insecure: bool
    forcepathstyle: bool
    prefix: str


def store_from_config(backend: str, *, local_path: str, s3: S3Settings | None) -> ObjectStore:
    """Return the store for ``backend``; ValueError naming the problem for anything unusable."""
    if backend == "local":
        if not local_path:
            raise ValueError("storage.trace.local.path must be set when storage.trace.backend is 'local'")
        return LocalStore(Path(local_path))
    if backend == "memory":
        return MemoryStore()
    if backend == "s3":
        if s3 is None or not s3.bucket:
            raise ValueError("storage.trace.s3.bucket must be set when storage.trace.backend is 's3'")
        return S3Store(
            s3.bucket,
            prefix=s3.prefix,
            endpoint=s3.endpoint,
            region=s3.region,
            access_key=s3.access_key,
            secret_key=s3.secret_key,
            insecure=s3.insecure,
            forcepathstyle=s3.forcepathstyle,
        )
    raise ValueError(
        f"unknown storage.trace.backend {backend!r}: supported backends are {', '.join(BACKENDS)}"
    )
