"""The renderer's pool stops whole: nothing of it is left for the interpreter's exit to race."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures.process import _ExecutorManagerThread

from documents.pool import DocumentRenderer


def _managers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if isinstance(t, _ExecutorManagerThread)]


def test_closing_the_pool_leaves_no_manager_thread_behind() -> None:
    """A manager thread still running at exit closes its wake-up pipe while the exit hook
    writes to it: the bot then ended with a traceback in its log (seen in CI, PostgreSQL kill
    test). Closing waits for it, whether the workers are busy starting or idle."""
    before = set(_managers())
    for settle in (False, True):
        renderer = DocumentRenderer(workers=2)
        renderer.warm()
        if settle:
            asyncio.run(renderer.coverage())  # a worker answered: the pool is up and idle
        started = [t for t in _managers() if t not in before]
        assert started, "the pool starts a manager thread when work is submitted"
        renderer.close()
        assert not [t for t in started if t.is_alive()]
