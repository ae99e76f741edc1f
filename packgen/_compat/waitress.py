"""waitress internals packgen relies on (pinned by tests/test_compat.py).

waitress's public API runs a server until the process is interrupted and has no limit on how long a
request's headers may take to arrive. The page needs both: tests and the command stop a server from
another thread, and a client trickling its headers a byte at a time must not keep a connection for ever.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from waitress import create_server
from waitress.channel import HTTPChannel
from waitress.wasyncore import close_all, loop


class StoppableServer:
    """waitress's server, run by ``serve_forever`` until ``shutdown`` (from another thread) or Ctrl+C,
    closing each connection whose request headers are not complete ``header_timeout`` seconds after
    their first byte. ``adjustments`` are waitress's own (``threads``, ``channel_timeout``...)."""

    def __init__(self, app: Any, *, header_timeout: float, **adjustments: Any) -> None:
        self._map: dict = {}
        self._server = create_server(app, map=self._map, asyncore_use_poll=True, **adjustments)
        self._server.channel_class = type("HeaderDeadline", (_HeaderDeadline,), {"header_timeout": header_timeout})
        self.server_port: int = self._server.effective_port
        self._stopping = threading.Event()
        self._stopped = threading.Event()

    def serve_forever(self) -> None:
        try:
            while not self._stopping.is_set():
                loop(timeout=1, map=self._map, use_poll=True, count=1)
        finally:
            self._server.task_dispatcher.shutdown()
            close_all(self._map)
            self._stopped.set()

    def shutdown(self) -> None:
        self._stopping.set()
        self._server.pull_trigger()  # wakes the loop from waiting on its sockets
        self._stopped.wait()


class _HeaderDeadline(HTTPChannel):
    """waitress closes a connection idle for ``channel_timeout``, but one that sends a byte now and
    then is never idle: this closes it once its request's headers have taken ``header_timeout``."""

    header_timeout = 0.0
    header_started = 0.0

    def received(self, data: bytes) -> bool:
        if data:
            now = time.monotonic()
            if self.request is None:
                self.header_started = now
            elif not self.request.headers_finished and now - self.header_started > self.header_timeout:
                self.will_close = True
                return False
        return super().received(data)
