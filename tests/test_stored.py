"""Reports and compare on stored runs that are cut, empty, edited or incomplete: exit 2 naming the file and what
is wrong, or a report with a visible note where the rest is usable."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image
from tiny import tiny_args

from normbench import cli

TINY = tiny_args(styles=None)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """One tiny run whose styles sit in a folder and a subfolder of it, and a second with another norm."""
    root = tmp_path_factory.mktemp("stored")
    styles = root / "styles"
    (styles / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for path in (styles / "top.png", styles / "sub" / "inner.png"):
        Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(path)
    for norm, run_id in (("in", "a"), ("bn", "b")):
        assert (
            cli.main(
                ["run", "--norms", norm, *TINY, "--style-dir", str(styles), "--out-dir", str(root), "--run-id", run_id]
            )
            == 0
        )
    return root


def copy_of(stored, tmp_path, run_id="a"):
    shutil.copytree(stored / run_id, tmp_path / run_id)
    return tmp_path / run_id


def edit_manifest(run, change):
    manifest = json.loads((run / "manifest.json").read_text())
    change(manifest)
    (run / "manifest.json").write_text(json.dumps(manifest))


def report(run, capsys) -> tuple[int, str]:
    code = cli.main(["report", str(run)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err


def test_a_style_in_a_subfolder_gets_its_grid_in_the_report(stored):
    page = (stored / "a" / "report.html").read_text()
    assert 'alt="grid_sub/inner"' in page and 'alt="grid_top"' in page
    assert (stored / "a" / "images" / "grid_sub%2Finner.png").is_file()


def test_a_run_of_0_1_keeps_its_grids_where_it_wrote_them(stored, tmp_path, capsys):
    run = copy_of(stored, tmp_path)
    images = run / "images"
    (images / "grid_sub").mkdir()
    (images / "grid_sub%2Finner.png").rename(images / "grid_sub" / "inner.png")
    assert report(run, capsys)[0] == 0
    page = (run / "report.html").read_text()
    assert 'alt="grid_sub/inner"' in page and 'alt="grid_top"' in page and "grid missing" not in page


def test_a_results_table_cut_mid_row_is_reported_without_its_last_line_and_a_note(stored, tmp_path, capsys):
    run = copy_of(stored, tmp_path)
    text = (run / "results.csv").read_text()
    (run / "results.csv").write_text(text[: text.rstrip("\n").rfind("\n") + 20])  # NOTE: 20 characters of the last row
    code, err = report(run, capsys)
    assert code == 0 and "note: results.csv ends mid-row" in err
    assert "results.csv ends mid-row" in (run / "report.html").read_text()


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda run: (run / "results.csv").write_text(""), "results.csv: is empty"),
        (lambda run: (run / "results.csv").write_text("a,b\n1,2\n"), "results.csv: no column norm, style, status"),
        (lambda run: (run / "results.csv").write_text('norm,style,status\n"in,waves,ok\n'), "results.csv: not a table"),
        (lambda run: (run / "manifest.json").write_text('{"schema_version": 4, "col'), "manifest.json: not valid JSON"),
        (lambda run: (run / "manifest.json").write_text("[1, 2]"), "manifest.json: not a normbench manifest"),
        (lambda run: edit_manifest(run, lambda m: m.pop("environment")), "manifest.json: has no 'environment.device'"),
        (lambda run: edit_manifest(run, lambda m: m.update(schema_version=99)), "written with results schema 99"),
        (lambda run: (run / "manifest.json").unlink(), "is not a normbench run directory"),
    ],
)
def test_a_broken_stored_file_exits_2_naming_it(stored, tmp_path, capsys, damage, message):
    run = copy_of(stored, tmp_path)
    damage(run)
    code, err = report(run, capsys)
    assert code == 2 and message in err


def test_missing_images_leave_a_visible_note_per_grid(stored, tmp_path, capsys):
    run = copy_of(stored, tmp_path)
    shutil.rmtree(run / "images")
    assert report(run, capsys)[0] == 0
    assert (run / "report.html").read_text().count("grid missing: images/grid_") == 2


def test_compare_with_no_norm_in_common_says_so_and_exits_2(stored, tmp_path, capsys):
    code = cli.main(["compare", str(stored / "a"), str(stored / "b"), "-o", str(tmp_path / "c.html")])
    assert code == 2 and "have no norm in common" in capsys.readouterr().err
    assert not (tmp_path / "c.html").exists()


class _Distribution:
    def __init__(self, direct_url: dict | None):
        self.direct_url, self.version = direct_url, "0.1.0"

    def read_text(self, name):
        return json.dumps(self.direct_url) if name == "direct_url.json" and self.direct_url is not None else None


@pytest.mark.parametrize(
    "direct_url, expected",
    [
        ({"url": "https://example.org/nb.git", "vcs_info": {"vcs": "git", "commit_id": "abc123"}}, "abc123"),
        ({"url": "file:///tmp/normbench-0.1.0.tar.gz", "archive_info": {}}, None),
        (None, None),  # NOTE: a wheel from an index records no direct_url.json at all
    ],
)
def test_the_manifest_commit_is_what_was_installed_or_null(monkeypatch, tmp_path, direct_url, expected):
    """A VCS install's commit comes from pip's record; a plain install's commit is unknown, not the commit of a
    repository its virtual environment happens to sit in."""
    import subprocess

    from normbench.runtime import environment

    project = tmp_path / "someone_elses_project"
    site = project / ".venv" / "lib" / "site-packages"
    site.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    monkeypatch.setattr(environment.metadata, "distribution", lambda name: _Distribution(direct_url))
    commit, how = environment.source_of_normbench(site)
    assert commit == expected
    assert ("abc123" in str(commit)) == ("vcs_info" in (direct_url or {})) and how


def test_a_source_checkout_reports_its_head(tmp_path, monkeypatch):
    import subprocess

    from normbench.runtime import environment

    checkout = tmp_path / "normbench"
    (checkout / "normbench").mkdir(parents=True)
    (checkout / "pyproject.toml").write_text("[project]\nname = 'normbench'\n")
    git = ["git", "-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    editable = _Distribution({"url": checkout.as_uri(), "dir_info": {"editable": True}})
    monkeypatch.setattr(environment.metadata, "distribution", lambda name: editable)
    assert environment.source_of_normbench(checkout)[0] == head
    (checkout / "pyproject.toml").write_text("changed")
    assert environment.source_of_normbench(checkout)[0] == f"{head}-dirty"
