"""The Flask app: settings, the pieces it is made of, and how packgen's errors become pages."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import Flask, current_app, g, render_template, request, url_for
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

import packgen
from packgen import __version__
from packgen.build.pipeline import DEFAULT_TEMPLATES
from packgen.errors import DataError, InputError, PackgenError, ToolError
from packgen.mail.smtp import SmtpSettings
from packgen.readiness.table import rule_table
from packgen.web import security
from packgen.web.jobs import PackJob

MARKING = "OFFICIAL-SENSITIVE"

# The main navigation: (endpoint, words). An endpoint not (yet) registered is left out of the bar.
NAVIGATION = (
    ("pages.pupils", "Pupils"),
    ("pages.providers", "Providers"),
    ("placements.start", "New placement"),
    ("letters.letters", "Letters"),
    ("pages.pack", "Pack"),
    ("where.where_now", "Where now"),
    ("where.overdue", "Overdue"),
    ("settings.school", "School settings"),
)


@dataclass(frozen=True)
class Settings:
    """What the page works on. ``today`` fixes the day readiness is judged on (tests, ``--today``)."""

    school: Path
    out_root: Path
    templates: Path = DEFAULT_TEMPLATES
    password_hash: str | None = None  # required to serve beyond this computer
    host: str = "127.0.0.1"
    smtp: SmtpSettings | None = None  # without it the page can make letters but not send them
    sender: str | None = None
    today: date | None = None

    @property
    def out(self) -> Path:
        """The school's own output folder: the only place files are downloaded from."""
        return self.out_root / self.school.name


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def create_app(settings: Settings, *, secret_key: bytes | None = None) -> Flask:
    if not is_loopback(settings.host) and not settings.password_hash:
        raise InputError(
            f"serving on {settings.host} reaches other computers: set a password first "
            "(PACKGEN_WEB_PASSWORD, or type one when packgen asks)"
        )
    app = security.QuietFlask(__name__)
    app.config.update(
        SECRET_KEY=secret_key or secrets.token_bytes(32),  # a new key each run: old sessions end with it
        PACKGEN=settings,
        MAX_CONTENT_LENGTH=1_000_000,  # forms are a few kilobytes
    )
    # GOV.UK Frontend's components as Jinja macros: {% from "govuk_frontend_jinja/components/..." %}.
    app.jinja_loader = ChoiceLoader(
        [
            PackageLoader("packgen.web"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    security.install(app, settings)
    app.extensions["packgen_pack"] = PackJob()
    app.extensions["packgen_words"] = packgen.wording(settings.templates)

    # the views use current_app, so they come after the app exists
    from packgen.web import (
        edit_views,
        evaluation_views,
        flows,
        imports,
        letters_views,
        pack_views,  # noqa: F401 (its routes join the pages blueprint before it is registered)
        repair_views,
        scan_views,
        settings_views,
        views,
        whereabouts_views,
    )
    from packgen.web.school import KeptSchool

    app.extensions["packgen_school"] = KeptSchool(settings.school)

    app.register_blueprint(views.pages)
    app.register_blueprint(edit_views.form_pages)
    app.register_blueprint(settings_views.settings_pages)
    app.register_blueprint(repair_views.repair_pages)
    app.register_blueprint(imports.import_pages)
    app.register_blueprint(flows.placement_pages)
    app.register_blueprint(letters_views.letter_pages)
    app.register_blueprint(whereabouts_views.where_pages)
    app.register_blueprint(evaluation_views.evaluation_pages)
    app.register_blueprint(scan_views.scan_pages)
    _error_pages(app)
    _page_helpers(app)
    return app


def settings() -> Settings:
    return current_app.config["PACKGEN"]


def today() -> date:
    return settings().today or date.today()


def _page_helpers(app: Flask) -> None:
    words = app.extensions["packgen_words"]

    @app.context_processor
    def every_page() -> dict:
        from packgen.web.settings_views import logo_version

        return {
            "school_name": _school_name(),
            "marking": MARKING,
            "packgen_version": __version__,
            "today": today(),
            "has_logo": logo_version(),
            "navigation": _navigation,
            "broken_files": len({p.file for p in g.get("problems") or []}),
        }

    @app.template_filter("day")
    def day(value: date | None) -> str:
        """``7 September 2026``: the month names of labels.yaml, as letters print them."""
        return f"{value.day} {words.dates.months[value.month - 1]} {value.year}" if value else ""

    @app.template_filter("short_day")
    def short_day(value: date | None) -> str:
        """``7 Sep 2026``, for narrow table columns."""
        return f"{value.day} {words.dates.short_months[value.month - 1]} {value.year}" if value else ""

    @app.template_filter("label")
    def label(code: object) -> str:
        return words.labels.get(str(code), str(code)) if code is not None else ""

    @app.template_filter("rule_title")
    def rule_title(rule_id: str) -> str:
        """What a rule is about in words (``Staff-check assurance``): pages never show a rule's id."""
        return rule_table().rule(rule_id).title

    @app.template_filter("number")
    def number(value: float | None) -> str:
        return "" if value is None else f"{value:g}"


def _navigation() -> list[dict]:
    """The bar's links for GOV.UK's service navigation; the section the page is in is marked."""
    items = []
    for endpoint, words in NAVIGATION:
        if endpoint in current_app.view_functions:
            href = url_for(endpoint)
            items.append(
                {
                    "href": href,
                    "text": words,
                    "active": request.path == href or request.path.startswith(href.rstrip("/") + "/"),
                }
            )
    return items


def _school_name() -> str:
    """The school's name for the page header, even on a page about records that do not load."""
    from packgen.web.views import school_data

    try:
        return school_data().school.school.name
    except PackgenError:
        return settings().school.name


def _error_pages(app: Flask) -> None:
    @app.errorhandler(DataError)
    def records_have_problems(error: DataError):
        from packgen.web.repair_views import overview

        return overview(), 200

    @app.errorhandler(InputError)
    def wrong_request(error: InputError):
        return render_template("message.html", title="Not found", message=str(error)), 404

    @app.errorhandler(404)
    def not_found(error):
        return render_template(
            "message.html", title="Page not found", message="There is no such page, pupil or provider here."
        ), 404

    @app.errorhandler(ToolError)
    def broken_environment(error: ToolError):
        return render_template("message.html", title="packgen cannot run a tool it needs", message=str(error)), 503

    @app.errorhandler(PackgenError)
    def cannot_do(error: PackgenError):
        return render_template("message.html", title="That cannot be done", message=str(error)), 400
