import asyncio, tempfile, time, statistics
from pathlib import Path
from bench.bench_telegram import Ours, interviews, _pct
from bench.common import use_a_bench_key
from models import sealed
use_a_bench_key()
async def main():
    tmp = Path(tempfile.mkdtemp())
    a = Ours(); await a.open(tmp / "a.db")
    ups = interviews(50 + 700 * 16)
    for u in ups[:50]: await a.step(u)
    wall = {True: [], False: []}
    start = 50
    for i in range(16):
        on = i % 2 == 0
        ctx = sealed.unsealed_for_benchmarks() if not on else None
        if ctx: ctx.__enter__()
        for u in ups[start:start+700]:
            t = time.perf_counter(); await a.step(u); wall[on].append((time.perf_counter()-t)*1000)
        if ctx: ctx.__exit__(None, None, None)
        start += 700
    for on in (True, False):
        print("sealed" if on else "unsealed", "p50 %.3f p99 %.3f ms" % (statistics.median(wall[on]), _pct(wall[on], 0.99)))
    await a.close()
if __name__ == "__main__":
    asyncio.run(main())
