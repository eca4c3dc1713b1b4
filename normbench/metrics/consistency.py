"""What a generator does where the answer is known: content = style, and an image stylized in patches.

* **Identity** (AdaIN-style#12): given its own style image as content, a generator should give that image back;
  ``identity_error`` is how far it is from it.
* **Patches** (URST, Chen et al. 2022): an image too large for memory is stylized in tiles. Each row's first
  evaluation images are stylized whole and as a 2 x 2 grid of tiles; layers that take part in
  :mod:`normbench.thumbnail` (``thumbnail_in``) normalize every tile with the statistics recorded on a half-size
  thumbnail, every other layer with the tile's own. ``patch_difference`` is how far the tiled image is from the
  whole one, ``seam_step`` how much larger the steps across the tiles' borders are than the whole image's steps
  at the same pixels (0: no seam). A model that cannot run on tiles gets empty values and ``patch_note`` says why.

Both describe behaviour, not stylization quality (axis ``invariance``), in RGB units in [0, 1].
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from normbench.columns import Column
from normbench.metrics.base import Metric, MetricContext, StylizedSample
from normbench.thumbnail import ThumbnailStatistics

#: Evaluation images per row stylized in tiles; tile borders fall on multiples of this many pixels.
PATCH_IMAGES, PATCH_ALIGN = 4, 8


def grid_borders(size: int, parts: int, align: int = PATCH_ALIGN) -> list[int]:
    """Where a side of ``size`` pixels is cut into ``parts`` tiles: near each ``k * size / parts``, rounded down to
    a multiple of ``align`` (so every tile keeps the sizes the generators need)."""
    cuts = sorted({k * size // parts // align * align for k in range(1, parts)})
    return [cut for cut in cuts if 0 < cut < size]


def split(image: torch.Tensor, rows: list[int], cols: list[int]) -> list[list[torch.Tensor]]:
    """``(N, C, H, W)`` cut at the ``rows`` and ``cols`` borders: a grid of tiles, row by row."""
    row_edges, col_edges = [0, *rows, image.shape[2]], [0, *cols, image.shape[3]]
    return [
        [image[..., top:bottom, left:right] for left, right in zip(col_edges, col_edges[1:])]
        for top, bottom in zip(row_edges, row_edges[1:])
    ]


def tile(grid: list[list[torch.Tensor]]) -> torch.Tensor:
    """The inverse of :func:`split`."""
    return torch.cat([torch.cat(row, dim=3) for row in grid], dim=2)


def seam_step(tiled: torch.Tensor, whole: torch.Tensor, rows: list[int], cols: list[int]) -> float:
    """Mean ``|step|`` across the tile borders of ``tiled`` less the mean ``|step|`` of ``whole`` at the same pixel
    pairs (rows ``r - 1, r`` for each border ``r``, columns likewise); 0 where the borders are as smooth as the
    image."""

    def steps(image: torch.Tensor) -> torch.Tensor:
        across_rows = [(image[..., row, :] - image[..., row - 1, :]).abs().flatten() for row in rows]
        across_cols = [(image[..., :, col] - image[..., :, col - 1]).abs().flatten() for col in cols]
        return torch.cat([*across_rows, *across_cols]).double()

    return float(steps(tiled).mean() - steps(whole).mean())


def stylize_in_tiles(stylize, image: torch.Tensor, parts: int = 2) -> tuple[torch.Tensor, str]:
    """``image`` stylized as a ``parts x parts`` grid of tiles, and which statistics the tiles used: those recorded
    on a thumbnail of the tiles' size (URST) where the model's layers take them, else each tile's own."""
    rows, cols = grid_borders(image.shape[2], parts), grid_borders(image.shape[3], parts)
    # NOTE: the thumbnail is the size of a tile, rounded down to the sizes every generator takes
    size = tuple(max(PATCH_ALIGN, side // parts // PATCH_ALIGN * PATCH_ALIGN) for side in image.shape[2:])
    thumbnail = F.interpolate(image, size=size, mode="bilinear", antialias=True, align_corners=False).clamp(0, 1)
    statistics = ThumbnailStatistics()
    with statistics.recording():
        stylize(thumbnail)
    grid = split(image, rows, cols)
    if not len(statistics):
        return tile([[stylize(piece) for piece in row] for row in grid]), "own statistics per tile"
    with statistics.replaying():
        tiled = tile([[stylize(piece) for piece in row] for row in grid])
    return tiled, f"thumbnail statistics ({len(statistics)} layers)"


class IdentityError(Metric):
    """Mean ``|G(s) - s|`` for the row's style image ``s`` given as content, with the row's own style."""

    feature_networks = ()
    columns = (
        Column(
            "identity_error",
            False,
            "identity error (content = style)",
            "invariance",
            "mean |G(s) - s| with the style image s as content: a generator given its own style should change nothing",
        ),
    )

    def __init__(self, context: MetricContext):
        self.reset()

    def reset(self) -> None:
        self._value = math.nan

    @torch.inference_mode()
    def update(self, sample: StylizedSample) -> None:
        if math.isnan(self._value):  # NOTE: one style per row: the first chunk decides
            self._value = float((sample.stylize(sample.style) - sample.style).abs().mean())

    def compute(self) -> dict[str, float]:
        return {"identity_error": self._value}

    def provenance(self) -> dict:
        return {"implementation": "normbench.metrics.consistency", "network": "none (pixel difference)"}


class PatchConsistency(Metric):
    """Whole image against a 2 x 2 tiling of it, with thumbnail statistics where the model's layers take them."""

    feature_networks = ()
    columns = (
        Column(
            "patch_difference",
            False,
            "patch difference",
            "invariance",
            "mean |G(tiles) - G(whole)| over a 2 x 2 tiling, thumbnail statistics where the layers take them",
        ),
        Column(
            "seam_step",
            False,
            "seam step",
            "invariance",
            "mean |step| across the tiles' borders less the whole image's at the same pixels (0: no seam)",
        ),
        Column("patch_note", None, "patch note", "info", "which statistics the tiles used, or why none could run"),
    )

    def __init__(self, context: MetricContext):
        self.reset()

    def reset(self) -> None:
        self._differences: list[float] = []
        self._steps: list[float] = []
        self._note = ""

    @torch.inference_mode()
    def update(self, sample: StylizedSample) -> None:
        take = min(PATCH_IMAGES - len(self._differences), sample.content.shape[0])
        if take <= 0 or self._note.startswith("cannot"):
            return
        for index in range(take):
            image, whole = sample.content[index : index + 1], sample.stylized[index : index + 1]
            try:
                tiled, self._note = stylize_in_tiles(sample.stylize, image)
            except Exception as error:  # noqa: BLE001 - any failure of a model on tiles is what the note reports
                self._note = f"cannot run in patches: {type(error).__name__}: {error}"
                return
            rows, cols = grid_borders(image.shape[2], 2), grid_borders(image.shape[3], 2)
            self._differences.append(float((tiled - whole).abs().mean()))
            self._steps.append(seam_step(tiled, whole, rows, cols))

    def compute(self) -> dict:
        if not self._differences:
            return {"patch_difference": math.nan, "seam_step": math.nan, "patch_note": self._note}
        mean = lambda values: sum(values) / len(values)  # noqa: E731
        return {"patch_difference": mean(self._differences), "seam_step": mean(self._steps), "patch_note": self._note}

    def provenance(self) -> dict:
        return {
            "implementation": "normbench.metrics.consistency",
            "tiling": f"2 x 2, borders at multiples of {PATCH_ALIGN} px",
            "thumbnail": "half size, bilinear with antialiasing",
            "images": PATCH_IMAGES,
        }
