"""The terminal's summary table: every metric's scores, whatever its axis, and speed last."""

from normbench.study.progress import summary_table, summary_tables


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
    table = summary_table([row, {**row, "seed": 1, "sharpness": 4.0}], columns)
    headers = [column.header for column in table.columns]
    assert headers[4:] == ["content_distance ↓", "style_gram ↓", "sharpness ↑", "train_img_per_s ↑"]
    assert [str(cell) for cell in table.columns[6]._cells] == ["3"]  # the mean over seeds


def test_many_scores_are_split_over_tables_with_speed_in_the_first():
    columns = {f"m{index}": {"metric": "plugin", "axis": "other", "higher_is_better": True} for index in range(9)}
    columns["infer_img_per_s"] = {"axis": "speed", "higher_is_better": True}
    row = {"norm": "in", "kind": "norm", "style_split": "train", "seed": 0, "status": "ok"}
    first, second = summary_tables([row], columns, per_table=5)
    assert [column.header for column in first.columns][4:] == [*(f"m{i} ↑" for i in range(5)), "infer_img_per_s ↑"]
    assert [column.header for column in second.columns][4:] == [f"m{i} ↑" for i in range(5, 9)]
