"""A whole school, loaded: what reading a school folder gives everything downstream."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from packgen.records.provider_file import Provider
from packgen.records.pupil_file import PupilFile, UnplacedPupilFile
from packgen.records.school_file import SchoolFile


class SchoolData(BaseModel):
    """Everything in one school folder, checked. Ids are file names without ``.yaml``."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    slug: str
    folder: str
    school: SchoolFile
    providers: dict[str, Provider]
    pupils: dict[str, PupilFile]
    unplaced: dict[str, UnplacedPupilFile] = {}  # pupils whose placement is still to be written

    def provider_of(self, pupil_id: str) -> Provider:
        return self.providers[self.pupils[pupil_id].placement.provider]
