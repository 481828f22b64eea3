"""Document rendering speed and memory, against a bare WeasyPrint baseline, in one run.

Run: .venv/bin/python -m bench.bench_documents [--renders 1000] [--sets 50]
Targets (issue 3): warm set ≤ 400 ms; ≥ 20 documents/s with the pool on 2 cores;
event-loop lag p99 ≤ 20 ms while 50 sets render; RSS flat (±10%) across 1,000 renders.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import resource
import statistics
import time
from pathlib import Path

import yaml
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from documents.fetcher import STATIC_DIR, StaticOnlyFetcher
from documents.model import RENDERED_BY_DEFAULT
from documents.pool import DocumentRenderer
from documents.render import DocumentContext, render, render_html
from rules.answers import FilingAnswers
from rules.pack import load_pack

# The set as measured since the first runs (the cancellation statement is made only on 注销).
KINDS = list(RENDERED_BY_DEFAULT)


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_probe() -> float:
    """Time a fixed pure-Python loop: this machine's speed varies by ±25% between minutes."""
    start = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i
    return time.perf_counter() - start


def _answers() -> FilingAnswers:
    path = Path(__file__).parents[1] / "examples" / "enterprise.yaml"
    return FilingAnswers.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def _baseline_set(htmls: list[str]) -> float:
    """The naive way: a new FontConfiguration and stylesheet per document."""
    start = time.perf_counter()
    for html in htmls:
        fonts = FontConfiguration()
        css = CSS(filename=str(STATIC_DIR / "forms.css"), font_config=fonts)
        HTML(string=html, base_url=STATIC_DIR.as_uri() + "/").write_pdf(
            stylesheets=[css], font_config=fonts
        )
    return time.perf_counter() - start


_REUSED: tuple[FontConfiguration, CSS] | None = None


def _reused() -> tuple[FontConfiguration, CSS]:
    """One FontConfiguration and one parsed stylesheet per process, as WeasyPrint advises."""
    global _REUSED
    if _REUSED is None:
        fonts = FontConfiguration()
        _REUSED = fonts, CSS(filename=str(STATIC_DIR / "forms.css"), font_config=fonts)
    return _REUSED


def _reused_render(html: str) -> int:
    fonts, css = _reused()
    pdf = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/").write_pdf(
        stylesheets=[css], font_config=fonts
    )
    return len(pdf or b"")


def _reused_set(htmls: list[str]) -> float:
    """The honest baseline (issue 16): bare WeasyPrint, fonts and stylesheet reused."""
    start = time.perf_counter()
    for html in htmls:
        _reused_render(html)
    return time.perf_counter() - start


