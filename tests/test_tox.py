"""tox.ini says what CI runs: `.ci/run` runs every environment `tox l --no-desc` lists, so a stray one would run
the whole suite again, and a missing one would not run at all."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: tox reads ``name: value`` at the start of a line as a factor condition, which makes ``name`` an environment.
FACTOR = re.compile(r"^\s*[\w!,-]+:\s")


def test_every_line_of_tox_ini_means_what_it_says():
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tox.ini")
    envs = [name.strip() for name in config["tox"]["env_list"].split(",")]
    sections = {section.split(":", 1)[1] for section in config.sections() if section.startswith("testenv:")}
    assert sections <= set(envs), f"environments outside env_list: {sections - set(envs)}"
    factor_lines = [
        f"[{section}] {key}: {line.strip()}"
        for section in config.sections()
        for key, value in config[section].items()
        for line in value.splitlines()
        if FACTOR.match(line)
    ]
    assert not factor_lines, f"tox reads these as factor conditions: {factor_lines}"
    assert "tox l --no-desc" in (ROOT / ".ci" / "run").read_text()
