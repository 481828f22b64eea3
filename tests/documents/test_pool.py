"""The renderer's pool stops whole: nothing of it is left for the interpreter's exit to race."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
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


def _last_number(script: str) -> int:
    """Run `script` in a Python process of its own; return the last number it printed."""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.split()[-1])


_FIRST_USED_FROM_A_THREAD = """
import asyncio, threading, time
from documents.pool import DocumentRenderer

renderer = DocumentRenderer(workers=1)
first = threading.Thread(target=renderer.warm)  # as the bot warms its workers, from a thread
first.start()
first.join()
time.sleep(1.0)  # the thread is gone
print(len(asyncio.run(renderer.coverage())))
renderer.close()
"""


def test_a_pool_first_used_from_a_thread_still_renders_after_the_thread_ends() -> None:
    """The fork server dies with the thread that started it (Linux's parent-death signal
    follows the thread): the pool starts it itself, from the thread that makes the pool.
    Run in a process of its own: a fork server already running here would hide it."""
    assert _last_number(_FIRST_USED_FROM_A_THREAD) > 100  # the fonts' coverage, as ranges


_FORKED = """
import ctypes, os, signal
import documents.lifeline  # as the fork server preloads it

libc = ctypes.CDLL(None, use_errno=True)
read, write = os.pipe()
child = os.fork()
if child == 0:  # a worker, as the fork server forks it, before anything of its own has run
    found = ctypes.c_int(0)
    libc.prctl(2, ctypes.byref(found))  # PR_GET_PDEATHSIG
    os.write(write, str(found.value).encode())
    os._exit(0)
os.waitpid(child, 0)
print(os.read(read, 16).decode())
"""


def test_a_worker_dies_with_its_fork_server_from_the_moment_it_is_forked() -> None:
    """The parent-death signal is not inherited over fork: a worker forked by the fork server
    asks for it at once, not at its warm-up (after reading its orders and the main module,
    a second or more in which a killed bot left it running with no parent)."""
    assert _last_number(_FORKED) == signal.SIGKILL
