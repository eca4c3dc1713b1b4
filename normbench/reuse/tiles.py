"""Stylizing large images in tiles (URST): ``normbench stylize --tiles N``, and the check of tiles against the whole.

The image is cut into an ``N x N`` grid; layers that take their statistics from a thumbnail (``thumbnail_in``, see
:mod:`normbench.thumbnail`) normalize every tile with those of a thumbnail the size of one tile, every other layer
with the tile's own. With ``compare_whole`` the whole image is stylized too, and ``tiles.csv`` records for each
image how far the tiled output is from it and how much its tile borders step (the columns of the ``patches``
metric, at the user's resolution).
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path

from normbench import data
from normbench.metrics.consistency import grid_borders, seam_step, stylize_in_tiles
from normbench.reuse.deploy import StoredModel, device_of, image_names, image_tensor, output_path

#: The table ``compare_whole`` writes into the output folder.
TILES_TABLE = "tiles.csv"


@dataclass(frozen=True)
class TileCheck:
    """One image stylized in tiles and whole (RGB differences in [0, 1])."""

    image: str
    norm: str
    style: str
    tiles: int
    height: int
    width: int
    statistics: str
    patch_difference: float | None
    seam_step: float | None


def stylize_tiled_files(
    model: StoredModel, paths: list[Path], out_dir: Path, size: int | None, tiles: int, compare_whole: bool = False
) -> tuple[list[Path], list[TileCheck]]:
    """Each image stylized as a ``tiles x tiles`` grid into ``<stem>.<norm>.<style>.tiles<N>.png`` (and, with
    ``compare_whole``, whole into ``<stem>.<norm>.<style>.png``, the two compared in ``TILES_TABLE``)."""
    written, checks = [], []
    for path, name in zip(paths, image_names(paths)):
        image = image_tensor(path, size, device_of(model.module))
        tiled, statistics = stylize_in_tiles(lambda images, statistics="eval": model(images), image, tiles)
        written.append(_save(tiled, output_path(out_dir, name, model, f".tiles{tiles}")))
        difference = step = None
        if compare_whole:
            whole = model(image)
            written.append(_save(whole, output_path(out_dir, name, model)))
            rows, cols = grid_borders(image.shape[2], tiles), grid_borders(image.shape[3], tiles)
            difference, step = float((tiled - whole).abs().mean()), seam_step(tiled, whole, rows, cols)
        checks.append(
            TileCheck(name, model.cell.name, model.style, tiles, *image.shape[2:], statistics, difference, step)
        )
    if compare_whole:
        write_checks(checks, out_dir / TILES_TABLE)
    return written, checks


def _save(image, target: Path) -> Path:
    data.to_image(image[0]).save(target)
    return target


def write_checks(checks: list[TileCheck], target: Path) -> None:
    """Append ``checks`` to the CSV ``target`` (its header written when it is new), so runs for several norms
    into one folder build one table."""
    new = not target.exists()
    with target.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(TileCheck.__dataclass_fields__))
        if new:
            writer.writeheader()
        writer.writerows(asdict(check) for check in checks)