def _baseline_pool(htmls: list[str], sets: int) -> dict[str, float]:
    """A bare pool of 2 processes (concurrent.futures), each reusing its fonts and stylesheet:
    the same sets as beian's pool, pool against pool."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver")) as pool:
        list(pool.map(_reused_render, htmls * 2))  # warm both processes
        one_set = []
        for _ in range(7):
            before = time.perf_counter()
            list(pool.map(_reused_render, htmls))
            one_set.append(time.perf_counter() - before)
        start = time.perf_counter()
        list(pool.map(_reused_render, htmls * sets))
        elapsed = time.perf_counter() - start
    return {"set_ms": 1000 * statistics.median(one_set), "docs_per_s": sets * len(htmls) / elapsed}


def _our_set(answers: FilingAnswers, ctx: DocumentContext) -> float:
    start = time.perf_counter()
    for kind in KINDS:
        render(kind, answers, ctx, fetcher=StaticOnlyFetcher())
    return time.perf_counter() - start


async def _pool_throughput(
    answers: FilingAnswers, ctx: DocumentContext, sets: int
) -> dict[str, float]:
    lags: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        period = 0.005
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(period)
            lags.append(time.perf_counter() - before - period)

    with DocumentRenderer(workers=2) as renderer:
        await renderer.render_set(KINDS, answers, ctx)  # warm both workers
        await renderer.render_set(KINDS, answers, ctx)
        one_set = []
        for _ in range(7):  # one applicant's set, as the bot renders it (both workers)
            before = time.perf_counter()
            await renderer.render_set(KINDS, answers, ctx)
            one_set.append(time.perf_counter() - before)
        tick = asyncio.create_task(ticker())
        start = time.perf_counter()
        await asyncio.gather(*(renderer.render_set(KINDS, answers, ctx) for _ in range(sets)))
        elapsed = time.perf_counter() - start
        stop.set()
        await tick
    lags.sort()
    return {
        "set_ms": 1000 * statistics.median(one_set),
        "docs_per_s": sets * len(KINDS) / elapsed,
        "lag_p50_ms": 1000 * lags[len(lags) // 2],
        "lag_p99_ms": 1000 * lags[int(len(lags) * 0.99) - 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=1000)
    parser.add_argument("--sets", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    probe_before = _cpu_probe()
    answers = _answers()
    ctx = DocumentContext(pack=load_pack("example"), today=dt.date(2026, 11, 28))
    htmls = [render_html(kind, answers, ctx) for kind in KINDS]

    cold = _our_set(answers, ctx)
    warm = statistics.median(_our_set(answers, ctx) for _ in range(args.repeat))
    _baseline_set(htmls)
    base = statistics.median(_baseline_set(htmls) for _ in range(args.repeat))
    _reused_set(htmls)
    reused = statistics.median(_reused_set(htmls) for _ in range(args.repeat))

    pool = asyncio.run(_pool_throughput(answers, ctx, args.sets))
    bare_pool = _baseline_pool(htmls, args.sets)

    rss_start = None
    rss_mid = 0.0
    for i in range(args.renders):
        render(KINDS[i % len(KINDS)], answers, ctx)
        if i == 99:
            rss_start = _rss_mib()
        if i == args.renders // 2:
            rss_mid = _rss_mib()
    rss_end = _rss_mib()
    assert rss_start is not None
    rss_base_start = _rss_mib()
    for i in range(200):
        _baseline_set([htmls[i % len(htmls)]])
    rss_base_end = _rss_mib()

    probe_after = _cpu_probe()
    print(
        f"CPU probe (5M-step Python loop) before / after: {1000 * probe_before:.0f} / "
        f"{1000 * probe_after:.0f} ms (lower is a faster machine at that moment)"
    )
    print(
        f"machine: {os.cpu_count()} cores; one set = {len(KINDS)} documents "
        f"(备案表 ×2 copies, 告知书, 清单, 指引, 变更说明)"
    )
    print(
        "| measure | beian | baseline: bare WeasyPrint, fonts and stylesheet reused | "
        "naive: new FontConfiguration and stylesheet each | target |"
    )
    print("|---|---|---|---|---|")
    print(f"| full set, cold (first in process) | {1000 * cold:.0f} ms | — | — | — |")
    print(
        f"| full set, warm, one process in sequence (median of {args.repeat}) | "
        f"{1000 * warm:.0f} ms | {1000 * reused:.0f} ms | {1000 * base:.0f} ms | ≤ 400 ms |"
    )
    print(
        f"| full set, warm, through a pool of 2 processes (median of 7) | "
        f"{pool['set_ms']:.0f} ms | {bare_pool['set_ms']:.0f} ms | — | ≤ 400 ms |"
    )
    print(
        f"| documents/s, pool of 2 processes, {args.sets} sets | {pool['docs_per_s']:.1f} | "
        f"{bare_pool['docs_per_s']:.1f} | {len(KINDS) / base:.1f} (one process) | ≥ 20 |"
    )
    print(
        f"| event-loop lag p50 / p99 while {args.sets} sets render | "
        f"{pool['lag_p50_ms']:.1f} / {pool['lag_p99_ms']:.1f} ms | — | — | p99 ≤ 20 ms |"
    )
    print(
        f"| RSS after 100 → {args.renders // 2} → {args.renders} renders | {rss_start:.0f} → "
        f"{rss_mid:.0f} → {rss_end:.0f} MiB ({100 * (rss_end / rss_start - 1):+.1f}%) | — | "
        f"200 naive renders: {rss_base_start:.0f} → {rss_base_end:.0f} MiB "
        f"({100 * (rss_base_end / rss_base_start - 1):+.1f}%) | ±10% |"
    )


if __name__ == "__main__":
    main()
