"""The fast loop leaves out what it says it does: every test module that drives a browser is marked `browser`."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
USES_A_BROWSER = re.compile(r"^\s*(from|import) (playwright|tests\.browser)\b", flags=re.M)


def test_every_browser_test_module_is_marked_browser():
    unmarked = [path.name for path in sorted(TESTS.glob("test_*.py"))
                if USES_A_BROWSER.search(path.read_text(encoding="utf-8"))
                and not re.search(r"^pytestmark = .*pytest\.mark\.browser", path.read_text(encoding="utf-8"),
                                  flags=re.M)]
    assert not unmarked, f"add `pytestmark = pytest.mark.browser` to {unmarked}"


def test_the_markers_are_registered():
    ini = (TESTS.parent / "pytest.ini").read_text(encoding="utf-8")
    assert re.search(r"^\s+slow:", ini, flags=re.M) and re.search(r"^\s+browser:", ini, flags=re.M)
    assert "--strict-markers" in ini
