"""The serve command: the records as a local web page for office staff."""

from __future__ import annotations

import dataclasses
import os
from datetime import date
from pathlib import Path

import click

from packgen.cli.options import out_option, school_argument, templates_option, today_option
from packgen.mail import PASSWORD_ENV


@click.command()
@school_argument
@out_option
@templates_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Only 127.0.0.1 or ::1 keeps the page on this computer; any other address "
    "reaches the network and needs a password of at least 12 characters (env PACKGEN_WEB_PASSWORD, "
    "or typed when asked).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port to listen on [default: a free one].")
@click.option("--no-browser", is_flag=True, help="Do not open the page in the browser.")
@today_option
def serve(
    school: Path, out_root: Path, templates: Path, host: str, port: int, no_browser: bool, today: date | None
) -> None:
    """Open the records as a web page for office staff: pupils, providers, the pack, and forms.

    The forms write the same YAML files you can edit by hand, checked as packgen check does. To send
    letters from the page, set PACKGEN_SMTP_HOST (and PACKGEN_SMTP_PORT, PACKGEN_SMTP_SECURITY,
    PACKGEN_SMTP_USER, PACKGEN_MAIL_FROM as for packgen letters --send). Stop with Ctrl+C.

    \b
    Example:
      packgen serve data/brookfield-academy
      PACKGEN_WEB_PASSWORD=... packgen serve data/brookfield-academy --host 0.0.0.0 --port 8080
    """
    import webbrowser

    from packgen import web
    from packgen.records.read import load_healthy

    data, _ = load_healthy(school)  # not a school: said here; broken records are repaired on the page
    password_hash = None
    if not web.is_loopback(host):
        password = os.environ.get("PACKGEN_WEB_PASSWORD") or click.prompt(
            "Password for the page (others on the network will need it)", hide_input=True, confirmation_prompt=True
        )
        password_hash = web.hash_password(password)
    from packgen.mail.smtp import school_smtp

    # As packgen letters --send: the environment wins, school.yaml's letters.smtp fills in.
    smtp = school_smtp(data, os.environ)
    if smtp and smtp.user and not os.environ.get(PASSWORD_ENV):
        smtp = dataclasses.replace(
            smtp, password=click.prompt(f"Password for {smtp.user} on {smtp.host}", hide_input=True)
        )
    sender = os.environ.get("PACKGEN_MAIL_FROM") or (data.school.letters.sender if data else None)
    app = web.create_app(
        web.Settings(school.resolve(), out_root.resolve(), templates, password_hash, host, smtp, sender, today)
    )
    server = web.start(app, host, port)
    url = f"http://{_url_host(host)}:{server.server_port}/"
    click.echo(f"packgen is serving {school} at {url}")
    if password_hash:
        click.echo(
            "Listening beyond this computer: everyone needs the password. Traffic is not encrypted, so use "
            "it only on a network you trust."
        )
    click.echo("OFFICIAL-SENSITIVE: the page shows personal data about children. Press Ctrl+C to stop.")
    if not no_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def _url_host(host: str) -> str:
    """How a browser on this computer reaches ``host``: an address that means every address is reached
    through loopback, and an IPv6 address goes in brackets."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"[{host}]" if ":" in host else host
