"""The images of a run: where each cell keeps its stylized outputs, and the grid per style drawn from them."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from normbench.imageio import path_component
from normbench.images import style_grid
from normbench.lifecycle.evaluation import GRID_IMAGES
from normbench.lifecycle.plan import RunPlan
from normbench.store.cells import CellStore
from normbench.store.directory import RunDirectory, grid_path


def cell_image(eval_names: list[str], style: str, index: int) -> Path:
    """Where the output of evaluation image ``index`` for ``style`` goes, relative to its cell:
    ``images/<style>/<content>.png``, each name one component (:func:`~normbench.imageio.path_component`), so that
    no two (style, image) pairs share a file whatever their folders."""
    return Path("images", path_component(style), f"{path_component(eval_names[index])}.png")


def write_grids(plan: RunPlan, run_dir: RunDirectory, style_images: list, eval_set, finished: set[str]) -> None:
    """One grid per style of ``style_images`` from the ``finished`` cells of ``plan`` (its first seed's models, then
    the baselines), read back from the cells' files, so that an interrupted or resumed run has the grids an
    uninterrupted one has."""
    contents = eval_set.images(GRID_IMAGES)
    store = CellStore(plan.path)
    first_seed = [c for c in plan.model_cells() if c.seed == plan.config.seeds[0]]
    shown = [c for c in first_seed + [c for c in plan.cells if c.kind == "baseline"] if c.id in finished]
    for style_name, style_image in style_images:
        columns = {}
        for cell in shown:
            paths = [store.path(cell.id) / cell_image(eval_set.names, style_name, i) for i in range(len(contents))]
            if all(path.is_file() for path in paths):
                # NOTE: "x", not "×": the grid's bitmap font has no multiplication sign
                label = cell.name + ("" if cell.style_weight is None else f" x{cell.style_weight:g}")
                columns[label] = [Image.open(path).convert("RGB") for path in paths]
        if columns:
            grid = style_grid(style_image, contents, columns, plan.profile.eval_size)
            run_dir.write_png(grid_path(style_name), grid)
