"""How long a `beian` command takes to start, side by side with `python -c pass` (issue 15).

Target: `beian --help`, `route`, `check` and `deadline` answer in ≤ 0.5 s. Each command is run
as a fresh process (as an operator's script runs it), alternating with the baseline so drift
hits both alike; the table gives the median and the worst of the runs.

    .venv/bin/python -m bench.bench_startup [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TARGET = 0.5  # seconds
COMMANDS: dict[str, list[str]] = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "beian --help": [str(BIN / "beian"), "--help"],
    "beian route": [
        *[str(BIN / "beian"), "route", "--subject", "enterprise"],
        *["--maintenance", "local", "--server", "elsewhere", "--server-city", "杭州"],
    ],
    "beian check mobile 13800138000": [str(BIN / "beian"), "check", "mobile", "13800138000"],
    "beian deadline filing": [str(BIN / "beian"), "deadline", "filing", "--from", "2026-11-20"],
}


def once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-400:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "BEIAN_DATA_DIR": home, "DATABASE_URL": f"sqlite:///{home}/b.db"}
        for argv in COMMANDS.values():  # warm the page cache once
            once(argv, env)
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(args.runs):
            for name, argv in COMMANDS.items():  # interleaved: drift hits every row alike
                times[name].append(once(argv, env))
    base = statistics.median(times["python -c pass (baseline)"])
    print(f"{args.runs} runs each, interleaved; target ≤ {TARGET:.1f} s\n")
    print("| command | median s | worst s | × baseline | target |")
    print("|---|---:|---:|---:|---|")
    for name, values in times.items():
        median = statistics.median(values)
        met = "baseline" if "baseline" in name else ("met" if median <= TARGET else "MISSED")
        print(f"| `{name}` | {median:.3f} | {max(values):.3f} | {median / base:.1f} | {met} |")


if __name__ == "__main__":
    main()
