"""The LibreOffice profile folders packgen's workers run with: one each, kept between runs.

Each worker needs a profile of its own (``-env:UserInstallation``): two LibreOffice processes sharing
one hand their work to each other or refuse to start, and a private profile keeps us clear of a
LibreOffice the user has open. Profiles are kept in packgen's folder of the user's cache, because
making one costs LibreOffice another 0.3 s at a start, and each is locked while a worker uses it so
that two packgen runs never share one.

A profile is also told which LibreOffice it last ran (see ``settle``): without that, every start
spends most of its time on a self-test of the graphics backend.
"""

from __future__ import annotations

import fcntl
import functools
import os
import re
import shutil
from pathlib import Path

from lxml import etree

from packgen.errors import ToolError
from packgen.files import private_dirs, user_cache, write_private

OOR = "http://openoffice.org/2001/registry"
SETTINGS = Path("user") / "registrymodifications.xcu"
LAST_VERSION = ("/org.openoffice.Setup/Product", "ooSetupLastVersion")
# Where an installation keeps its default settings, from its program folder (Linux and Windows, macOS).
DEFAULTS = (Path("..") / "share" / "registry" / "main.xcd", Path("..") / "Resources" / "registry" / "main.xcd")
_VERSION = re.compile(rb'<prop oor:name="ooSetupVersion"[^>]*>\s*<value>([0-9]+\.[0-9]+)</value>')
# Nothing a document links to is fetched: pictures and other resources by address are blocked (as
# from an untrusted sender), linked sections and objects are never updated, macros never run.
SAFE_SETTINGS = (
    ("/org.openoffice.Office.Common/Security/Scripting", "BlockUntrustedRefererLinks", "true"),
    ("/org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "3"),
    ("/org.openoffice.Office.Writer/Content/Update", "Link", "0"),  # 0: never (sw/inc/linkenum.hxx)
)
EMPTY_SETTINGS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
    b'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n</oor:items>\n'
)


class Profiles:
    """Profile folders for the workers of one conversion, one per slot.

    Each is held under an exclusive lock (flock, released when we exit however we exit) so another
    packgen run takes a different one. Where the cache folder cannot be used, a profile is made in
    this call's work folder and goes with it. Each is settled (``settle``) for ``program`` as it is
    handed out.
    """

    def __init__(self, work: Path, limit: int, program: str):
        self.work = work
        self.limit = limit
        self.program = program
        self.home = profiles_home()
        self.held: dict[int, tuple[Path, int]] = {}

    def __enter__(self) -> Profiles:
        return self

    def __exit__(self, *exc: object) -> None:
        for _, lock in self.held.values():
            os.close(lock)
        self.held.clear()

    def take(self, slot: int) -> Path:
        if slot not in self.held:
            profile = self._lock_one(slot)
            settle(profile, self.program)
            harden(profile)
            return profile
        return self.held[slot][0]

    def _lock_one(self, slot: int) -> Path:
        for number in range(self.limit):
            profile = self.home / f"profile{number}"
            try:
                private_dirs(self.home)
                lock = os.open(self.home / f"profile{number}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                break
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(lock)
                continue
            self.held[slot] = (profile, lock)
            return profile
        return self.work / f"profile{slot}"

    def spoil(self, slot: int) -> None:
        """Throw away a profile a killed LibreOffice may have left locked or half written."""
        if slot in self.held:
            profile, lock = self.held.pop(slot)
            shutil.rmtree(profile, ignore_errors=True)
            os.close(lock)
        else:
            shutil.rmtree(self.work / f"profile{slot}", ignore_errors=True)


def profiles_home() -> Path:
    return user_cache() / "libreoffice"


def settle(profile: Path, program: str) -> None:
    """Before a start: record in ``profile`` that it last ran this LibreOffice (``program``).

    At every start after an upgrade LibreOffice runs a self-test of its graphics backend, drawing on
    4096-pixel bitmaps, and it compares the version it last ran with its own to know. That version
    is only written down once a document window has been shown, which never happens headless: so
    each start ran the self-test. Measured here: 1.0 s to start and convert a one-page document,
    0.25 s with the version recorded, and 134 MB of memory instead of 214 MB.

    A version that cannot be found (an installation laid out differently) leaves the profile as it
    is: LibreOffice then works as before, only slower. The profile is ours alone and locked (see
    Profiles), so nothing else writes its settings meanwhile.
    """
    version = installed_version(str(Path(program).resolve()))
    if version is None:
        return
    settings = profile / SETTINGS
    try:
        current = settings.read_bytes()
    except FileNotFoundError:
        current = EMPTY_SETTINGS
    except OSError:
        return
    updated = _with_last_version(current, version)
    if updated is not None and updated != current:
        private_dirs(settings.parent)
        write_private(settings, updated)


@functools.lru_cache(maxsize=8)
def installed_version(program: str) -> str | None:
    """The version ("7.4") of the LibreOffice whose program this is, from its default settings."""
    for defaults in DEFAULTS:
        try:
            found = _VERSION.search((Path(program).parent / defaults).read_bytes())
        except OSError:
            continue
        if found:
            return found.group(1).decode()
    return None


def harden(profile: Path) -> None:
    """Before a start: tell ``profile``'s LibreOffice never to fetch what a document links to.

    A picture linked by address (http://, or file:/// for a file on this computer) would otherwise be
    fetched while converting and put in the PDF. Templates with such links are refused before they
    are filled (documents/links.py); this is the second line. Unlike ``settle`` it does not depend on
    finding the version: a profile is never used without it.
    """
    settings = profile / SETTINGS
    try:
        current = settings.read_bytes()
    except FileNotFoundError:
        current = EMPTY_SETTINGS
    except OSError as exc:
        raise ToolError(f"cannot prepare LibreOffice's settings in {profile}: {exc.strerror or exc}") from exc
    updated = _with_values(current, SAFE_SETTINGS)
    if updated is None:  # unreadable: LibreOffice would start afresh without our settings
        updated = _with_values(EMPTY_SETTINGS, SAFE_SETTINGS) or EMPTY_SETTINGS
    if updated != current:
        private_dirs(settings.parent)
        write_private(settings, updated)


def _with_last_version(settings: bytes, version: str) -> bytes | None:
    """``settings`` (registrymodifications.xcu) saying ``version`` was last run; None if unreadable
    (LibreOffice makes the file afresh when it cannot read it)."""
    return _with_values(settings, ((*LAST_VERSION, version),))


def _with_values(settings: bytes, values: tuple[tuple[str, str, str], ...]) -> bytes | None:
    """``settings`` with each (path, name, value) set; the same bytes when all were; None if unreadable."""
    try:
        root = etree.fromstring(settings, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    changed = False
    for path, name, value in values:
        found = False
        for item in root.findall("item"):
            prop = item.find("prop")
            if item.get(f"{{{OOR}}}path") == path and prop is not None and prop.get(f"{{{OOR}}}name") == name:
                if prop.findtext("value") == value and not found:
                    found = True
                else:
                    root.remove(item)
                    changed = True
        if found:
            continue
        item = etree.SubElement(root, "item", {f"{{{OOR}}}path": path})
        prop = etree.SubElement(item, "prop", {f"{{{OOR}}}name": name, f"{{{OOR}}}op": "fuse"})
        etree.SubElement(prop, "value").text = value
        item.tail = "\n"
        changed = True
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") if changed else settings
