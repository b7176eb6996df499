"""Client-side rate limiting of LLM calls: requests and tokens per minute (token buckets).

This paces our own calls so a large batch stays under the provider's limits; it does not retry.
429s that still happen are retried by the OpenAI SDK, which honours `Retry-After`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class _Bucket:
    """Refills continuously at `per_minute / 60` units per second, holding at most one
    second's worth (`burst`), so calls are spread out rather than bunched at a minute's start.
    A request larger than the bucket may go when the bucket is full (it goes into debt)."""

    def __init__(self, per_minute: float, now: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate)
        self.level = self.capacity
        self.updated = now

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def wait_for(self, amount: float) -> float:
        """Seconds until `amount` can be taken (0 if now)."""
        needed = min(amount, self.capacity) - self.level
        return max(0.0, needed / self.rate)


class RateLimiter:
    """Awaits until a call of an estimated size fits both the request and the token budget."""

    def __init__(
        self,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        now = clock()
        self._requests = _Bucket(requests_per_minute, now) if requests_per_minute else None
        self._tokens = _Bucket(tokens_per_minute, now) if tokens_per_minute else None
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self.waited_seconds = 0.0

    @property
    def active(self) -> bool:
        """Whether any limit is configured."""
        return bool(self._requests or self._tokens)

    async def acquire(self, tokens: int) -> None:
        """Wait until one request of about `tokens` tokens may be sent, then take it."""
        if not self.active:
            return
        async with self._lock:  # first come, first served
            while True:
                now = self._clock()
                waits = []
                for bucket, amount in ((self._requests, 1.0), (self._tokens, float(tokens))):
                    if bucket is not None:
                        bucket.refill(now)
                        waits.append(bucket.wait_for(amount))
                delay = max(waits)
                if delay <= 0:
                    break
                self.waited_seconds += delay
                await self._sleep(delay)
            if self._requests:
                self._requests.level -= 1.0
            if self._tokens:
                self._tokens.level -= tokens

    def settle(self, estimated: int, actual: int) -> None:
        """Correct the token bucket once the server has reported the real usage."""
        if self._tokens is not None:
            self._tokens.level += estimated - actual


def estimate_tokens(messages: list[tuple[str, str]], max_output_tokens: int) -> int:
    """A conservative size for a call before it is made: ~4 characters per prompt token plus
    the reply budget (providers count `max_tokens` against the limit too)."""
    return sum(len(text) for _, text in messages) // 4 + max_output_tokens
