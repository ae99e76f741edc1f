"""Running the page: a threaded local server, and the mail settings it reads from the environment.

The same environment variables as ``packgen letters --send`` configure sending, so an office sets
them once for both.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from packgen.mail.send import SmtpSettings



def start(app: Flask, host: str, port: int = 0) -> BaseWSGIServer:
    """A server bound to ``host`` (port 0: a free one, see ``server_port``); call ``serve_forever``."""
    return make_server(host, port, app, threaded=True)


def smtp_from_environment(password: str | None = None) -> SmtpSettings | None:
    """The mail server from PACKGEN_SMTP_*; None when PACKGEN_SMTP_HOST is not set."""
    host = os.environ.get("PACKGEN_SMTP_HOST")
    if not host:
        return None
    port = os.environ.get("PACKGEN_SMTP_PORT")
    ca_file = os.environ.get("PACKGEN_SMTP_CA_FILE")
    return SmtpSettings(host, int(port) if port else None, os.environ.get("PACKGEN_SMTP_SECURITY", "starttls"),
                        os.environ.get("PACKGEN_SMTP_USER"), password, Path(ca_file) if ca_file else None)
