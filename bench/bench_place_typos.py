"""How long a mistyped place's suggestions take (issue 25, item 17: "well under a millisecond
or two" a refusal), beside the refusal's own check of the name as a baseline.

    .venv/bin/python -m bench.bench_place_typos [--rounds 200]

The index of places by sound is built at the first refusal (timed apart); then each typed
name is looked up `--rounds` times. Moved here from a timing assertion in the tests (a test
asserts what is suggested, not how fast: a loaded machine failed it).
"""

from __future__ import annotations

import argparse
import statistics
import time

from rules.names import check_city
from rules.place_typos import closest_places

TYPED = ["航州", "苏洲", "城都", "福洲", "贵洋", "沈杨", "青到", "扬洲", "广洲", "西凝"]
TARGET_MS = 2.0


def _per_call(work: object, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for name in TYPED:
            work(name)  # type: ignore[operator]
        times.append((time.perf_counter() - start) / len(TYPED) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    start = time.perf_counter()
    closest_places("航州")
    print(f"index built at the first refusal: {(time.perf_counter() - start) * 1000:.0f} ms")
    suggest, check = [], []
    for _ in range(5):  # alternating, so that drift hits both alike
        suggest += _per_call(closest_places, rounds // 5)
        check += _per_call(check_city, rounds // 5)
    print("| measure | suggestions (closest_places) | the name's check (check_city) | target |")
    print("|---|---|---|---|")
    for label, pick in (("median", statistics.median), ("worst round", max)):
        print(f"| {label}, ms a name | {pick(suggest):.3f} | {pick(check):.3f} | ≤ {TARGET_MS} |")


if __name__ == "__main__":
    main()
