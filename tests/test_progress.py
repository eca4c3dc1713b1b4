"""The terminal's summary table: every metric's columns, whatever its axis, and speed last."""

from normbench.study.progress import summary_table


def test_the_terminal_summary_shows_every_metric_column_of_any_axis():
    columns = {"content_distance": {"metric": "distances", "axis": "content", "higher_is_better": False},
               "sharpness": {"metric": "sharp", "axis": "composite", "higher_is_better": True},
               "hue_shift": {"metric": "plugin", "axis": "info", "higher_is_better": None},
               "style_gram": {"metric": "distances", "axis": "style", "higher_is_better": False},
               "train_img_per_s": {"axis": "speed", "higher_is_better": True},
               "params": {"axis": "info", "higher_is_better": None}}
    row = {"norm": "in", "kind": "norm", "style_split": "train", "seed": 0, "status": "ok", "content_distance": 0.5,
           "sharpness": 2.0, "hue_shift": 1.0, "style_gram": 0.25, "train_img_per_s": 3.0}
    table = summary_table([row, {**row, "seed": 1, "sharpness": 4.0}], columns)
    headers = [column.header for column in table.columns]
    assert headers[4:] == ["content_distance ↓", "style_gram ↓", "sharpness ↑", "hue_shift", "train_img_per_s ↑"]
    assert [str(cell) for cell in table.columns[6]._cells] == ["3"]  # the mean over seeds
