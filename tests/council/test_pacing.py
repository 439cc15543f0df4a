"""Rate limits: 429 storms are ridden out within the member's rpm pacing."""

import asyncio
import random
import time
from collections import defaultdict

from council.providers.pacing import Pacer
from council.providers.retry import backoff_delay


def test_a_429_storm_finishes_within_the_rpm_pacing(cli, council_file, provider, tmp_path):
    provider.faults.rate_limit_first = 25
    provider.faults.retry_after = 0.2
    members = [{"name": n, "rpm": 600, "max_concurrency": 4} for n in ("alpha", "beta", "gamma")]
    result = cli("run", council_file(members=members), "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert provider.count(status=429) == 25 and provider.count(status=200) == 60
    times = defaultdict(list)
    for request in provider.requests:
        times[request.model].append(request.at)
    for model, stamps in times.items():
        stamps.sort()
        # 600 rpm is one request every 0.1 s: never more than 11 in any second.
        busiest = max(sum(1 for t in stamps if start <= t < start + 1.0) for start in stamps)
        assert busiest <= 11, (model, busiest)


def test_pacer_spaces_requests_evenly():
    async def burst():
        pacer = Pacer(rpm=1200, tpm=None, max_concurrency=10)
        stamps = []

        async def one():
            async with pacer.slot():
                stamps.append(time.monotonic())

        await asyncio.gather(*(one() for _ in range(11)))
        return stamps

    stamps = sorted(asyncio.run(burst()))
    assert stamps[-1] - stamps[0] >= 10 * 0.05 * 0.9  # 1200 rpm: 50 ms apart, no burst


def test_backoff_honours_retry_after_and_grows():
    rng = random.Random(0)
    assert backoff_delay(1, base=1.0, cap=60.0, retry_after=7.0, rng=rng) >= 7.0
    late = [backoff_delay(6, base=1.0, cap=60.0, rng=rng) for _ in range(200)]
    early = [backoff_delay(1, base=1.0, cap=60.0, rng=rng) for _ in range(200)]
    assert max(early) <= 1.0 and sum(late) / len(late) > 10 * sum(early) / len(early)
