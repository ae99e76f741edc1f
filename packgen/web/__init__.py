"""The local web page for office staff: pupils, providers and the pack, and forms to keep records up to date.

``create_app(Settings(...))`` gives a Flask app; ``packgen serve`` runs it on 127.0.0.1. Pages are
rendered on the server (Jinja, one small stylesheet, one small script for searching a table), so
there is no front-end build. The records stay the YAML files office staff also edit by hand: a form
writes the same file, checked by the same loader as ``packgen check``.
"""

from __future__ import annotations

from packgen.web.app import Settings, create_app, is_loopback
from packgen.web.security import hash_password
from packgen.web.server import smtp_from_environment, start

__all__ = ["Settings", "create_app", "hash_password", "is_loopback", "smtp_from_environment", "start"]
