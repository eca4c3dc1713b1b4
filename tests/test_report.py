"""The report is built only from a stored run, is one self-contained file, and rebuilds identically."""

import base64
import io
import re

import pandas as pd
import pytest
from PIL import Image

from normbench import cli
from normbench.report import charts, tables
from normbench.report.page import write_report

TINY = ["--steps", "2", "--image-size", "32", "--eval-size", "32", "--batch-size", "2", "--device", "cpu"]


@pytest.fixture(scope="module")
def stored_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for run_id, norms in (("a", "in,bn"), ("b", "in,bn,none")):
        assert cli.main(["run", "--norms", norms, "--styles", "waves,tiles", "--metrics", "lpips,contrast_lpips",
                         "--out-dir", str(root), "--run-id", run_id, *TINY]) == 0
    return root


def test_run_writes_a_report_and_a_summary(stored_runs):
    assert (stored_runs / "a" / "report.html").is_file()
    summary = pd.read_csv(stored_runs / "a" / "summary.csv", index_col=0)
    assert list(summary.index) == ["in", "bn"] and "lpips_mean" in summary and "infer_img_per_s_std" in summary


def test_page_is_self_contained_and_every_image_decodes(stored_runs):
    page = (stored_runs / "a" / "report.html").read_text()
    external = re.findall(r"""(?:src|href)\s*=\s*["'](?!data:|#)([^"']*)""", page)
    assert external == [] and not re.search(r"url\((?!#)", page) and "@import" not in page
    images = re.findall(r"data:image/(?:jpeg|png);base64,([A-Za-z0-9+/=]+)", page)
    assert len(images) == 2
    for data in images:
        assert Image.open(io.BytesIO(base64.b64decode(data))).size[0] > 0
    assert page.count("<svg") == 2


def test_detail_table_has_one_row_per_norm_and_style(stored_runs):
    page = (stored_runs / "b" / "report.html").read_text()
    detail = page.split('id="detail"')[1].split("</table>")[0]
    assert detail.count("<tr>") == 1 + 3 * 2  # header + rows


def test_rebuilding_gives_the_same_page(stored_runs, tmp_path):
    first = write_report(stored_runs / "a", tmp_path / "one.html").read_bytes()
    assert write_report(stored_runs / "a", tmp_path / "two.html").read_bytes() == first


def test_random_features_are_flagged_in_red(stored_runs):
    page = (stored_runs / "a" / "report.html").read_text()
    assert '<div class="warn">features=random' in page


def test_report_command_prints_markdown_and_rejects_other_folders(stored_runs, tmp_path, capsys):
    assert cli.main(["report", str(stored_runs / "a"), "-o", str(tmp_path / "r.html"), "--quality", "lpips"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| norm") and "LPIPS ↓" in out and "inference (img/s) ↑" in out
    assert "| in     | tiles   |" in out  # the per-(norm, style) table follows the summary
    assert cli.main(["report", str(tmp_path)]) == 2
    assert cli.main(["report", str(stored_runs / "a"), "--quality", "nope"]) == 2


def test_compare_shows_the_change_for_shared_norms(stored_runs, tmp_path):
    assert cli.main(["compare", str(stored_runs / "a"), str(stored_runs / "b"), "-o", str(tmp_path / "c.html")]) == 0
    page = (tmp_path / "c.html").read_text()
    rows = page.split('id="compare"')[1].split("</table>")[0].count("<tr>") - 1
    assert rows == 2 * len(tables.metric_columns(tables.load_run(stored_runs / "a")))


def test_best_value_follows_each_columns_direction():
    frame = pd.DataFrame({"norm": ["x", "y"], "style": "s", "seed": 0, "status": "ok",
                          "lpips": [0.1, 0.2], "infer_img_per_s": [10.0, 20.0]})
    run = tables.StoredRun(None, frame, {"metrics": {}}, pd.DataFrame())
    best = tables.best_norms(tables.summary(run), tables.metric_columns(run))
    assert best == {"lpips": "x", "infer_img_per_s": "y"}


def test_pareto_front_keeps_only_undominated_points():
    points = pd.DataFrame({"speed": [10, 20, 15, 5], "q": [1.0, 2.0, 3.0, 0.5]}, index=["a", "b", "c", "d"])
    assert list(charts.pareto_front(points, "speed", "q", higher_quality_is_better=False).index) == ["d", "a", "b"]


def test_the_plotted_quality_and_speed_lead_the_summary_table(stored_runs, tmp_path):
    assert cli.main(["report", str(stored_runs / "a"), "-o", str(tmp_path / "r.html"), "--quality", "lpips"]) == 0
    summary = (tmp_path / "r.html").read_text().split('id="summary"')[1].split("</tr>")[0]
    assert summary.index("LPIPS") < summary.index("inference (img/s)") < summary.index("content loss")
