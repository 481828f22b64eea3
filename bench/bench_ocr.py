"""Reading photos of licences and ID cards (issue 30): speed, memory and field accuracy.

Run: .venv/bin/python -m bench.bench_ocr [--count 10] [--seed 30] [--compare | --baseline]
(--compare: the recogniser's settings before the speed work (`BASELINE`) beside today's, two
workers, alternating photo by photo so that both see the same load; --baseline: only those.)
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

from bot.ocr.worker import BASELINE, OcrWorker, Tuning
from rules.photo_fields import KINDS
from tests.fakes.photos import BENCH_DEGRADATIONS, samples
from tests.ocr.accuracy import Tally, measure


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


def _side(name: str) -> OcrWorker:
    return OcrWorker(timeout=120, tuning=BASELINE if name == "baseline" else Tuning())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--seed", type=int, default=30)
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--compare",
        action="store_true",
        help="the settings before the speed work beside today's, alternating photo by photo",
    )
    which.add_argument("--baseline", action="store_true", help="only the settings before")
    args = parser.parse_args()
    sides = ["baseline", "optimised"] if args.compare else []
    sides = sides or (["baseline"] if args.baseline else ["optimised"])
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)")
    print(f"{os.cpu_count()} cores; sides: " + ", ".join(f"{n} {_side(n).tuning}" for n in sides))

    workers = {name: _side(name) for name in sides}
    for name, worker in workers.items():
        started = time.perf_counter()
        worker.warm()
        startup = time.perf_counter() - started
        print(
            f"{name}: first-use start-up (process, models, warm-up run) {startup:.2f} s, "
            f"worker RSS after it {_mib(worker.rss_bytes())}"
        )

    rows: dict[str, dict[tuple[str, str, str], Tally]] = {name: {} for name in sides}
    latency: list[tuple[str, str, list[float], float]] = []
    try:
        for kind in KINDS:
            every = tuple(BENCH_DEGRADATIONS)
            photos = samples(kind, args.count, seed=args.seed, degradations=every)
            times: dict[str, list[float]] = {name: [] for name in sides}
            cpu = dict.fromkeys(sides, 0.0)
            for i, photo in enumerate(photos):
                # Each side goes first every other photo: the same load for both.
                order = sides if i % 2 == 0 else sides[::-1]
                for name in order:
                    worker = workers[name]
                    before = _cpu_seconds(worker.pid)
                    measure(worker, [photo], times=times[name], into=rows[name])
                    cpu[name] += _cpu_seconds(worker.pid) - before
            for name in sides:
                latency.append((kind, name, times[name], cpu[name] / len(times[name])))
            print(f"{kind}: {len(photos)} photos a side; load now {os.getloadavg()[0]:.1f}")
        for name, worker in workers.items():
            print(
                f"{name}: worker RSS now {_mib(worker.rss_bytes())}, "
                f"peak {_mib(worker.rss_bytes('VmHWM'))}"
            )
        main_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(f"this (bench) process's peak RSS: {_mib(main_rss)} (every photo drawn here)")
        print(f"a caller's RSS before / after reading one photo: {_caller_rss()}")
    finally:
        for worker in workers.values():
            worker.close()
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")

    print("\n| kind | side | photos | p50 | p95 | max | worker CPU a photo |")
    print("|---|---|---|---|---|---|---|")
    for kind, name, values, cpu_each in latency:
        print(
            f"| {kind} | {name} | {len(values)} | {statistics.median(values):.2f} s | "
            f"{_percentile(values, 0.95):.2f} s | {max(values):.2f} s | {cpu_each:.2f} s |"
        )
    print("\n| kind | condition | field | " + " | ".join(sides) + " |")
    print("|---|---|---|" + "---|" * len(sides))
    for key in sorted(rows[sides[0]]):
        cells = []
        for name in sides:
            tally = rows[name][key]
            cells.append(
                f"{tally.right}/{tally.total} ({tally.missing} not found, {tally.wrong} wrong)"
            )
        print(f"| {key[0]} | {key[1]} | {key[2]} | " + " | ".join(cells) + " |")
    for name in sides:
        for key, tally in sorted(rows[name].items()):
            if tally.wrong:
                print("wrong:", name, key, tally.wrong_examples)


if __name__ == "__main__":
    main()
