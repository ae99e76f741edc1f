"""Running the page: a production WSGI server (waitress), and the mail settings it reads from the environment.

waitress reads requests on one thread and hands only complete ones to its worker threads, so clients
that open connections and send half a request hold no worker. Their connections are bounded too: a
connection that sends nothing for ``IDLE_TIMEOUT`` is closed, a request's headers must be complete
within ``HEADER_TIMEOUT`` of its first byte, and at most ``CONNECTION_LIMIT`` are open at once.

The same environment variables as ``packgen letters --send`` configure sending, so an office sets
them once for both.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path
from typing import Literal, cast

from flask import Flask

from packgen._compat.waitress import StoppableServer
from packgen.errors import ToolError
from packgen.mail.smtp import SmtpSettings

THREADS = 8  # requests answered at once; a document made with LibreOffice keeps one busy a while
IDLE_TIMEOUT = 20  # seconds
HEADER_TIMEOUT = 20  # seconds
CONNECTION_LIMIT = 1_000
MAX_HEADERS = 32_768  # bytes: a browser's request with its cookie needs a few kilobytes


def start(app: Flask, host: str, port: int = 0) -> StoppableServer:
    """A server bound to ``host`` (port 0: a free one, see ``server_port``); call ``serve_forever``,
    which returns after ``shutdown`` from another thread or on Ctrl+C."""
    _allow_open_files(CONNECTION_LIMIT + 100)
    try:
        return StoppableServer(
            app,
            header_timeout=HEADER_TIMEOUT,
            host="127.0.0.1" if host == "localhost" else host,
            port=port,
            threads=THREADS,
            connection_limit=CONNECTION_LIMIT,
            channel_timeout=IDLE_TIMEOUT,
            cleanup_interval=1,
            max_request_header_size=MAX_HEADERS,
            max_request_body_size=app.config["MAX_CONTENT_LENGTH"],
            ident="packgen",
            expose_tracebacks=False,
        )
    except OSError as error:  # the port is taken, or the address is not one of this computer's
        raise ToolError(f"cannot listen on {host} port {port}: {error.strerror or error}") from None


def _allow_open_files(wanted: int) -> None:
    """Each connection is a file descriptor: raise this process's own limit towards ``wanted`` where
    the system allows it, so the connection limit, not the descriptor limit, is what clients meet."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), hard))


def smtp_from_environment(password: str | None = None) -> SmtpSettings | None:
    """The mail server from PACKGEN_SMTP_*; None when PACKGEN_SMTP_HOST is not set."""
    host = os.environ.get("PACKGEN_SMTP_HOST")
    if not host:
        return None
    port = os.environ.get("PACKGEN_SMTP_PORT")
    ca_file = os.environ.get("PACKGEN_SMTP_CA_FILE")
    return SmtpSettings(
        host,
        int(port) if port else None,
        # An unknown word is refused, with the words it takes, before anything is sent (mail.send).
        cast(Literal["starttls", "tls", "none"], os.environ.get("PACKGEN_SMTP_SECURITY", "starttls")),
        os.environ.get("PACKGEN_SMTP_USER"),
        password,
        Path(ca_file) if ca_file else None,
    )
