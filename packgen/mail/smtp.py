"""The mail server: its settings (options, the environment, or ``letters.smtp`` in school.yaml), a
connection that logs in only over encryption, and what went wrong reaching it, said in terms of the
settings the user gave."""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packgen.errors import PackgenError
from packgen.mail import PASSWORD_ENV
from packgen.records.school_data import SchoolData

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


class MailError(PackgenError):
    """E-mail could not be sent as asked: SMTP settings missing or unsafe, or some messages failed.

    Exit code 1: every cause is something the user can put right (host, port, security, user name,
    password, an address) or retry (a server that is down); none means packgen's environment is broken.
    """


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server. The password comes from the caller or ``PACKGEN_SMTP_PASSWORD``.

    ``security``: ``starttls`` (port 587), ``tls`` (implicit TLS, port 465) or ``none`` (a local relay
    only; a login is refused without encryption); a setting from the environment may say anything, so it
    is checked, with the rest, before any connection (``check_login``). ``cafile`` or ``ssl_context`` let the caller trust a
    server whose certificate is not signed by a public authority.
    """

    host: str
    port: int | None = None
    security: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: Path | None = None
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)
    timeout: float = 30.0


def school_smtp(data: SchoolData | None, environ: Mapping[str, str]) -> SmtpSettings | None:
    """The mail server: PACKGEN_SMTP_HOST (with PACKGEN_SMTP_PORT, _SECURITY, _USER, _CA_FILE) when set,
    else ``letters.smtp`` in school.yaml (``data`` None: school.yaml did not load); None when neither says.
    The password is never read here."""
    if environ.get("PACKGEN_SMTP_HOST"):
        port, ca_file = environ.get("PACKGEN_SMTP_PORT"), environ.get("PACKGEN_SMTP_CA_FILE")
        return SmtpSettings(
            environ["PACKGEN_SMTP_HOST"],
            int(port) if port else None,
            environ.get("PACKGEN_SMTP_SECURITY", "starttls"),
            environ.get("PACKGEN_SMTP_USER"),
            cafile=Path(ca_file) if ca_file else None,
        )
    server = data.school.letters.smtp if data is not None else None
    if server is None:
        return None
    return SmtpSettings(server.host, server.port, server.security, server.user)


def say_goodbye(smtp: smtplib.SMTP) -> None:
    """QUIT, then close. What the server says to QUIT changes nothing: every message it accepted it said
    so for, and those are logged."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()


class _SMTP(smtplib.SMTP):
    """Notes when a message has gone to the server in full (its DATA sent, down to the final '.'), so a
    connection that breaks afterwards, before the server's answer, is known to leave its fate unknown."""

    handed_over = False

    def sendmail(self, *args, **kwargs):
        self.handed_over = False
        return super().sendmail(*args, **kwargs)

    def send(self, s):
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.handed_over = True


class _SMTP_SSL(_SMTP, smtplib.SMTP_SSL):
    pass


def check_login(settings: SmtpSettings) -> tuple[str, str] | None:
    """Check the settings before any connection, and find the login: the user and the password (given, or
    from the environment); None when no user is given."""
    if settings.security not in DEFAULT_PORTS:
        raise MailError(f"unknown SMTP security '{settings.security}' (use starttls, tls or none)")
    if not settings.host:
        raise MailError("no SMTP host given: name the mail server that sends the school's e-mail")
    if not settings.user:
        return None
    if settings.security == "none":
        raise MailError(
            "packgen will not send a password over an unencrypted connection: "
            "use security starttls (port 587) or tls (port 465)"
        )
    password = settings.password or os.environ.get(PASSWORD_ENV)
    if not password:
        raise MailError(
            f"no password for the SMTP user '{settings.user}': set {PASSWORD_ENV} or type it when packgen asks"
        )
    return settings.user, password


def connect(settings: SmtpSettings, login: tuple[str, str] | None) -> _SMTP | _SMTP_SSL:
    port = settings.port or DEFAULT_PORTS[settings.security]
    context = settings.ssl_context or ssl.create_default_context(
        cafile=str(settings.cafile) if settings.cafile else None
    )
    if settings.security == "tls":
        smtp: _SMTP | _SMTP_SSL = _SMTP_SSL(settings.host, port, timeout=settings.timeout, context=context)
    else:
        smtp = _SMTP(settings.host, port, timeout=settings.timeout)
    try:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if login is not None:
            smtp.login(*login)
    except BaseException:
        smtp.close()
        raise
    return smtp


def connection_problem(settings: SmtpSettings, error: BaseException) -> str:
    """Say what went wrong reaching the server in terms of the settings the user gave."""
    where = f"{settings.host}:{settings.port or DEFAULT_PORTS[settings.security]}"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return (
            f"the server {where} refused the user name or password for '{settings.user}' "
            f"({error.smtp_code} {as_text(error.smtp_error)})"
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return f"the server {where} does not offer what was asked ({error}): check the security setting and port"
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"the certificate of {where} could not be trusted ({error.verify_message}): "
            "give the server's CA file if it uses its own"
        )
    if isinstance(error, ssl.SSLError):
        return (
            f"no secure connection with {where} ({error.reason}): "
            "port 465 usually needs security tls, port 587 starttls"
        )
    if isinstance(error, socket.gaierror):
        return f"there is no mail server called '{settings.host}' (check the host name)"
    if isinstance(error, ConnectionRefusedError):
        return f"{where} refused the connection (check the host and port)"
    if isinstance(error, TimeoutError):
        return f"{where} did not answer within {settings.timeout:g} seconds"
    return f"could not use the mail server {where}: {describe(error)}"


def describe(error: BaseException) -> str:
    return str(error) or type(error).__name__


def as_text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
