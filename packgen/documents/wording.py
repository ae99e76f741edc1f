"""The words templates print that are not record text, and the Jinja filters that print them.

The words for codes (labels), yes and no, and month names live in ``labels.yaml`` beside the
templates, so staff change wording without touching Python; the filters (``date``, ``yesno``,
``money``...) print values in those words. ``finalize`` shapes everything a template prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Annotated, Any

import yaml
from jinja2 import TemplateRuntimeError
from markupsafe import Markup, escape
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from packgen.errors import TemplateProblem
from packgen.files import NotReadable, read_regular
from packgen.records.yaml_tree import TEXT_LOADER

LABELS_FILE = "labels.yaml"

TwelveNames = Annotated[list[str], Field(min_length=12, max_length=12)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Answers(_Strict):
    yes: str
    no: str
    not_recorded: str
    not_applicable: str


class DateWords(_Strict):
    months: TwelveNames
    short_months: TwelveNames
    date_and_time: str


class Wording(_Strict):
    """Everything the filters print that is not record text."""

    answers: Answers
    dates: DateWords
    labels: dict[str, str]


def load_wording(path: Path) -> Wording:
    """Read labels.yaml. Every value is read as text, so ``yes: Yes`` means the word, not true."""
    if not path.exists():
        raise TemplateProblem(f"{path}: the labels file is missing (it holds the words printed for codes)")
    try:
        text = read_regular(path, 1_000_000, lambda size: "is over 1 MB, far bigger than a labels file").decode()
        data = yaml.load(text, Loader=TEXT_LOADER)
    except NotReadable as exc:
        raise TemplateProblem(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateProblem(f"{path}: cannot be read ({exc})") from exc
    except yaml.YAMLError as exc:
        raise TemplateProblem(f"{path}: is not valid YAML ({exc})") from exc
    try:
        return Wording.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise TemplateProblem("\n".join(lines)) from exc


# ---------------------------------------------------------------- Jinja: filters and output

# XML 1.0 forbids most control characters and lone surrogates; C1 controls are never meant as text.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def finalize(value: Any) -> Any:
    """Shape every ``{{ … }}`` output before Jinja escapes it: None prints nothing, text is made safe."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    text = _NOT_TEXT.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n"))
    safe = text if isinstance(value, Markup) else str(escape(text))
    # docxtpl rewrites "{_{" in its output to "{{" (its own escape for template authors); as
    # character references, braces from records reach Word exactly as written.
    return Markup(safe.replace("{", "&#123;").replace("}", "&#125;"))


def day_in_words(words: Wording, day: date, style: str = "long") -> str:
    """``day`` as the ``date`` filter prints it: "6 December 2026", or "6 Dec 2026" in the short style."""
    months = words.dates.months if style == "long" else words.dates.short_months
    return f"{day.day} {months[day.month - 1]} {day.year}"


def date_and_time(words: Wording, moment: datetime) -> str:
    """``moment`` as the ``datetime`` filter prints it: "6 December 2026 at 14:05"."""
    return words.dates.date_and_time.replace("{date}", day_in_words(words, moment)).replace("{time}", f"{moment:%H:%M}")


def filters(words: Wording) -> dict[str, Callable[..., Any]]:
    """The filters templates print values with, in the words of ``words``."""
    missing = words.answers.not_recorded

    def expect(kind: type | tuple[type, ...], value: Any, name: str) -> None:
        if isinstance(value, bool) or not isinstance(value, kind):
            raise TemplateRuntimeError(f"the {name} filter was given {value!r}, which it cannot format")

    def as_date(value: date | None, style: str = "long") -> str:
        if value is None:
            return missing
        expect(date, value, "date")
        if style not in ("long", "short"):
            raise TemplateRuntimeError(f"the date filter takes 'long' or 'short', not {style!r}")
        return day_in_words(words, value, style)

    def as_datetime(value: datetime | None) -> str:
        if value is None:
            return missing
        expect(datetime, value, "datetime")
        return date_and_time(words, value)

    def yesno(value: bool | str | None) -> str:
        if value is None:
            return missing
        if isinstance(value, bool):
            return words.answers.yes if value else words.answers.no
        if value == "not_applicable":
            return words.answers.not_applicable
        raise TemplateRuntimeError(f"the yesno filter was given {value!r}; it takes true, false or not_applicable")

    def label(value: Any) -> str:
        return missing if value is None else words.labels.get(str(value), str(value))

    def rounded(value: float, places: str, name: str) -> Decimal:
        expect((int, float, Decimal), value, name)
        return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)

    def money(value: float | None) -> str:
        if value is None:
            return missing
        amount = rounded(value, "0.01", "money")
        return f"{'-' if amount < 0 else ''}£{abs(amount):,.2f}"

    def percent(value: float | None) -> str:
        return missing if value is None else f"{rounded(value, '1', 'percent')}%"

    def number(value: float | None) -> str:
        return missing if value is None else f"{rounded(value, '0.1', 'number'):f}".removesuffix(".0")

    def contact(person: Any) -> str:
        """A person as one line: name (role or relationship), e-mail, phone; whichever are known."""
        if person is None:
            return missing
        detail = getattr(person, "role", None) or getattr(person, "relationship", None)
        name = f"{person.name} ({detail})" if detail else person.name
        return ", ".join(part for part in (name, person.email, person.phone) if part)

    def recorded(value: Any) -> Any:
        return missing if value is None or (isinstance(value, (str, list, tuple)) and not value) else value

    return {
        "date": as_date,
        "datetime": as_datetime,
        "yesno": yesno,
        "label": label,
        "money": money,
        "percent": percent,
        "number": number,
        "contact": contact,
        "recorded": recorded,
    }
