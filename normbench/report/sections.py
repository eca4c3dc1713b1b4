"""The parts of a run's page, each built only from the stored run."""

from __future__ import annotations

from normbench.numbers import format_number
from normbench.report import analysis, charts, tables
from normbench.report.html import image_data_uri, part, sortable_table
from normbench.report.norm_flags import norm_flags
from normbench.report.problems import run_problems
from normbench.weights.sources import network_lines

_SPREAD = "sd over evaluation draws (one seed: no interval over seeds)"
_SEED_INTERVAL = "95% interval over training seeds (baselines, which do not train: sd over evaluation draws)"


def summary_html(
    run: tables.StoredRun, first: tuple[str | None, ...] = (), split: str = "train", table_id: str = "summary"
) -> str:
    """The per-norm table, baselines after the norms; ``first`` columns lead (the plotted ones)."""
    columns = tables.metric_columns(run)
    columns = {**{name: columns[name] for name in first if name in columns}, **columns}
    table, kinds = tables.summary(run, split), run.kinds()
    leading = analysis.leading_norms(run, table) if split == "train" else {}
    flagged = {flag.column for flag in tables.baseline_flags(run)}
    headers = ["norm", "seeds"] + [
        f"{c.label} {'↑' if c.higher_is_better else '↓'}{' ⚑' if name in flagged else ''}"
        for name, c in columns.items()
    ]
    rows = []
    for norm in table.index:
        seeds = tables.seed_label(table, norm, kinds)
        rows.append(
            [(f"{norm} (baseline)" if kinds.get(norm) == "baseline" else norm, norm, False), (seeds, seeds, False)]
            + [
                (tables.format_cell(table, norm, name), table.loc[norm, (name, "mean")], norm in leading.get(name, ()))
                for name in columns
            ]
        )
    return sortable_table(headers, rows, table_id)


def detail_html(run: tables.StoredRun) -> str:
    frame = tables.detail(run)
    rows = [
        [(format_number(v) if isinstance(v, float) else v, v, False) for v in record]
        for record in frame.itertuples(index=False)
    ]
    return sortable_table(list(frame.columns), rows, "detail")


def flag_groups(run: tables.StoredRun) -> list[tuple[str, list[str], str]]:
    """``(title, sentences, note)``: every norm no better than a baseline on a stylization metric, every
    stylization metric a baseline wins against all norms, and the other columns baselines win."""
    flags, notes, by_norm = tables.baseline_flags(run), tables.baseline_notes(run), norm_flags(run)
    groups = []
    if by_norm:
        groups.append(
            (
                "⚑ Norms no better than doing nothing on a stylization metric",
                [flag.sentence for flag in by_norm],
                "Each norm against each baseline, paired over seeds (the mean over the training styles of norm − "
                "baseline); “worse than” where a paired test over seeds finds it, Holm over every such contest, "
                "with each interval at its Holm step's level.",
            )
        )
    if flags:
        groups.append(
            (
                "⚑ Metrics that do not separate stylization from doing nothing in this run",
                [flag.sentence for flag in flags],
                "These columns are reported but are never the headline.",
            )
        )
    if notes:
        groups.append(
            (
                "Columns a baseline wins or ties that do not measure stylization",
                notes,
                "Content columns are one axis of the trade-off; invariance columns describe which statistics a "
                "layer uses. Neither says which norm stylizes better.",
            )
        )
    return groups


def heldout_html(run: tables.StoredRun) -> str:
    """Models that take arbitrary styles on styles they never trained on, beside the baselines on the same styles."""
    heldout = run.ok[run.ok.style_split == "heldout"]
    if heldout.empty:
        return ""
    styles = ", ".join(dict.fromkeys(heldout["style"]))
    return (
        f"{part('heading', 2, f'Held-out styles (never trained on): {styles}')}"
        f"{summary_html(run, tables.headline(run), 'heldout', 'heldout')}"
        "<p>Only norms that take arbitrary styles (style_feat conditioning) are measured here; compare each "
        "with its own row on the training styles above.</p>"
    )


def legend_html(run: tables.StoredRun) -> str:
    """Each column's description and direction, with the notes that qualify it."""
    columns = [
        (
            column.label,
            name,
            column.description,
            "higher is better" if column.higher_is_better else "lower is better",
            column.axis,
        )
        for name, column in tables.declared_columns(run).items()
        if column.ranked
    ]
    notes = [
        (note, text)
        for note in ("fid_note", "artfid_note")
        if note in run.results
        for text in dict.fromkeys(run.results[note].dropna().astype(str))
    ]
    return part("legend", columns, notes)


