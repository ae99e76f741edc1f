"""Nothing packgen starts outlives it, however it ends: Ctrl-C, TERM, or ``kill -9``.

Two kinds of children. Forked workers ask the kernel to kill them when the thread that forked them
ends (``die_with_parent``: PR_SET_PDEATHSIG). LibreOffice cannot be asked that way: it runs in a
process group of its own (soffice -> oosplash -> soffice.bin) and the setting is not passed on to the
processes it starts. So each group is told to a small watchdog process (``watch_group``) that holds
the read end of a pipe only we write to: when we end, however we end, the pipe closes and the
watchdog kills every group still on its list.

Locks are the other thing a child could keep: a forked child shares its parent's open files, so a
``flock`` taken before the fork would stay held by the child. Locks registered with
``close_in_forks`` are closed in every forked child at once.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading

PR_SET_PDEATHSIG = 1

# Runs in the watchdog (a fresh interpreter): "+pgid" / "-pgid" lines on stdin; at its end, the kill.
_WATCHDOG = """
import os, signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
groups, pending = set(), b""
while True:
    chunk = os.read(0, 4096)
    if not chunk:
        break
    *lines, pending = (pending + chunk).split(b"\\n")
    for line in lines:
        (groups.add if line[:1] == b"+" else groups.discard)(int(line[1:]))
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""

_lock = threading.Lock()
_watchdog: subprocess.Popen[bytes] | None = None
_fork_closed: set[int] = set()


def die_with_parent(parent: int) -> None:
    """In a forked child of ``parent``: be killed when the thread that forked it ends (the parent's main
    thread, for our workers), even by SIGKILL."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent ended before the request was made
        os._exit(1)


def watch_group(group: int) -> None:
    """Have the process group ``group`` killed if this process ends before ``unwatch_group(group)``."""
    global _watchdog
    with _lock:
        if _watchdog is None or _watchdog.poll() is not None:
            # Its own session: Ctrl-C at the terminal is ours to handle, and must not end it first.
            _watchdog = subprocess.Popen([sys.executable, "-I", "-S", "-c", _WATCHDOG], stdin=subprocess.PIPE,
                                         stdout=subprocess.DEVNULL, start_new_session=True)
        _tell(f"+{group}\n")


def unwatch_group(group: int) -> None:
    """``group`` has been reaped: its number may be given to another process, which is none of ours."""
    with _lock:
        if _watchdog is not None:
            _tell(f"-{group}\n")


def _tell(line: str) -> None:
    assert _watchdog is not None and _watchdog.stdin is not None
    try:
        _watchdog.stdin.write(line.encode())
        _watchdog.stdin.flush()
    except BrokenPipeError:  # it was killed: what it would have done, the caller's own cleanup does
        pass


def close_in_forks(fd: int) -> None:
    """Close ``fd`` (a lock) in every child forked while it is open, so only this process holds it."""
    _fork_closed.add(fd)


def keep_in_forks(fd: int) -> None:
    """``fd`` is about to be closed: forget it."""
    _fork_closed.discard(fd)


def _after_fork_in_child() -> None:
    global _watchdog, _lock
    _lock = threading.Lock()  # another thread may have held it at the fork
    _watchdog = None  # the parent's: its list is the parent's to keep
    for fd in list(_fork_closed):
        try:
            os.close(fd)
        except OSError:
            pass
    _fork_closed.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)
