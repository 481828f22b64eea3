"""Reading photos of licences and ID cards (issue 30): speed, memory and field accuracy.

Run: .venv/bin/python -m bench.bench_ocr [--count 10] [--seed 30]
Generates `count` licences and `count` ID cards (tests/fakes/photos.py), each clean and with
every degradation (rotation, blur, JPEG 50, perspective, uneven light, and all of them at
once), sends each as a JPEG (quality 90) to one warm worker, and prints: first-use start-up,
per-image latency p50/p95 per kind (target ≤ 2 s p95 warm, 2 cores), the worker's RSS (now
and peak), the main process's RSS, and the accuracy table (clean/degraded × field: right /
not found / wrong — a code is never to be wrong).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

from bot.ocr.worker import OcrWorker
from tests.fakes.photos import BENCH_DEGRADATIONS, samples
from tests.ocr.accuracy import measure


def _mib(value: int | None) -> str:
    return f"{value / 1024 / 1024:.0f} MiB" if value else "?"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _cpu_seconds(pid: int | None) -> float:
    """Return a process's CPU time so far (user + system, all threads)."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_CALLER = """
import sys, pathlib
from bot.ocr.worker import OcrWorker
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) // 1024
if __name__ == '__main__':
    worker = OcrWorker(timeout=120)
    before = rss()
    worker.read(pathlib.Path(sys.argv[1]).read_bytes())
    print(f'{before} MiB / {rss()} MiB')
    worker.close()
"""


def _caller_rss() -> str:
    """What reading a photo costs the process that asks (as `beian serve` does): the checks
    import Pillow there; the recogniser's memory is the worker's."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        photo = Path(folder) / "photo.jpg"
        photo.write_bytes(samples("business_license", 1)[0].jpeg())
        script = Path(folder) / "caller.py"
        script.write_text(_CALLER, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, str(script), str(photo)],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parent.parent,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        )
        return done.stdout.strip() or done.stderr.strip()[-200:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--seed", type=int, default=30)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"load average at start: {load:.1f} on {os.cpu_count()} cores")

    worker = OcrWorker(timeout=120)  # the bench measures; it does not refuse slow photos
    started = time.perf_counter()
    worker.warm()
    startup = time.perf_counter() - started
    print(f"first-use start-up (process, models, warm-up run): {startup:.2f} s")
    print(f"worker RSS after start-up: {_mib(worker.rss_bytes())}")

    degradations = tuple(BENCH_DEGRADATIONS)
    rows = []
    try:
        for kind in ("business_license", "id_card"):
            photos = samples(kind, args.count, seed=args.seed, degradations=degradations)
            times: list[float] = []
            cpu_before = _cpu_seconds(worker.pid)
            tallies = measure(worker, photos, times=times)
            cpu = (_cpu_seconds(worker.pid) - cpu_before) / len(times)
            p50, p95 = statistics.median(times), _percentile(times, 0.95)
            print(
                f"{kind}: {len(times)} photos, p50 {p50:.2f} s, p95 {p95:.2f} s, "
                f"max {max(times):.2f} s; worker CPU {cpu:.2f} s a photo; "
                f"load now {os.getloadavg()[0]:.1f}"
            )
            for (k, condition, field), tally in sorted(tallies.items()):
                rows.append((k, condition, field, tally))
        print(f"worker RSS now: {_mib(worker.rss_bytes())}, peak {_mib(worker.rss_bytes('VmHWM'))}")
        main_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(f"this (bench) process's peak RSS: {_mib(main_rss)} (every photo drawn here)")
        print(f"a caller's RSS before / after reading one photo: {_caller_rss()}")
    finally:
        worker.close()
    print("\n| kind | condition | field | right | not found | wrong |")
    print("|---|---|---|---|---|---|")
    for kind, condition, field, tally in rows:
        print(
            f"| {kind} | {condition} | {field} | {tally.right}/{tally.total} | "
            f"{tally.missing} | {tally.wrong} |"
        )
    wrong = [(k, c, f, t.wrong_examples) for k, c, f, t in rows if t.wrong]
    for example in wrong:
        print("wrong:", example)


if __name__ == "__main__":
    main()
