"""with_retries and the backoff schedule, without any network."""

from __future__ import annotations

import pytest

from tempo_py.storage.retry import RetryPolicy, backoff_delay, with_retries


class Transient(Exception):
    pass


class Fatal(Exception):
    pass


async def test_retries_until_success() -> None:
    calls: list[int] = []
    seen: list[int] = []

    async def fn() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise Transient
        return "ok"

    result = await with_retries(
        fn,
        attempts=5,
        base_delay=0.0,
        max_delay=0.0,
        is_retryable=lambda e: isinstance(e, Transient),
        on_retry=lambda n, _: seen.append(n),
    )
    assert result == "ok"
    assert len(calls) == 3
    assert seen == [0, 1]


async def test_non_retryable_raises_at_once() -> None:
    calls: list[int] = []

    async def fn() -> str:
        calls.append(1)
        raise Fatal

    with pytest.raises(Fatal):
        await with_retries(fn, attempts=5, base_delay=0, max_delay=0, is_retryable=lambda e: False)
    assert len(calls) == 1


async def test_gives_up_after_attempts() -> None:
    calls: list[int] = []

    async def fn() -> str:
        calls.append(1)
        raise Transient(len(calls))

    with pytest.raises(Transient) as info:
        await with_retries(fn, attempts=3, base_delay=0, max_delay=0, is_retryable=lambda e: True)
    assert len(calls) == 3
    assert info.value.args == (3,)  # the last failure propagates


def test_backoff_grows_and_is_capped() -> None:
    for retry in range(40):
        delay = backoff_delay(retry, base_delay=0.1, max_delay=1.5)
        assert 0.0 <= delay <= min(1.5, 0.1 * 2**retry)
    # Full jitter: over many draws the late retries spread over the whole capped window.
    late = [backoff_delay(10, base_delay=0.1, max_delay=1.5) for _ in range(200)]
    assert max(late) > 1.0


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay=-1)


async def test_attempts_validation() -> None:
    async def fn() -> int:
        return 1

    with pytest.raises(ValueError):
        await with_retries(fn, attempts=0, base_delay=0, max_delay=0, is_retryable=lambda e: True)
