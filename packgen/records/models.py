"""The record classes packgen/web imports, gathered under one name. Each class lives in the module of
the file it describes: fields.py (shared field types), school_file.py, provider_file.py, pupil_file.py,
and school_data.py (a whole school, loaded). Import from those; this list goes once packgen/web does too.
"""

from packgen.records.provider_file import (
    PreAdmissionItems,
    Provider,
    QaVisit,
    Registration,
    SafeguardingPractice,
    StaffChecks,
)
from packgen.records.pupil_file import (
    Cost,
    Placement,
    PlacementEnd,
    PupilFile,
    Review,
    TargetProgress,
    UnplacedPupilFile,
    display_name,
)
from packgen.records.school_data import SchoolData
from packgen.records.school_file import MailServer, ReadinessSettings, SchoolFile

__all__ = [
    "Cost",
    "MailServer",
    "Placement",
    "PlacementEnd",
    "PreAdmissionItems",
    "Provider",
    "PupilFile",
    "QaVisit",
    "ReadinessSettings",
    "Registration",
    "Review",
    "SafeguardingPractice",
    "SchoolData",
    "SchoolFile",
    "StaffChecks",
    "TargetProgress",
    "UnplacedPupilFile",
    "display_name",
]
