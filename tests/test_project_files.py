"""The files a researcher looks for beside the code: the licence the package declares, and a citation whose version
is the package's."""

import re
import sys
from pathlib import Path

import normbench

if sys.version_info >= (3, 11):
    import tomllib
else:  # NOTE: tomli is the same parser for 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_the_licence_file_is_the_mit_licence_the_package_declares():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text


def test_the_citation_names_the_packages_version_and_licence():
    text = (ROOT / "CITATION.cff").read_text()
    fields = dict(re.findall(r"^([a-z-]+): (.+)$", text, flags=re.MULTILINE))
    assert fields["cff-version"] == "1.2.0" and fields["type"] == "software" and fields["license"] == "MIT"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert fields["version"].strip('"') == version == normbench.__version__
    assert "title" in fields and "authors:" in text
