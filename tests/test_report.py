"""The report is built only from a stored run, is one self-contained file, and rebuilds identically."""

import base64
import io
import re

import pandas as pd
import pytest
from PIL import Image
from tiny import tiny_args

from normbench import cli
from normbench.report import charts, tables
from normbench.report.page import write_report
from normbench.store.manifest import Manifest

TINY = tiny_args(metrics=None, styles=None, baselines=None)


@pytest.fixture(scope="module")
def stored_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for run_id, norms in (("a", "in,bn"), ("b", "in,bn,none")):
        assert (
            cli.main(
                [
                    "run",
                    "--norms",
                    norms,
                    "--styles",
                    "waves,tiles",
                    "--metrics",
                    "distances,lpips",
                    "--out-dir",
                    str(root),
                    "--run-id",
                    run_id,
                    *TINY,
                ]
            )
            == 0
        )
    return root


def test_run_writes_a_report_and_a_summary(stored_runs):
    assert (stored_runs / "a" / "report.html").is_file()
    summary = pd.read_csv(stored_runs / "a" / "summary.csv", index_col=0)
    assert list(summary.index) == ["in", "bn", "identity", "color_transfer", "style_image"]
    assert (stored_runs / "a" / "summary.csv").read_text().startswith("name,")  # NOTE: every column has a header
    assert "lpips_mean" in summary and "infer_img_per_s_low" in summary and "style_gram_mean" in summary


def test_page_is_self_contained_and_every_image_decodes(stored_runs):
    page = (stored_runs / "a" / "report.html").read_text()
    external = re.findall(r"""(?:src|href)\s*=\s*["'](?!data:|#)([^"']*)""", page)
    assert external == [] and not re.search(r"url\((?!#)", page) and "@import" not in page
    images = re.findall(r"data:image/(?:jpeg|png);base64,([A-Za-z0-9+/=]+)", page)
    assert len(images) == 2
    for data in images:
        assert Image.open(io.BytesIO(base64.b64decode(data))).size[0] > 0
    # NOTE: style against content, quality against speed, training curves; no mean ranks from one seed
    assert page.count("<svg") == 3


def test_detail_table_has_one_row_per_norm_and_style(stored_runs):
    page = (stored_runs / "b" / "report.html").read_text()
    detail = page.split('id="detail"')[1].split("</table>")[0]
    assert detail.count("<tr>") == 1 + (3 + 3) * 2  # header + a row per norm or baseline and style


def test_rebuilding_gives_the_same_page(stored_runs, tmp_path):
    first = write_report(stored_runs / "a", tmp_path / "one.html").read_bytes()
    assert write_report(stored_runs / "a", tmp_path / "two.html").read_bytes() == first


def test_random_features_are_flagged_in_red(stored_runs):
    page = (stored_runs / "a" / "report.html").read_text()
    # NOTE: in the caveats panel, open because random features change any quality answer, and listed first
    panel = page[page.index('<details class="caveats" id="caveats" open>') :]
    assert panel.index("features=random: random VGG features") < panel.index("features=random: every network")


def test_report_command_prints_markdown_and_rejects_other_folders(stored_runs, tmp_path, capsys):
    assert cli.main(["report", str(stored_runs / "a"), "-o", str(tmp_path / "r.html"), "--quality", "lpips"]) == 0
    out = capsys.readouterr().out
    assert "| norm " in out and "LPIPS ↓" in out and "inference (img/s) ↑" in out
    assert "| identity (baseline) " in out
    assert "| in             | norm     | tiles   |" in out  # the per-row table follows the summary
    assert cli.main(["report", str(tmp_path)]) == 2
    assert cli.main(["report", str(stored_runs / "a"), "--quality", "nope"]) == 2


def test_compare_shows_the_change_for_shared_norms(stored_runs, tmp_path):
    assert cli.main(["compare", str(stored_runs / "a"), str(stored_runs / "b"), "-o", str(tmp_path / "c.html")]) == 0
    page = (tmp_path / "c.html").read_text()
    rows = page.split('id="compare"')[1].split("</table>")[0].count("<tr>") - 1
    assert rows == (2 + 3) * len(tables.metric_columns(tables.load_run(stored_runs / "a")))


