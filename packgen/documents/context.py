"""What every template sees: the school's own details, the day, the logo; and, for a pupil's documents,
the pupil, the placement and the provider."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PIL import Image

from packgen.documents.pictures import Drawing
from packgen.records.school_data import SchoolData


def common_context(data: SchoolData, today: date) -> dict[str, Any]:
    s = data.school
    return {
        "school": s.school,
        "staff": s.staff,
        "governance": s.governance,
        "partnership": s.partnership,
        "letters": s.letters,
        "generated_on": today,
        "logo": SchoolLogo.of(data.folder),
    }


def pupil_context(data: SchoolData, pupil_id: str, today: date) -> dict[str, Any]:
    record = data.pupils[pupil_id]
    return common_context(data, today) | {
        "pupil_id": pupil_id,
        "pupil": record.pupil,
        "placement": record.placement,
        "provider": data.provider_of(pupil_id),
    }


LOGO_FILE = "logo.png"  # the school's logo, kept in its folder (uploaded on the page's settings)
HEADER_LOGO_MM = (28.0, 11.0)  # the most width and height the logo's box in each page heading has
COVER_LOGO_MM = (60.0, 25.0)


@dataclass(frozen=True)
class SchoolLogo(Drawing):
    """The logo as a template value; ``digest`` makes a new logo a new cover for the cache."""

    path: str
    digest: str
    width_mm: float

    @classmethod
    def of(cls, folder: str, box: tuple[float, float] = HEADER_LOGO_MM) -> SchoolLogo | None:
        """The logo as large as fits ``box`` (width, height in mm), or None when the school has none."""
        path = Path(folder) / LOGO_FILE
        if not path.is_file():
            return None
        data = path.read_bytes()
        with Image.open(path) as picture:
            width, height = picture.size
        most_wide, most_high = box
        return cls(str(path), hashlib.sha256(data).hexdigest(), min(most_wide, most_high * width / max(height, 1)))

    def image(self) -> bytes:
        return Path(self.path).read_bytes()
