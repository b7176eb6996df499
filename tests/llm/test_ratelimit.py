import asyncio

from factcheck.llm.ratelimit import RateLimiter, estimate_tokens


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    async def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


async def test_requests_per_minute_spreads_calls():
    t = FakeTime()
    limiter = RateLimiter(requests_per_minute=120, clock=t.clock, sleep=t.sleep)  # 2/s
    for _ in range(7):
        await limiter.acquire(10)
    # burst of 2 (one second's worth), then one every 0.5 s: 5 more calls take 2.5 s
    assert abs(t.now - 2.5) < 1e-9
    assert abs(limiter.waited_seconds - 2.5) < 1e-9


async def test_tokens_per_minute_and_settle():
    t = FakeTime()
    limiter = RateLimiter(tokens_per_minute=6000, clock=t.clock, sleep=t.sleep)  # 100/s
    await limiter.acquire(100)
    await limiter.acquire(50)  # needs 50 more tokens: 0.5 s
    assert abs(t.now - 0.5) < 1e-9
    limiter.settle(estimated=50, actual=0)  # the call used nothing: refund
    await limiter.acquire(50)
    assert abs(t.now - 0.5) < 1e-9


async def test_unlimited_never_waits():
    limiter = RateLimiter()
    assert not limiter.active
    await asyncio.wait_for(limiter.acquire(10**9), timeout=1)


def test_estimate_tokens():
    assert estimate_tokens([("system", "x" * 400), ("user", "y" * 400)], 100) == 300
