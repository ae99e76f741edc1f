"""Values written out exactly, so that two values give the same text exactly when they are equal.

A document's cache key is made of the data its template reads; that data must be written down
without guessing (no ``repr``), or a change could hide behind an equal-looking text.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import sys
from collections.abc import Mapping
from datetime import date, datetime
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import Any


class Uncacheable(TypeError):
    """A value in a document's data that has no exact written form."""


def canonical(value: Any) -> Any:
    """``value`` as plain JSON data that is equal exactly when the values are.

    Pydantic models as ``model_dump(mode="json")``, dataclasses field by field, dates and times
    in ISO form, bytes by digest; each tagged with its kind so, say, a date and the same text
    differ. Mappings keep their order, as a template looping over one would print it. Anything
    else raises Uncacheable: a guess (``repr``, ``str``) could hide a change.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    # A pydantic model can only exist once pydantic is imported; a build with nothing to do never imports it.
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        return {"$model": type(value).__qualname__, "fields": value.model_dump(mode="json")}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "$data": type(value).__qualname__,
            "fields": {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, clock):
        return {"$time": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, enum.Enum):
        return {"$enum": type(value).__qualname__, "value": canonical(value.value)}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": hashlib.sha256(value).hexdigest()}
    if isinstance(value, Path):
        return {"$path": str(value)}
    if isinstance(value, Mapping):
        return {"$map": [[canonical(k), canonical(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {"$set": sorted((canonical(v) for v in value), key=dumps)}
    raise Uncacheable(f"{type(value).__module__}.{type(value).__qualname__} has no exact written form")


def dumps(value: Any) -> str:
    # Not sort_keys: a model's dict fields keep their order (see canonical()).
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
