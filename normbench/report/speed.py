"""The speed section: built only from a stored ``bench.csv`` and its manifest, like every other report part."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from normbench.numbers import format_number
from normbench.report.html import page, part, sortable_table
from normbench.store.bench_directory import read_bench

#: Shown columns of the speed table: (bench.csv column, header).
SHOWN = [
    ("norm", "norm"),
    ("kind", "kind"),
    ("size", "size"),
    ("batch", "batch"),
    ("mode", "speed mode"),
    ("img_per_s", "img/s ↑"),
    ("iqr", "img/s IQR"),
    ("speedup", "× plain ↑"),
    ("achieved_tflops", "TFLOP/s"),
    ("peak_share", "% of peak"),
    ("gflops_per_img", "GFLOP/img"),
    ("compile_s", "compile s"),
    ("peak_mem_mb", "peak MiB"),
    ("process_max_rss_mb", "process max RSS MiB"),
    ("status", "status"),
]


def display(frame: pd.DataFrame) -> pd.DataFrame:
    """The speed table as shown: IQR as a range, the peak share in percent."""
    shown = frame.assign(
        iqr=[f"{format_number(a, 3)}–{format_number(b, 3)}" for a, b in zip(frame.img_per_s_q1, frame.img_per_s_q3)],
        peak_share=frame.peak_share * 100,
    )
    return shown[[column for column, _ in SHOWN]].rename(columns=dict(SHOWN))


def best_against_plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Per norm, kind, size and batch: the plain baseline, the fastest mode and the speed-up."""
    ok = frame[frame.status == "ok"]
    rows = []
    for (norm, kind, size, batch), group in ok.groupby(["norm", "kind", "size", "batch"], sort=False):
        plain = group[group["mode"] == "plain"].img_per_s
        best = group.loc[group.img_per_s.idxmax()]
        rows.append(
            {
                "norm": norm,
                "kind": kind,
                "size": size,
                "batch": batch,
                "plain img/s": plain.iloc[0] if len(plain) else math.nan,
                "fastest mode": best["mode"],
                "fastest img/s": best.img_per_s,
                "× plain": best.speedup,
                "% of peak": best.peak_share * 100,
            }
        )
    return pd.DataFrame(rows)


def facts(frame: pd.DataFrame, manifest: dict) -> str:
    env = manifest.get("environment", {})
    device = env.get("device", {})
    plan = manifest.get("plan", {})
    peaks = frame.dropna(subset=["peak_source"]).drop_duplicates("peak_source")
    sources = "; ".join(f"{peak:.3g} TFLOP/s, {source}" for peak, source in zip(peaks.peak_tflops, peaks.peak_source))
    return (
        f"device {device.get('name')} ({device.get('type')}) · {plan.get('threads')} torch threads · torch "
        f"{env.get('packages', {}).get('torch')} · {manifest.get('timing', '')} · peak: {sources} · "
        f"FLOPs: {manifest.get('flops', '')} · status {manifest.get('status')} · "
        f"commit {str(env.get('git_commit'))[:12]}"
    )


def section(path: Path) -> str:
    """The HTML speed section for the bench stored at ``path``."""
    frame, manifest = read_bench(path)
    summary, full = best_against_plain(frame), display(frame)
    profiles = "".join(
        part("details", file.stem, file.read_text("utf-8")) for file in sorted(path.glob("profile_*.txt"))
    )
    return (
        f"<h2>Speed</h2>{part('banner', facts(frame, manifest), [])}"
        f"<h3>Fastest mode against the plain baseline (fp32, NCHW, eager), same process</h3>"
        f"{sortable_table(list(summary.columns), _cells(summary), 'speed-summary')}"
        f"<h3>Every timed configuration</h3>{sortable_table(list(full.columns), _cells(full), 'speed')}"
        f"<p>img/s is the median over timed repetitions; IQR gives the inter-quartile range. "
        f"compile s is the first call's extra time. peak MiB is the CUDA allocator's peak for that "
        f"configuration; process max RSS is the whole process's high-water mark so far.</p>"
        + (f"<h3>Where the time goes: one training step</h3>{profiles}" if profiles else "")
    )


def _cells(frame: pd.DataFrame) -> list[list[tuple[str, object, bool]]]:
    return [
        [
            (
                format_number(v, 3) if isinstance(v, float) else str(v),
                "" if isinstance(v, float) and math.isnan(v) else v,
                False,
            )
            for v in record
        ]
        for record in frame.itertuples(index=False)
    ]


def render(path: Path) -> str:
    """A whole page for a bench directory."""
    _, manifest = read_bench(path)
    return page(f"normbench speed report: {manifest.get('run_id', path.name)}", section(path))


def write_speed_report(path: Path, output: Path | None = None) -> Path:
    from normbench.fileio import atomic_write_text

    output = output or path / "report.html"
    atomic_write_text(output, render(path))
    return output


def markdown(path: Path) -> str:
    frame, _ = read_bench(path)
    return (
        best_against_plain(frame).to_markdown(index=False, floatfmt=".4g")
        + "\n\n"
        + display(frame).to_markdown(index=False, floatfmt=".4g")
    )
