"""Run throughput: Council's calls/s end to end against bare litellm, in one run.

Against the test suite's OpenAI-compatible server, started on 127.0.0.1 in a process
of its own (as a provider would be):

1. zero latency, a council of 8 members x 16 items, all pairs in both orders, every
   judge (self-judgments included): ~7,300 calls through litellm and the SQLite
   ledger, with the default settings (``workers: auto``). Next to it, the same number
   of bare ``litellm.acompletion`` calls from one process at the same concurrency, and
   our run forced into one process (``workers: 1``) for the like-for-like overhead.
   Targets: >= 200 calls/s; <= 2x bare litellm per call; a run's calls/s at least bare litellm's.
2. 200 ms latency, every member paced at 95% of a provider limit the server enforces
   (429 beyond it, over any 5 s window): the share of the limit sustained, and the
   429s seen. Targets: >= 90% of the limit, zero 429s.

Run from the repository root: ``python benchmarks/bench_run.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")

from council.config import parse_config  # noqa: E402
from council.engine.runner import run  # noqa: E402
from council.providers.litellm_adapter import configure  # noqa: E402

NAMES = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta")


@contextmanager
def provider(**faults):
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_provider", json.dumps(faults)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


def stats(base: str) -> list:
    with urllib.request.urlopen(f"{base}/stats") as response:
        return json.load(response)


def _config(url: str, workdir: Path, names, *, rpm=None, concurrency=16, workers="auto"):
    seeds = workdir / "seeds.jsonl"
    seeds.write_text("".join(json.dumps({"id": f"s{i:02d}", "text": f"Scenario {i}."}) + "\n" for i in range(40)))
    members = [
        {"name": n, "model": f"openai/{n}", "api_base": url, "max_concurrency": concurrency, "timeout": 30,
         **({"rpm": rpm} if rpm else {})}
        for n in names
    ]
    return parse_config(
        {"name": "bench", "members": members, "test_set": {"seeds": "seeds.jsonl", "items_per_author": 2},
         "judge": {"include_self": True}, "respond": {"word_limit": 60}, "workers": workers},
        base_dir=str(workdir),
    )


def _timed_run(base: str, names, **options) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        config = _config(f"{base}/v1", Path(tmp), names, **options)
        start = time.perf_counter()
        report = run(config, Path(tmp) / "run", progress=False)
        seconds = time.perf_counter() - start
        assert report.complete, report.status
        calls = sum(stage.done for stage in report.status.stages.values())
    return seconds, calls


async def _bare(url: str, calls: int, concurrency: int) -> float:
    import litellm

    gate = asyncio.Semaphore(concurrency)
    messages = [{"role": "user", "content": "Scenario.\n\nReply in at most 60 words."}]

    async def one(i):
        async with gate:
            await litellm.acompletion(model=f"openai/{NAMES[i % 8]}", api_base=url, api_key="sk-local",
                                      messages=messages, timeout=30, num_retries=0)

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(calls)))
    return time.perf_counter() - start


def main() -> int:
    configure([])
    with provider() as base:
        ours, calls = _timed_run(base, NAMES)
        single, _ = _timed_run(base, NAMES, workers=1)
        bare = asyncio.run(_bare(f"{base}/v1", calls, concurrency=16 * len(NAMES)))
    print(f"zero latency, 8 members x 16 items, all pairs both orders: {calls} calls")
    print(f"  Council end to end (litellm + ledger, workers: auto): {ours:.1f} s, {calls / ours:.0f} calls/s"
          "   [target >= 200]")
    print(f"  Council in one process (workers: 1): {single:.1f} s, {calls / single:.0f} calls/s")
    print(f"  bare litellm.acompletion in one process, same calls: {bare:.1f} s, {calls / bare:.0f} calls/s")
    print(f"  per call, Council (one process) / bare litellm: {single / bare:.2f}x   [target <= 2x]")
    print(f"  calls/s, Council end to end / bare litellm: {bare / ours:.2f}x   [target >= 1.0x]; "
          f"in one process: {bare / single:.2f}x")

    limit, share, names = 300, 0.95, NAMES[:4]
    with provider(latency=0.2, rpm_limit=limit, rpm_window=5.0) as base:
        _timed_run(base, names, rpm=int(limit * share), concurrency=8)
        requests = stats(base)
    judged = sorted(at for at, _, _, kind, status in requests if kind == "judge" and status == 200)
    seconds = judged[-1] - judged[0]
    achieved = 60.0 * len(judged) / len(names) / seconds
    limited = sum(1 for row in requests if row[4] == 429)
    print(f"200 ms latency, members paced at {share:.0%} of a {limit} rpm limit the provider enforces:")
    print(f"  sustained {achieved:.0f} rpm per member = {achieved / limit:.0%} of the limit, {limited} responses 429 "
          f"over {seconds:.0f} s   [targets >= 90%, zero 429]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
