"""How the usual build's costs grow with what each stored chat holds (a side measurement).

Run: .venv/bin/python -m bench.peer.weight [--chats 100000] [--answers 1,10,40]

`bench.peer.bench_peer` stores chats just after "企业" (one answer each). A real population
holds chats at every point of the interview; with PicklePersistence every whole-file write and
the start-up load grow with all of it. For each K, a pickle of `--chats` private chats with K
answers of ~12 characters in each user_data is written; a fresh process then times
`Application.initialize()` (the load), its RSS, and one whole-file write (a per-update-flush
step of the usual build makes two: its user_data and its conversation state).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.peer.bench_peer import ROOT, TOKEN, _status_mb


async def write(path: Path, chats: int, answers: int) -> None:
    """A pickle of `chats` mid-interview chats, each with `answers` answers in its user_data."""
    from telegram.ext import ExtBot, PicklePersistence

    from bench.peer.usual_bot import CONVERSATION_NAME, MAINTENANCE
    from tests.fakes.recording import RecordingRequest

    persistence: PicklePersistence[Any, Any, Any] = PicklePersistence(path, on_flush=True)
    persistence.set_bot(ExtBot(TOKEN, request=RecordingRequest()))
    await persistence.get_user_data()
    await persistence.get_conversations(CONVERSATION_NAME)
    for user in range(chats):
        data = {f"field_{k}": f"示例答案{user}-{k}" for k in range(answers)}
        await persistence.update_user_data(user, data)
        await persistence.update_chat_data(user, {})
        await persistence.update_conversation(CONVERSATION_NAME, (user, user), MAINTENANCE)
    await persistence.flush()


async def measure(path: Path) -> dict[str, float]:
    """Start the usual build on `path`; time the load and one whole-file write."""
    from bench.peer.usual_bot import build_usual_application
    from tests.fakes.recording import RecordingRequest

    app = build_usual_application(path, TOKEN, request=RecordingRequest())
    start = time.perf_counter()
    await app.initialize()
    load = time.perf_counter() - start
    rss = _status_mb()["VmRSS"]
    assert app.persistence is not None
    start = time.perf_counter()
    await app.persistence.flush()  # one whole-file write, as each changed update_* makes
    one_write = time.perf_counter() - start
    return {"load_s": load, "rss_mb": rss, "write_ms": one_write * 1000}


def main() -> None:
    """Write each pickle, measure it in a fresh process, print a table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--answers", default="1,10,40")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure))))
        return
    print(f"{args.chats:,} stored chats, PicklePersistence defaults\n")
    print("| answers per chat | pickle | start-up load | RSS after load | one whole-file write |")
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for answers in (int(a) for a in args.answers.split(",")):
            path = Path(tmp) / f"weight-{answers}.pickle"
            asyncio.run(write(path, args.chats, answers))
            argv = [sys.executable, "-m", "bench.peer.weight", "--measure", str(path)]
            done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True)
            m = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"| {answers} | {path.stat().st_size / 1e6:.1f} MB | {m['load_s']:.2f} s | "
                f"{m['rss_mb']:.0f} MB | {m['write_ms']:.0f} ms |"
            )
            path.unlink()


if __name__ == "__main__":
    main()
