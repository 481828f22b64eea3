"""Word copies (issue 31): how long a set of .docx takes, beside the PDFs of the same documents.

Run: .venv/bin/python -m bench.bench_word [--repeat 21]
Target: a Word set (备案表, 告知书, 清单) in ≤ 100 ms warm. The PDFs of the same three documents
are measured in the same run for context (the 备案表's PDF is two copies, the Word copy one).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from documents.model import DocumentContext, document_jobs
from documents.pool import DocumentRenderer
from documents.render import render
from documents.word import WORD_KINDS, render_docx
from rules.answers import FilingAnswers
from rules.pack import load_pack


def _answers(name: str) -> FilingAnswers:
    path = Path(__file__).parents[1] / "examples" / f"{name}.yaml"
    return FilingAnswers.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def _each(write: Callable[..., object], answers: FilingAnswers, jobs: list[Any]) -> None:
    for kind, ctx in jobs:
        write(kind, answers, ctx)


def _median_ms(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Return (cold, warm median) in ms: the first call, then the median of `repeat`."""
    start = time.perf_counter()
    work()
    cold = time.perf_counter() - start
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return 1000 * cold, 1000 * statistics.median(times)


async def _pool_set(answers: FilingAnswers, ctx: DocumentContext, repeat: int) -> float:
    with DocumentRenderer(workers=2) as renderer:
        await renderer.render_docx_set(WORD_KINDS, answers, ctx)  # python-docx loads
        await renderer.render_docx_set(WORD_KINDS, answers, ctx)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            await renderer.render_docx_set(WORD_KINDS, answers, ctx)
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _cpu_probe_ms() -> float:
    """Time bench_documents' fixed Python loop: this machine's speed varies between minutes."""
    start = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i
    return 1000 * (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    ctx = DocumentContext(pack=load_pack("example"), today=dt.date(2026, 11, 28))
    probe = _cpu_probe_ms()
    print(
        "| example (documents) | Word set cold / warm | PDF set warm | Word, pool of 2 | target |"
    )
    print("|---|---|---|---|---|")
    for name in ("individual", "enterprise", "government"):
        answers = _answers(name)
        jobs = document_jobs(list(WORD_KINDS), answers, ctx)
        cold, word = _median_ms(partial(_each, render_docx, answers, jobs), args.repeat)
        _, pdf = _median_ms(partial(_each, render, answers, jobs), max(5, args.repeat // 3))
        pool = asyncio.run(_pool_set(answers, ctx, args.repeat))
        print(
            f"| {name} ({len(jobs)}) | {cold:.0f} / **{word:.0f} ms** | {pdf:.0f} ms | "
            f"{pool:.0f} ms | ≤ 100 ms |"
        )
    print(f"CPU probe before / after: {probe:.0f} / {_cpu_probe_ms():.0f} ms (lower is faster)")


if __name__ == "__main__":
    main()