COLUMNS = {
    "lpips": {"higher_is_better": False, "axis": "content"},
    "style_gram": {"higher_is_better": False, "axis": "style"},
    "artfid": {"higher_is_better": False, "axis": "composite"},
    "infer_img_per_s": {"higher_is_better": True, "axis": "speed"},
}


def stored(rows: dict[str, dict], wins=None) -> tables.StoredRun:
    """A stored run of one style from ``{name: {"kind": ..., column: value}}``."""
    frame = pd.DataFrame(
        [
            {"norm": name, "style": "s", "style_split": "train", "seed": 0, "status": "ok", **values}
            for name, values in rows.items()
        ]
    )
    baselines = [
        {"name": name, "wins_by_construction": list((wins or {}).get(name, ()))}
        for name, values in rows.items()
        if values["kind"] == "baseline"
    ]
    return tables.StoredRun(
        None, frame, Manifest.from_dict({"columns": COLUMNS, "baselines": baselines}), pd.DataFrame()
    )


def test_best_value_follows_each_columns_direction_and_is_never_a_baseline():
    run = stored(
        {
            "x": {"kind": "norm", "lpips": 0.1, "infer_img_per_s": 10.0},
            "y": {"kind": "norm", "lpips": 0.2, "infer_img_per_s": 20.0},
            "identity": {"kind": "baseline", "lpips": 0.0},
        }
    )
    best = tables.best_norms(tables.summary(run), tables.metric_columns(run), run.kinds())
    assert best == {"lpips": "x", "infer_img_per_s": "y"}


def test_a_stylization_metric_a_baseline_wins_is_flagged_and_never_the_headline():
    run = stored(
        {
            "in": {"kind": "norm", "lpips": 0.2, "style_gram": 0.5, "artfid": 1.3},
            "bn": {"kind": "norm", "lpips": 0.1, "style_gram": 0.6, "artfid": 1.2},
            "identity": {"kind": "baseline", "lpips": 0.0, "style_gram": 0.9, "artfid": 1.05},
            "style_image": {"kind": "baseline", "lpips": 0.4, "style_gram": 0.01, "artfid": 1.4},
        },
        wins={"identity": ("content",), "style_image": ("style",)},
    )
    flags = tables.baseline_flags(run)
    assert [(flag.column, flag.winners) for flag in flags] == [("artfid", (("identity", 1.05),))]
    assert "does not separate stylization from doing nothing" in flags[0].sentence
    assert tables.headline(run) == ("lpips", "style_gram")  # the style image's win on style is its job


def test_when_every_style_metric_is_won_by_a_baseline_the_headline_says_so():
    run = stored(
        {
            "in": {"kind": "norm", "lpips": 0.2, "style_gram": 0.5},
            "color_transfer": {"kind": "baseline", "lpips": 0.1, "style_gram": 0.4},
        }
    )
    assert [flag.column for flag in tables.baseline_flags(run)] == ["style_gram"]
    assert tables.headline(run) == ("lpips", "style_gram")


def test_pareto_front_keeps_only_undominated_points():
    points = pd.DataFrame({"speed": [10, 20, 15, 5], "q": [1.0, 2.0, 3.0, 0.5]}, index=["a", "b", "c", "d"])
    assert list(charts.pareto_front(points, "speed", "q", higher_quality_is_better=False).index) == ["d", "a", "b"]


def test_the_headline_plots_style_against_content_and_those_columns_lead_the_summary(stored_runs, tmp_path):
    assert cli.main(["report", str(stored_runs / "a"), "-o", str(tmp_path / "r.html"), "--quality", "lpips"]) == 0
    page = (tmp_path / "r.html").read_text()
    trade_off = page.split("<svg")[1]
    assert "content distance (lower keeps more of the content)" in trade_off
    assert "style distance (Gram) (lower matches the style more)" in trade_off and "identity" in trade_off
    assert "LPIPS (lower is better)" in page.split("<svg")[2]  # --quality picks the speed view's axis
    summary = page.split('id="summary"')[1].split("</tr>")[0]
    assert summary.index("content distance") < summary.index("style distance (Gram)") < summary.index("LPIPS")


