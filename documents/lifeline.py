"""Imported by the render pool's fork server at its start: it ends when the bot ends.

A process killed with SIGKILL runs no cleanup, and the fork server (with the render workers it
forked, ~150 MB each) would live on. Linux's parent-death signal ends it with its parent. The
signal is not inherited over fork: each worker asks for it right after the fork server forks it
(`os.register_at_fork`), before it reads its orders or loads anything, so that a bot killed
while its workers start leaves none behind for a moment either.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Have the kernel kill this process when its parent dies (Linux); exit if it already has."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:
        os._exit(0)


die_with_parent()
os.register_at_fork(after_in_child=die_with_parent)  # the fork server's workers
