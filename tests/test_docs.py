"""The front door and the site stay walkable: a short README whose test command CI runs verbatim, every secret the
app reads in its Space table, every page of the site's nav present, every relative link of the README pointing at
a file that exists. (`mkdocs build --strict` in .ci/run checks the site's own links and anchors.)"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from hub.deploy import REQUIRED_SECRETS, SECRET_ENV_VARS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_is_a_front_door():
    assert len(README.splitlines()) <= 300
    for heading in ("## The two commands", "## Choosing a model", "## Deploying to a Space",
                    "## Five questions to ask", "## Three safety promises", "## Learn more"):
        assert heading in README
    assert "Python 3.11+" in README and "python app.py" in README


def test_ci_runs_the_readmes_test_command_verbatim():
    commands = re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)
    [test_command] = [c for c in commands if "pytest" in c]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command.strip() in ci.splitlines(), f"keep .ci/run in step with the README: {test_command!r}"
    assert "mkdocs build --strict" in ci and "requirements-docs.txt" in ci


def test_the_space_table_names_every_secret_and_which_are_required():
    table = README[README.index("## Deploying to a Space"):README.index("## Five questions to ask")]
    for name in SECRET_ENV_VARS:
        assert f"`{name}`" in table, f"{name} missing from the README's Space secrets"
    for name in REQUIRED_SECRETS:
        assert re.search(rf"`{name}`[^\n]*\*\*required\*\*", table)


def nav_pages(entries) -> list[str]:
    pages = []
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages += nav_pages(value) if isinstance(value, list) else [value]
    return pages


class MkDocsLoader(yaml.SafeLoader):
    """mkdocs.yml's own tags (`!relative`) read as plain values."""


MkDocsLoader.add_multi_constructor("!", lambda loader, tag, node: loader.construct_scalar(node))


def test_every_page_of_the_nav_exists():
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=MkDocsLoader)
    assert config["theme"]["name"] == "material"
    missing = [page for page in nav_pages(config["nav"]) if not (ROOT / "docs" / page).is_file()]
    assert not missing, missing


def test_the_readmes_relative_links_exist():
    links = [link.split("#")[0] for link in re.findall(r"\]\(([^)\s]+)\)", README) if "://" not in link]
    missing = [link for link in links if link and not (ROOT / link).exists() and link != "docs/img/app.png"]
    assert not missing, missing
