"""Object store on S3 or an S3-compatible service (MinIO, Ceph, moto), through boto3.

boto3 is blocking, so every request runs on the store's own thread pool (sized to the HTTP
connection pool): slow S3 calls then never starve the shared default executor that file IO and
Parquet work use. botocore's own retries are switched off; :mod:`tempo_py.storage.retry` retries
transient failures with backoff + jitter, so one policy applies everywhere and tests can count it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    IncompleteReadError,
    SSLError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from tempo_py.storage.base import (
    ObjectNotFound,
    StorageError,
    check_key,
    check_prefix,
    check_range,
)
from tempo_py.storage.retry import RetryPolicy, retry_with_policy

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

T = TypeVar("T")
_log = logging.getLogger(__name__)

_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404"})
# Throttling and server-side hiccups; 409 ConditionalRequestConflict is AWS's "a concurrent
# conditional write is in flight, retry" answer.
_RETRYABLE_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequests",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "ServiceUnavailable",
        "ConditionalRequestConflict",
    }
)


_SESSION_LOCK = threading.Lock()


@functools.cache
def _shared_session() -> boto3.session.Session:
    # Building a session loads botocore's service models (~0.2 s); one session serves every store.
    # Credentials are passed per client, so stores with different keys still stay apart.
    return boto3.session.Session()


def _error_info(exc: ClientError) -> tuple[str, int, str]:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return str(error.get("Code", "")), int(status), str(error.get("Message", ""))


def is_retryable(exc: BaseException) -> bool:
    """True for failures worth retrying: 5xx, 429, throttling, timeouts, resets, refused connections."""
    if isinstance(exc, ClientError):
        code, status, _ = _error_info(exc)
        return status >= 500 or status == 429 or code in _RETRYABLE_CODES
    if isinstance(exc, SSLError):
        return False  # certificate and protocol mismatches do not heal by retrying
    return isinstance(exc, BotoConnectionError | HTTPClientError | IncompleteReadError)


def endpoint_url(endpoint: str | None, insecure: bool) -> str | None:
    """The endpoint as a URL: Tempo configs give a bare host, with ``insecure`` meaning plain HTTP."""
    if not endpoint:
        return None
    if "://" in endpoint:
        return endpoint
    return ("http://" if insecure else "https://") + endpoint


class S3Store:
    """An :class:`~tempo_py.storage.base.ObjectStore` over one S3 bucket, optionally under a prefix.

    Without ``access_key``/``secret_key`` the default AWS credential chain applies (environment,
    shared config, instance or pod role).
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        insecure: bool = False,
        forcepathstyle: bool = False,
        *,
        session_token: str | None = None,
        retry: RetryPolicy | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_connections: int = 16,
        list_page_size: int = 1000,
    ) -> None:
        if not bucket:
            raise ValueError("S3 bucket name must not be empty")
        prefix = prefix.strip("/")
        if prefix:
            check_key(prefix)
        self._bucket = bucket
        self._key_prefix = prefix + "/" if prefix else ""
        self._retry = retry or RetryPolicy()
        self._list_page_size = list_page_size
        config = Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=max_connections,
            s3={"addressing_style": "path" if forcepathstyle else "auto"},
            # Many S3-compatible stores reject the CRC checksums botocore >= 1.36 adds by default.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        with _SESSION_LOCK:
            self._client: S3Client = _shared_session().client(
                "s3",
                endpoint_url=endpoint_url(endpoint, insecure),
                use_ssl=not insecure,
                region_name=region or None,
                aws_access_key_id=access_key or None,
                aws_secret_access_key=secret_key or None,
                aws_session_token=session_token or None,
                config=config,
            )
        self._executor = ThreadPoolExecutor(max_workers=max_connections, thread_name_prefix="s3store")

    @property
    def bucket(self) -> str:
        """The bucket this store reads and writes."""
        return self._bucket

    def _full_key(self, key: str) -> str:
        return self._key_prefix + check_key(key)

    async def _call(
        self,
        op: str,
        key: str,
        fn: Callable[[], T],
        on_retry: Callable[[int, BaseException], None] | None = None,
    ) -> T:
        loop = asyncio.get_running_loop()

        async def attempt() -> T:
            return await loop.run_in_executor(self._executor, fn)

        def log_retry(retry: int, exc: BaseException) -> None:
            _log.warning("s3 %s %r failed, retry %d: %s", op, key, retry + 1, exc)
            if on_retry is not None:
                on_retry(retry, exc)

        try:
            return await retry_with_policy(attempt, self._retry, is_retryable, log_retry)
        except ClientError as exc:
            code, status, message = _error_info(exc)
            if code in _NOT_FOUND_CODES:
                raise ObjectNotFound(key) from exc
            where = f"s3://{self._bucket}/{self._key_prefix}{key}"
            raise StorageError(f"s3 {op} {where}: {code} (HTTP {status}) {message}".rstrip()) from exc
        except BotoCoreError as exc:
            raise StorageError(f"s3 {op} s3://{self._bucket}/{self._key_prefix}{key}: {exc}") from exc

    async def get(self, key: str) -> bytes:
        """Return the whole object. Raises ObjectNotFound when absent."""
        full = self._full_key(key)

        def fetch() -> bytes:
            body = self._client.get_object(Bucket=self._bucket, Key=full)["Body"]
            with contextlib.closing(body):
                return body.read()

        return await self._call("get", key, fetch)

    async def get_range(self, key: str, offset: int, length: int) -> bytes:
        """Return ``length`` bytes from ``offset`` with one ranged GET (fewer at the object's end)."""
        check_range(offset, length)
        full = self._full_key(key)
        if length == 0:
            # An empty Range is not expressible; a HEAD keeps "missing -> ObjectNotFound" true.
            head = functools.partial(self._client.head_object, Bucket=self._bucket, Key=full)
            await self._call("get_range", key, head)
            return b""

        def fetch() -> bytes:
            try:
                resp = self._client.get_object(
                    Bucket=self._bucket, Key=full, Range=f"bytes={offset}-{offset + length - 1}"
                )
            except ClientError as exc:
                code, status, _ = _error_info(exc)
                if code == "InvalidRange" or status == 416:
                    return b""  # the object exists but ends at or before offset
                raise
            with contextlib.closing(resp["Body"]):
                data = resp["Body"].read()
            if "ContentRange" not in resp:
                # A server that ignores Range answers 200 with the whole object.
                data = data[offset : offset + length]
            return data

        return await self._call("get_range", key, fetch)

    async def put(self, key: str, data: bytes) -> None:
        """Create or replace the object (a single PUT is atomic in S3)."""
        full = self._full_key(key)
        await self._call(
            "put", key, functools.partial(self._client.put_object, Bucket=self._bucket, Key=full, Body=data)
        )

    async def put_if_absent(self, key: str, data: bytes) -> bool:
        """Create the object only if absent (conditional PUT, ``If-None-Match: *``).

        If a retried attempt meets an existing object, an earlier attempt may have written it before
        its response was lost; the object then counts as ours when its bytes equal ``data``. Callers
        that need mutual exclusion should therefore put an owner-unique value in ``data``.
        """
        full = self._full_key(key)
        retried = False

        def note_retry(_: int, __: BaseException) -> None:
            nonlocal retried
            retried = True

        def conditional_put() -> bool:
            try:
                self._client.put_object(Bucket=self._bucket, Key=full, Body=data, IfNoneMatch="*")
            except ClientError as exc:
                code, status, _ = _error_info(exc)
                if status == 412 or code == "PreconditionFailed":
                    return False
                raise
            return True

        created = await self._call("put_if_absent", key, conditional_put, note_retry)
        if created or not retried:
            return created
        try:
            return await self.get(key) == data
        except ObjectNotFound:
            return False

    async def delete(self, key: str) -> None:
        """Delete the object; a missing object is not an error."""
        full = self._full_key(key)
        # S3 answers 204 for a missing key; some compatible stores answer 404 instead.
        with contextlib.suppress(ObjectNotFound):
            await self._call(
                "delete", key, functools.partial(self._client.delete_object, Bucket=self._bucket, Key=full)
            )

    async def list(self, prefix: str) -> list[str]:
        """Every key starting with ``prefix``, sorted, with the store's own prefix removed."""
        check_prefix(prefix)
        full_prefix = self._key_prefix + prefix
        strip = len(self._key_prefix)

        def list_all() -> list[str]:
            # A failure mid-way restarts the whole listing on retry, so pages are never mixed.
            paginator = self._client.get_paginator("list_objects_v2")
            keys: list[str] = []
            pages = paginator.paginate(
                Bucket=self._bucket,
                Prefix=full_prefix,
                PaginationConfig={"PageSize": self._list_page_size},
            )
            for page in pages:
                keys.extend(obj["Key"][strip:] for obj in page.get("Contents", []) if "Key" in obj)
            return keys

        keys = await self._call("list", prefix, list_all)
        keys.sort()
        return keys

    async def close(self) -> None:
        """Wait for in-flight requests, then release threads and HTTP connections."""
        await asyncio.to_thread(self._executor.shutdown, True)
        self._client.close()
