"""The report's first screen: the answer sentence, the headline charts, and every caveat in one panel that opens
itself when a caveat changes the answer."""

from __future__ import annotations

from normbench.report import conclusions, sections, stats, tables
from normbench.report.answer import Answer, answer
from normbench.report.frontier import Frontier, frontier
from normbench.report.frontier_section import flag_sentences
from normbench.report.headline import headline_html
from normbench.report.html import part
from normbench.report.throughput import Throughput, throughput

CaveatGroup = tuple[str, list[str], str]


def caveat_groups(run: tables.StoredRun, speed: Throughput | None, front: Frontier | None) -> list[CaveatGroup]:
    """``(title, sentences, note)`` of every caveat of the run: what qualifies its features and samples, the
    machine's load while timing, and every flag of a norm or metric a baseline wins."""
    groups: list[CaveatGroup] = []
    features = sections.warnings(run)
    if features:
        groups.append(("Features, networks and sample sizes", features, ""))
    samples = conclusions.sample_caveats(run)
    if samples:
        groups.append(("What the seeds can tell", samples, ""))
    if speed is not None and speed.busy:
        groups.append(("Timing", [speed.busy_note()], ""))
    groups += sections.flag_groups(run)
    if front is not None and front.dominated:
        groups.append(("⚑ Curves a baseline's curve dominates everywhere", flag_sentences(front), ""))
    return groups


def caveats_html(groups: list[CaveatGroup], found: Answer) -> str:
    """The panel: a count badge, open with the answer-changing caveats first when there are any."""
    count = sum(len(items) for _, items, _ in groups)
    return part("caveats", count, list(found.changes), groups)


def answer_and_caveats(
    run: tables.StoredRun, reference: str | None, comparisons: list[stats.PairedDifference]
) -> tuple[Answer, list[CaveatGroup]]:
    """The answer and every caveat, as data."""
    speed = throughput(run, reference)
    front = frontier(run, reference)[0] if run.curves is not None else None
    return answer(run, reference, comparisons, speed, front), caveat_groups(run, speed, front)


def opening(
    run: tables.StoredRun, reference: str | None, comparisons: list[stats.PairedDifference], quality: str | None
) -> tuple[str, Answer]:
    """The first screen's HTML (answer, charts, caveats) and the answer it gives."""
    speed = throughput(run, reference)
    front = frontier(run, reference)[0] if run.curves is not None else None
    found = answer(run, reference, comparisons, speed, front)
    html = (
        f"{part('answer', found.sentence, sections.short_provenance(run))}"
        f'<div id="headline">{headline_html(run, quality, speed, front)}</div>'
        f"{caveats_html(caveat_groups(run, speed, front), found)}"
    )
    return html, found
