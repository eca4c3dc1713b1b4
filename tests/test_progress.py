"""The terminal: the summary table (every metric's scores, whatever its axis, and speed last), and every name a
user or a plugin gives printed as it is, never read as rich markup."""

import ast
import io
from pathlib import Path

from PIL import Image
from rich.text import Text
from tiny import run_tiny

import normbench
from normbench.lifecycle.progress import RunProgress, plain_console, summary_table, summary_tables

#: Names rich would read as markup (a closing tag that opens nothing, a style) or as an emoji code.
AWKWARD = ("a[/x]/plain", "[bold]x[/bold]", "w:smile:s", "[red]")


def entry(row: dict, **stats) -> dict:
    """``row`` as an entry of ``run_summary``'s summary: every number a mean without interval, then ``stats``."""
    numbers = {key: {"mean": value, "low": float("nan"), "high": float("nan")} for key, value in row.items()}
    seeds = 1 if row.get("kind") == "norm" else None
    return {**row, **{k: v for k, v in numbers.items() if isinstance(row[k], (int, float))}, "seeds": seeds, **stats}


def test_the_terminal_summary_shows_every_metric_score_of_any_axis_and_no_provenance_column():
    columns = {
        "content_distance": {"metric": "distances", "axis": "content", "higher_is_better": False},
        "sharpness": {"metric": "sharp", "axis": "composite", "higher_is_better": True},
        "hue_shift": {"metric": "plugin", "axis": "info", "higher_is_better": None},
        "style_gram": {"metric": "distances", "axis": "style", "higher_is_better": False},
        "train_img_per_s": {"axis": "speed", "higher_is_better": True},
        "params": {"axis": "info", "higher_is_better": None},
    }
    row = {
        "norm": "in",
        "kind": "norm",
        "style_split": "train",
        "seed": 0,
        "status": "ok",
        "content_distance": 0.5,
        "sharpness": 2.0,
        "hue_shift": 1.0,
        "style_gram": 0.25,
        "train_img_per_s": 3.0,
    }
    table = summary_table([entry(row, sharpness={"mean": 3.0, "low": 1.0, "high": 5.0})], columns)
    headers = [column.header for column in table.columns]
    assert headers[4:] == ["content_distance ↓", "style_gram ↓", "sharpness ↑", "train_img_per_s ↑"]
    assert [str(cell) for cell in table.columns[6]._cells] == ["3 [1, 5]"]  # the mean over seeds, its interval
    assert [str(cell) for cell in table.columns[4]._cells] == ["0.5"]  # no interval: the mean alone


def test_many_scores_are_split_over_tables_with_speed_in_the_first():
    columns = {f"m{index}": {"metric": "plugin", "axis": "other", "higher_is_better": True} for index in range(9)}
    columns["infer_img_per_s"] = {"axis": "speed", "higher_is_better": True}
    row = {"norm": "in", "kind": "norm", "style_split": "train", "seed": 0, "status": "ok"}
    first, second = summary_tables([entry(row)], columns, per_table=5)
    assert [column.header for column in first.columns][4:] == [*(f"m{i} ↑" for i in range(5)), "infer_img_per_s ↑"]
    assert [column.header for column in second.columns][4:] == [f"m{i} ↑" for i in range(5, 9)]


def test_a_crowded_table_folds_its_headers_and_never_cuts_a_name():
    # Seven scores and two speeds are wider than a 160-column log: rich shrinks columns, and a norm cut to
    # "color_trans…" could no longer be told from another.
    columns = {f"score_number_{i}": {"metric": "plugin", "axis": "other", "higher_is_better": True} for i in range(7)}
    columns |= {name: {"axis": "speed", "higher_is_better": True} for name in ("train_img_per_s", "infer_img_per_s")}
    names = ("color_transfer", "gn_with_a_long_name@unet")
    rows = [{"norm": name, "kind": "baseline", "style_split": "heldout", "seed": 0, "status": "ok"} for name in names]
    stream = io.StringIO()
    plain_console(file=stream, width=160).print(summary_table([entry(row) for row in rows], columns))
    shown = stream.getvalue()
    assert max(len(line) for line in shown.splitlines()) <= 160
    for name in (*names, "baseline", "heldout"):
        assert f"│ {name} " in shown


def test_names_with_markup_reach_the_progress_display_and_the_table_as_they_are():
    stream = io.StringIO()
    console = plain_console(file=stream, width=200)
    columns = {"style_gram": {"metric": "distances", "axis": "style", "higher_is_better": False, "label": "Gram"}}
    rows = [
        {
            "norm": name,
            "kind": "norm",
            "style": name,
            "style_split": "train",
            "seed": 0,
            "status": "ok",
            "style_gram": 1,
        }
        for name in AWKWARD
    ]
    with RunProgress(console) as display:
        display.start_run(len(AWKWARD), columns)
        for name in AWKWARD:
            with display.model(f"{name} on {name}", steps=2) as on_step:
                on_step(1, {"total": 0.5})
        display.model_done(rows)
        display.model_done([{**rows[0], "status": "error", "error": "[/y] broke"}])
    console.print(summary_table([entry(row) for row in rows], columns))
    console.print(f"report: {AWKWARD[0]}/report.html")
    shown = stream.getvalue()
    for name in AWKWARD:
        assert f"{name}/{name}: Gram 1" in shown and f"│ {name} " in shown
    assert "[/y] broke" in shown and f"report: {AWKWARD[0]}/report.html" in shown


def test_a_style_folder_with_brackets_runs_to_the_end(tmp_path, capsys):
    folder = tmp_path / "styles" / "a[/x]"
    folder.mkdir(parents=True)
    Image.new("RGB", (40, 40), (200, 30, 30)).save(folder / "plain.jpg")
    assert run_tiny(tmp_path, "--style-dir", str(tmp_path / "styles"), "--norms", "in", styles=None) == 0
    assert "in/a[/x]/plain:" in capsys.readouterr().err
    assert (tmp_path / "runs" / "r" / "manifest.json").is_file()


def test_every_console_and_progress_column_of_the_package_takes_text_as_it_is():
    """rich reads markup wherever a console or a TextColumn is made with its defaults; only plain_console makes one,
    and every TextColumn says markup=False."""
    package = Path(normbench.__file__).parent
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                keywords = {keyword.arg: keyword.value for keyword in node.keywords}
                where = f"{path.relative_to(package)}:{node.lineno}"
                if node.func.id.endswith("Console"):
                    assert path.name == "progress.py", f"{where}: make consoles with plain_console()"
                    assert isinstance(keywords.get("markup"), ast.Constant) and not keywords["markup"].value, where
                if node.func.id == "TextColumn":
                    assert isinstance(keywords.get("markup"), ast.Constant) and not keywords["markup"].value, where


def test_colour_is_given_by_text_styles():
    stream = io.StringIO()
    plain_console(file=stream).print(Text("no", style="red"), "[red]no[/red]")
    assert stream.getvalue() == "no [red]no[/red]\n"
