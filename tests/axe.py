"""axe-core (the accessibility engine of most browser audits) run in a Playwright page.

axe-core comes from npm: `.ci/run` installs the pinned version into a cache folder (AXE_CORE_DIR, default
~/.cache/smol-trader/axe-core); when it is missing and npm is on the PATH, it is installed there on first use.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

AXE_VERSION = "4.14.1"
AXE_DIR = Path(os.environ.get("AXE_CORE_DIR") or Path.home() / ".cache" / "smol-trader" / "axe-core")
BLOCKING = ("critical", "serious")
# Moderate findings accepted, each with its reason (docs/accessibility.md lists them too). None today.
ACCEPTED_MODERATE: dict[str, str] = {}


def axe_script() -> Path:
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists() and shutil.which("npm"):
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund", "--silent",
                        f"axe-core@{AXE_VERSION}"], check=True, timeout=300)
    if not script.exists():
        pytest.fail(f"axe-core {AXE_VERSION} not found in {AXE_DIR}: `npm install --prefix {AXE_DIR} "
                    f"axe-core@{AXE_VERSION}` (.ci/run does)")
    return script


def violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (after Gradio's pending updates have settled)."""
    page.wait_for_function("document.querySelectorAll('.pending, .generating').length === 0")
    page.wait_for_timeout(300)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script()))
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")


def assert_accessible(page, where: str) -> None:
    """Zero critical or serious violations, and no moderate ones but the accepted."""
    found = violations(page)
    bad = [v for v in found if v["impact"] in BLOCKING
           or (v["impact"] == "moderate" and v["id"] not in ACCEPTED_MODERATE)]
    assert not bad, f"axe-core {where}: " + "; ".join(f"{v['impact']} {v['id']} ({v['help']}) on {v['nodes']}"
                                                      for v in bad)
