"""``normbench compare RUN_A RUN_B``: two runs' summaries side by side, with the change, when their protocols match."""

from __future__ import annotations

from pathlib import Path

from normbench.errors import UserError
from normbench.report import sections, tables
from normbench.report.html import escape, page, sortable_table

#: Differences listed in a refusal before "and N more".
SHOWN_DIFFERENCES = 8


def _flatten(value, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        return {key: leaf for name, item in value.items() for key, leaf in _flatten(item, f"{prefix}{name}.").items()}
    return {prefix.rstrip("."): value}


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def protocol_differences(run_a: tables.StoredRun, run_b: tables.StoredRun) -> list[str]:
    """``"field: A vs B"`` for every protocol field (profile, precision, features, data, metrics, ...) that differs."""
    a, b = (_flatten(run.manifest.get("protocol", {})) for run in (run_a, run_b))
    return [f"{key}: {_short(a.get(key))} vs {_short(b.get(key))}" for key in sorted(a.keys() | b.keys())
            if a.get(key) != b.get(key)]


def comparison(run_a: tables.StoredRun, run_b: tables.StoredRun):
    """Rows ``(name, column, Column, mean_a, mean_b, change)`` for the norms, baselines and columns both share."""
    columns_a, columns_b = tables.metric_columns(run_a), tables.metric_columns(run_b)
    means_a = tables.summary(run_a).xs("mean", axis=1, level=1)
    means_b = tables.summary(run_b).xs("mean", axis=1, level=1)
    rows = []
    for name in [n for n in means_a.index if n in means_b.index]:
        for column_name, column in columns_a.items():
            if column_name in columns_b:
                a, b = means_a.loc[name, column_name], means_b.loc[name, column_name]
                rows.append((name, column_name, column, a, b, b - a))
    return rows


def _verdict(higher: bool, change: float) -> tuple[str, bool]:
    if change != change or change == 0:
        return "", False
    better = (change > 0) == higher
    return ("better" if better else "worse"), better


def render(run_a: tables.StoredRun, run_b: tables.StoredRun, differences: list[str] = ()) -> str:
    headers = ["norm", "metric", "A", "B", "B − A", "B vs A"]
    rows = []
    for name, _, column, a, b, change in comparison(run_a, run_b):
        word, better = _verdict(column.higher_is_better, change)
        rows.append([(name, name, False), (f"{column.label} {'↑' if column.higher_is_better else '↓'}", column.label, False),
                     (tables.format_value(a), a, False), (tables.format_value(b), b, False),
                     (f"{change:+.4g}", change, better), (word, word, better)])
    names = [run.manifest.get("run_id", run.path.name) for run in (run_a, run_b)]
    mismatch = "" if not differences else (
        '<div class="flags"><b>These runs differ in protocol; their numbers do not measure the same thing:</b><ul>'
        + "".join(f"<li>{escape(line)}</li>" for line in differences) + "</ul></div>")
    body = (f"{mismatch}<h2>A</h2>{sections.banner(run_a)}<h2>B</h2>{sections.banner(run_b)}"
            f"<h2>Change per norm and metric</h2>{sortable_table(headers, rows, 'compare')}"
            f"<h2>A: summary</h2>{sections.summary_html(run_a)}<h2>B: summary</h2>"
            f"{sections.summary_html(run_b, table_id='summary_b')}")
    return page(f"normbench compare: A = {names[0]}, B = {names[1]}", body)


def write_comparison(dir_a: Path, dir_b: Path, output: Path, allow_mismatch: bool = False) -> Path:
    """Write the comparison page.

    :raises UserError: when the runs share no norm, or their protocols differ and ``allow_mismatch`` is off.
    """
    from normbench.results import atomic_write_text

    run_a, run_b = tables.load_run(dir_a), tables.load_run(dir_b)
    shared = set(run_a.kinds()) & set(run_b.kinds())
    if not shared:
        raise UserError(f"{dir_a} and {dir_b} have no norm or baseline in common; nothing to compare")
    differences = protocol_differences(run_a, run_b)
    if differences and not allow_mismatch:
        more = len(differences) - SHOWN_DIFFERENCES
        listed = "; ".join(differences[:SHOWN_DIFFERENCES]) + (f"; and {more} more" if more > 0 else "")
        raise UserError(f"the runs' protocols differ, so their numbers do not compare: {listed}. Pass "
                        "--allow-protocol-mismatch to compare them anyway (the page lists the differences)")
    atomic_write_text(output, render(run_a, run_b, differences))
    return output