def test_a_baseline_winning_a_column_that_is_not_stylization_is_noted_not_flagged():
    columns = {**COLUMNS, "batch_dependence_train": {"higher_is_better": False, "axis": "invariance"}}
    run = stored(
        {
            "bn": {"kind": "norm", "lpips": 0.2, "style_gram": 0.5, "batch_dependence_train": 0.1},
            "in": {"kind": "norm", "lpips": 0.3, "style_gram": 0.4, "batch_dependence_train": 0.0},
            "identity": {"kind": "baseline", "lpips": 0.0, "style_gram": 0.9, "batch_dependence_train": 0.0},
        },
        wins={"identity": ("content",)},
    )
    run.manifest.columns = columns
    assert tables.baseline_flags(run) == []
    notes = tables.baseline_notes(run)
    assert notes[0].startswith("lpips (lpips, axis content): identity 0 (by construction)")
    assert notes[1].startswith("batch_dependence_train (batch_dependence_train, axis invariance): identity 0,")


def test_every_page_piece_escapes_what_it_is_given_and_no_module_escapes_by_hand():
    """Names come from plugins and image folders: the templates escape them, so the Python side never has to."""
    import pathlib

    from normbench.report import html

    hostile = '<script>alert("x")</script>'
    table = html.sortable_table([hostile], [[(hostile, hostile, True)]], "t")
    assert "<script>" not in table and "&lt;script&gt;" in table and 'class="best"' in table
    assert "<script>alert" not in html.part("box", "flags", hostile, [hostile], hostile)
    assert "<script>alert" not in html.part("grid", hostile, "", hostile)
    page = html.page(hostile, html.part("notes", [hostile]))
    assert page.count("<script>") == 1  # NOTE: the page's own sorting script, nothing else
    sources = pathlib.Path(html.__file__).parent.glob("*.py")
    assert not [path.name for path in sources if "html.escape" in path.read_text()]


def test_one_number_formatter():
    from normbench.numbers import MISSING, format_number

    assert [format_number(v) for v in (0.123456, 1234567.8, float("nan"), None, "in", 12)] == [
        "0.1235",
        "1,234,568",
        MISSING,
        MISSING,
        "in",
        "12",
    ]
    assert format_number(0.5, 3, signed=True) == "+0.5" and format_number(-2500.0, signed=True) == "-2,500"


def test_report_and_compare_print_their_summaries_as_json(stored_runs, tmp_path, capsys):
    """--json: one document on stdout holding what the tables show, numbers equal to summary.csv, NaN as null."""
    import json

    assert cli.main(["report", str(stored_runs / "a"), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["run_id"] == "a" and document["reference"] == "in" and document["features"] == "random"
    assert document["columns"]["lpips"] == {"label": "LPIPS", "higher_is_better": False, "axis": "content"}
    by_norm = {row["norm"]: row for row in document["summary"]}
    summary = pd.read_csv(stored_runs / "a" / "summary.csv", index_col=0)
    assert by_norm["bn"]["lpips"]["mean"] == pytest.approx(summary.loc["bn", "lpips_mean"])
    assert by_norm["identity"]["kind"] == "baseline" and by_norm["identity"]["seeds"] is None
    assert by_norm["in"]["lpips"]["low"] is None  # NOTE: one seed: no interval, null rather than NaN
    assert len(document["verdicts"]) == 1 and document["verdicts"][0].startswith("bn vs in")
    assert {flag["column"] for flag in document["flags"]} <= set(document["columns"])

    out = tmp_path / "c.html"
    assert cli.main(["compare", str(stored_runs / "a"), str(stored_runs / "b"), "-o", str(out), "--json"]) == 0
    changes = json.loads(capsys.readouterr().out)
    assert changes["a"] == "a" and changes["b"] == "b" and changes["page"] == str(out)
    row = next(c for c in changes["changes"] if c["norm"] == "bn" and c["column"] == "lpips")
    assert row["change"] == pytest.approx(row["b"] - row["a"]) and row["verdict"].startswith("untested")
