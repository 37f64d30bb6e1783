"""Every relative link in the pages a reader opens resolves in a fresh clone: it names a file (or a
folder holding files) that git tracks, not one that only exists in a working tree."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md", "docs/ARCHITECTURE.md", "data/README.md", "reports/README.md", "reports/CLAIMS.md",
         "reports/SUMMARY.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def tracked() -> set[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return set(out.splitlines())


def relative_links(text: str) -> list[str]:
    """Link targets that point into the repository (no scheme, no anchor-only links), anchors dropped."""
    links = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        links.append(target.split("#", 1)[0])
    return links


def resolve(page: str, target: str) -> str:
    parts = []
    for part in PurePosixPath(page).parent.joinpath(target).parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def test_relative_links_are_parsed_and_resolved():
    text = "[a](html/x.html) [b](https://example.org) [c](#top) [d](../README.md#two) [e](figures/01/)"
    assert relative_links(text) == ["html/x.html", "../README.md", "figures/01/"]
    assert resolve("reports/README.md", "../README.md") == "README.md"
    assert resolve("reports/README.md", "figures/01/") == "reports/figures/01"


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_names_a_tracked_file(page):
    files = tracked()
    assert page in files, f"{page} is not in git"
    text = (ROOT / page).read_text(encoding="utf-8")
    broken = []
    for target in relative_links(text):
        path = resolve(page, target)
        if path not in files and not any(f.startswith(path.rstrip("/") + "/") for f in files):
            broken.append(target)
    assert not broken, f"{page} links to files git does not track: {broken}"
