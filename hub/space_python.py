"""The Python a Space builds with, checked against every pinned requirement before anything is uploaded.

Hugging Face Spaces builds with the README front matter's `python_version` (3.10 when it is absent). A pin whose
distribution declares a `Requires-Python` that version does not satisfy fails the Space's `pip install` before
`app.py` ever runs, so `hub.deploy` and `hub.publish` refuse to upload in that case. The check is offline: it reads
the metadata of the distributions installed here, which are exactly the pinned ones (CI installs them).
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from hub.client import HubCommandError

SPACES_DEFAULT_PYTHON = "3.10"  # what Spaces uses when the front matter names no python_version
SPACE_PYTHON = "3.11"  # the Python CI runs and every pin accepts; README front matter and tool Spaces use it
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)")


@dataclass(frozen=True)
class PinCheck:
    """One pinned requirement checked against the Space's Python."""

    name: str
    version: str
    requires_python: str | None  # None: the distribution declares none
    ok: bool
    note: str = ""  # why it could not be checked, when it could not

    def describe(self) -> str:
        return f"{self.name}=={self.version} (Requires-Python {self.requires_python or 'not declared'})"


def pins(requirements_text: str) -> list[tuple[str, str]]:
    """(distribution, version) for every `name[extras]==version` line; comments and `-r` lines are skipped."""
    found = []
    for line in requirements_text.splitlines():
        match = _PIN.match(line.split("#", 1)[0])
        if match:
            found.append((match.group(1), match.group(2)))
    return found


def unpinned(requirements_text: str) -> list[str]:
    """Requirement lines without an exact `==` pin: their version (and its Requires-Python) is unknown here."""
    lines = (line.split("#", 1)[0].strip() for line in requirements_text.splitlines())
    return [line for line in lines if line and not line.startswith("-") and not _PIN.match(line)]


def check_pin(name: str, version: str, python_version: str) -> PinCheck:
    """Whether the installed distribution `name` (which must be the pinned version) admits `python_version`."""
    try:
        installed = importlib.metadata.version(name)
        requires = importlib.metadata.metadata(name).get("Requires-Python")
    except importlib.metadata.PackageNotFoundError:
        return PinCheck(name, version, None, ok=False, note="not installed here, so its Requires-Python is unknown")
    if installed != version:
        return PinCheck(name, version, requires, ok=False,
                        note=f"{installed} is installed here, not the pinned {version}")
    if not requires:
        return PinCheck(name, version, None, ok=True)
    try:
        ok = Version(python_version) in SpecifierSet(requires)
    except InvalidSpecifier:
        return PinCheck(name, version, requires, ok=False, note="its Requires-Python cannot be parsed")
    return PinCheck(name, version, requires, ok=ok)


def check_requirements(requirements_text: str, python_version: str) -> list[PinCheck]:
    return [check_pin(name, version, python_version) for name, version in pins(requirements_text)]


def ensure_space_python(requirements_text: str, python_version: str | None, what: str = "requirements.txt") -> str:
    """A one-line report when every pin admits the Space's Python; else HubCommandError naming each failing pin."""
    python_version = str(python_version or SPACES_DEFAULT_PYTHON)
    checks = check_requirements(requirements_text, python_version)
    failing = [c for c in checks if not c.ok]
    loose = unpinned(requirements_text)
    if failing or loose:
        lines = [f"  {c.describe()}" + (f": {c.note}" if c.note else "") for c in failing]
        lines += [f"  {line}: not pinned with ==, so the version pip picks (and its Requires-Python) is unknown"
                  for line in loose]
        raise HubCommandError(
            f"the Space would build with Python {python_version}, which these pins in {what} do not admit "
            f"(or which cannot be checked), so its `pip install` would fail:\n" + "\n".join(lines) + "\n"
            f"Set `python_version: \"{SPACE_PYTHON}\"` in the README front matter, or install the pinned "
            f"versions here (`pip install -r {what}`) so they can be checked."
        )
    return f"Python {python_version}: all {len(checks)} pins in {what} admit it."
