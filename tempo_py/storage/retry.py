"""Retries with exponential backoff and full jitter for transient backend failures.

Backends decide what is transient (``is_retryable``); this module only decides when to try again.
Full jitter (a uniform delay in ``[0, min(max_delay, base_delay * 2**n)]``) spreads the retries of
many clients that failed together, so a throttled bucket is not hit again in lockstep.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry: ``attempts`` counts the first try too."""

    attempts: int = 5
    base_delay: float = 0.05
    max_delay: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"retry attempts must be >= 1, got {self.attempts}")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("retry delays must not be negative")


def backoff_delay(retry: int, *, base_delay: float, max_delay: float) -> float:
    """The jittered delay before retry number ``retry`` (0 for the first retry)."""
    # Cap the exponent so a large retry count cannot overflow the float.
    ceiling = min(max_delay, base_delay * (2 ** min(retry, 32)))
    return random.uniform(0.0, ceiling)


async def with_retries(
    fn: Callable[[], Awaitable[T]],
    *,
    attempts: int,
    base_delay: float,
    max_delay: float,
    is_retryable: Callable[[BaseException], bool],
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> T:
    """Await ``fn()`` until it succeeds, retrying failures for which ``is_retryable`` is true.

    A non-retryable exception propagates at once; after ``attempts`` tries the last exception
    propagates. ``on_retry(retry_number, exc)`` is called before each backoff (for logs and metrics).
    """
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")
    retry = 0
    while True:
        try:
            return await fn()
        except Exception as exc:
            if retry + 1 >= attempts or not is_retryable(exc):
                raise
            if on_retry is not None:
                on_retry(retry, exc)
            await asyncio.sleep(backoff_delay(retry, base_delay=base_delay, max_delay=max_delay))
            retry += 1


async def retry_with_policy(
    fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    is_retryable: Callable[[BaseException], bool],
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> T:
    """:func:`with_retries` with the numbers taken from a :class:`RetryPolicy`."""
    return await with_retries(
        fn,
        attempts=policy.attempts,
        base_delay=policy.base_delay,
        max_delay=policy.max_delay,
        is_retryable=is_retryable,
        on_retry=on_retry,
    )