def curves_html(run: tables.StoredRun) -> str:
    if run.train_log.empty:
        return "<p>no training log</p>"
    return charts.training_curves(run.train_log) + '<p class="note">Baselines do not train.</p>'


def grids_html(run: tables.StoredRun) -> str:
    """Every style's grid, found by the styles of the rows (a style in a subfolder too); a missing file is said."""
    return "".join(
        part("grid", style, image_data_uri(path) if path.is_file() else "", str(path.relative_to(run.path)))
        for style, path in run.grids()
    )


def banner(run: tables.StoredRun) -> str:
    """The provenance of every number on the page, with warnings in red."""
    return part("banner", provenance(run), warnings(run))


def provenance(run: tables.StoredRun) -> str:
    """Where every number of the run came from: device, precision, versions, profile, seeds, networks."""
    manifest, profile = run.manifest, run.manifest.config["profile"]
    env, packages = manifest.environment, manifest.environment["packages"]
    speed = manifest.config.get("speed", {}).get("speed", "plain")
    facts = (
        f"device {env['device']['name']} ({env['device']['type']}) · precision {profile['precision']} · "
        f"speed {speed} · normbench {packages.get('normbench')} · torch {packages.get('torch')} · "
        f"profile {profile['name']}: {profile['steps']} steps/style at {profile['image_size']}², batch "
        f"{profile['batch_size']} · {manifest.evaluation.get('eval_images')} evaluation images at "
        f"{profile['eval_size']}² · features {manifest.features} · training seeds {_seeds(run)} · "
        f"status {manifest.status} · wall time {_duration(manifest.wall_seconds)} · "
        f"commit {str(env.get('git_commit'))[:12]}"
    )
    if manifest.pooled_from:
        facts += " · pooled from " + ", ".join(
            f"{entry['run_id']} (seeds {entry['seeds']}, {entry['status']}"
            + (f", {entry['device']}" if entry.get("device") else "")
            + ")"
            for entry in manifest.pooled_from
        )
    if manifest.networks:
        facts += " · networks: " + "; ".join(network_lines(manifest.networks))
    return facts


def short_provenance(run: tables.StoredRun) -> str:
    """One line: the norms, seeds, profile, features, device and status."""
    manifest, profile = run.manifest, run.manifest.config["profile"]
    device = manifest.environment["device"]
    norms = analysis.norms(run)
    return (
        f"{len(norms)} norm{'s' if len(norms) != 1 else ''} ({', '.join(norms)}) · training seeds {_seeds(run)} · "
        f"profile {profile['name']} · features {manifest.features} · precision {profile['precision']} · "
        f"{device['name']} ({device['type']}) · status {manifest.status}"
    )


def warnings(run: tables.StoredRun) -> list[str]:
    """What qualifies every number of the run: random or mixed features, the instrument being the objective,
    repeated cells, problems of the stored run, FID on few samples."""
    manifest, profile = run.manifest, run.manifest.config["profile"]
    found = []
    if manifest.features == "random":
        found.append(
            f"features=random: every network was randomly initialised; content and style distances are "
            f"means over {profile.get('eval_draws')} independently seeded "
            f"{manifest.config.get('eval_network', 'vgg13').upper()} draws. Numbers compare "
            "norms within this run only, not with papers."
        )
    independence = str(manifest.metrics.get("distances", {}).get("independent_of_training", ""))
    if independence.startswith("the instrument is the objective"):
        found.append(independence[0].upper() + independence[1:] + ".")
    if manifest.features == "mixed":
        random = [name for name, source in manifest.networks.items() if source.get("kind") == "random"]
        found.append(
            f"features=mixed: {', '.join(random)} seeded random, the others trained (see the networks under "
            "Provenance). Numbers compare norms within runs of the same networks only."
        )
    if manifest.repeated_cells:
        found.append("cells in more than one run, counted once from the first: " + ", ".join(manifest.repeated_cells))
    found += run.notes
    found += run_problems(run)
    if "fid_n" in run.results and run.results.fid_n.notna().any():
        n, dims = int(run.results.fid_n.max()), int(run.results.fid_dims.max())
        if n < 2048 or dims < 2048:
            found.append(
                f"FID from few samples: {n} patches per row with {dims}-d features, "
                "not comparable with 2048-d FID on thousands of images."
            )
    return found


def _seeds(run: tables.StoredRun) -> str:
    seeds = sorted({int(seed) for seed in run.results.seed.dropna()})
    return ", ".join(map(str, seeds)) if seeds else "none"


def _duration(seconds) -> str:
    if not seconds:
        return "–"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"
