"""The sent log: ``letters-sent.jsonl`` in the school folder, one line per message the mail server took.

A line is written, and flushed to disk, the moment the server accepts a message, so a run that fails
part-way and is retried never sends the same letter twice. The log is locked while a run sends, so two
runs cannot send the same letters at once. A message handed over in full whose acceptance the server
never confirmed is logged with ``fate: unknown``.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, ValidationError

from packgen.errors import BusyError, DataError, Problem, ToolError
from packgen.records.fields import Record, Text
from packgen.records.school_data import SchoolData

LOG_NAME = "letters-sent.jsonl"

Kind = Literal["letter", "chase"]


class Sent(Record):
    """One line of the sent log: a message the server accepted, or (``fate: unknown``) one handed over in full
    whose acceptance the server never confirmed."""

    sent_at: AwareDatetime
    kind: Kind
    provider: Text
    to: Text
    message_id: Text
    version: Text
    subject: str
    fate: Literal["sent", "unknown"] = "sent"


def log_path(data: SchoolData) -> Path:
    return Path(data.folder) / LOG_NAME


def read_log(data: SchoolData) -> list[Sent]:
    """Every message recorded as sent, oldest first; a damaged line is reported with its number."""
    path = log_path(data)
    if not path.exists():
        return []
    entries, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(Sent.model_validate(json.loads(line)))
        except json.JSONDecodeError as error:
            problems.append(Problem(LOG_NAME, "", f"is not a JSON record ({error.msg})", number))
        except ValidationError as error:
            for item in error.errors():
                key = ".".join(str(part) for part in item["loc"])
                problems.append(Problem(LOG_NAME, key, item["msg"], number))
    if problems:
        raise DataError(problems)
    return entries


@contextmanager
def log_writer(data: SchoolData) -> Iterator[Any]:
    """Hold the log open for appending, locked so that two runs cannot send the same letters at once."""
    path = log_path(data)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError(
                f"another packgen run is sending e-mail for this school ({path} is locked); wait for it to finish"
            ) from None

        def append(entry: Sent) -> None:
            line = json.dumps(entry.model_dump(mode="json"), ensure_ascii=False) + "\n"
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)  # on disk before the next message goes, so a crash cannot lead to a resend
            except OSError as error:
                raise ToolError(
                    f"the e-mail to {entry.to} ({entry.provider}) was sent but could not be recorded "
                    f"in {path} ({error}); add it to the log by hand, or it will be sent again"
                ) from error

        yield append
    finally:
        os.close(fd)
