"""What the render pool costs to start (the bot's start, every `beian serve`), as it is and as it
was before its fork server preloaded WeasyPrint and the fonts' coverage, side by side.

    .venv/bin/python -m bench.bench_render_start [--runs 8] [--workers 2]

Each run is a fresh process (`--side now|before`) that starts a `DocumentRenderer`, asks for
the fonts' coverage (as the bot does first) and waits until every worker is warm; it reports
the time that took and the CPU time of its whole process tree (itself, the fork server, the
workers). The sides alternate, so drift hits both alike.

- **now**: the fork server preloads `documents.preload` (WeasyPrint's modules, the coverage
  read with numbered glyph names); each worker makes only its font configuration.
- **before**: the fork server preloads only `documents.lifeline`, and the coverage is read with
  fontTools' glyph names (`bench.render_start_before`): each worker loads everything itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from documents import pool

HZ = os.sysconf("SC_CLK_TCK")
PRELOADS = {
    "now": ["documents.lifeline", "documents.preload"],
    "before": ["documents.lifeline", "bench.render_start_before"],
}


def _tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of `root` and every process below it, alive now."""
    parents: dict[int, list[tuple[int, float]]] = {}
    own = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu = (int(fields[11]) + int(fields[12])) / HZ
        if int(proc.name) == root:
            own = cpu
        parents.setdefault(int(fields[1]), []).append((int(proc.name), cpu))
    total, todo = own, [root]
    while todo:
        for pid, cpu in parents.get(todo.pop(), []):
            total += cpu
            todo.append(pid)
    return total


def _pid_after(seconds: float) -> int:
    time.sleep(seconds)  # long enough that each worker takes one of a round
    return os.getpid()


def one_side(side: str, workers: int) -> None:
    """Run in a fresh process: start the pool as `side` does, print its time and CPU."""
    context = multiprocessing.get_context("forkserver")
    original = context.set_forkserver_preload
    context.set_forkserver_preload = lambda _modules: original(PRELOADS[side])  # type: ignore[method-assign]
    start = time.perf_counter()
    renderer = pool.DocumentRenderer(workers=workers)

    async def go() -> float:
        assert await renderer.coverage()
        warm: set[int] = set()  # a worker answers only once its warm-up is done
        while len(warm) < workers:
            futures = [renderer._pool.submit(_pid_after, 0.05) for _ in range(workers)]
            warm |= set(await asyncio.gather(*(asyncio.wrap_future(f) for f in futures)))
        return time.perf_counter() - start

    elapsed = asyncio.run(go())
    cpu = _tree_cpu(os.getpid())
    renderer.close()
    print(json.dumps({"seconds": elapsed, "cpu": cpu}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--side", choices=sorted(PRELOADS))
    args = parser.parse_args()
    if args.side:
        one_side(args.side, args.workers)
        return
    results: dict[str, list[dict[str, float]]] = {side: [] for side in PRELOADS}
    for _ in range(args.runs):
        for side in PRELOADS:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.bench_render_start",
                    "--side",
                    side,
                    "--workers",
                    str(args.workers),
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            results[side].append(json.loads(out.splitlines()[-1]))
    print(f"{args.runs} runs each, alternating; {args.workers} workers; the coverage asked first")
    print("| side | until every worker is warm, median | CPU of the process tree, median |")
    print("|---|---:|---:|")
    for side, runs in results.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        print(f"| {side} | {seconds:.2f} s | {cpu:.2f} s |")


if __name__ == "__main__":
    main()
