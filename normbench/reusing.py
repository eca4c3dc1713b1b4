"""A finished run's trained generators reused from Python: :func:`stylize` (also in tiles), :func:`check_tiles`
and :func:`export`, as ``normbench stylize`` and ``normbench export`` call them; :mod:`normbench.api` re-exports
them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from normbench.errors import UserError

if TYPE_CHECKING:
    from normbench.reuse.deploy import Exported


def stylize(
    run_dir: str | Path,
    images: list[str | Path],
    output: str | Path,
    *,
    norm: str,
    style: str,
    seed: int | None = None,
    size: int | None = 512,
    device: str = "auto",
    disable_plugin=(),
    tiles: int = 1,
) -> list[Path]:
    """Apply the generator the run in ``run_dir`` trained for ``norm`` and ``style`` (``seed``: the run's first) to
    ``images`` at ``size`` pixels on the short side (None: each image's own size), in fp32 as the run measured it,
    like ``normbench stylize``; with ``tiles`` > 1, as a ``tiles x tiles`` grid (URST: thumbnail statistics where
    the norm takes them). Returns the PNGs written into ``output``.

    :raises UserError: for an image that is not a file, a size out of range, or a model the run does not have.
    """
    from normbench.reuse.deploy import stylize_files
    from normbench.reuse.tiles import stylize_tiled_files

    model, paths = _stored_model(run_dir, images, norm, style, seed, size, device, disable_plugin, tiles)
    if tiles == 1:
        return stylize_files(model, paths, Path(output), size)
    return stylize_tiled_files(model, paths, Path(output), size, tiles)[0]


def check_tiles(
    run_dir: str | Path,
    images: list[str | Path],
    output: str | Path,
    *,
    norm: str,
    style: str,
    tiles: int = 4,
    seed: int | None = None,
    size: int | None = None,
    device: str = "auto",
    disable_plugin=(),
):
    """Stylize ``images`` whole and as a ``tiles x tiles`` grid, like ``normbench stylize --tiles N
    --compare-whole``: both PNGs go into ``output``, and the difference and seam step of each image are appended to
    ``output/tiles.csv`` and returned (``normbench.reuse.tiles.TileCheck``)."""
    from normbench.reuse.tiles import stylize_tiled_files

    model, paths = _stored_model(run_dir, images, norm, style, seed, size, device, disable_plugin, tiles)
    return stylize_tiled_files(model, paths, Path(output), size, tiles, compare_whole=True)[1]


def _stored_model(run_dir, images, norm, style, seed, size, device, disable_plugin, tiles):
    """The one model ``stylize`` and ``check_tiles`` apply, and the image paths, every argument checked."""
    from normbench.reuse.deploy import stored_models
    from normbench.reuse.reopen import open_run

    paths = [Path(image) for image in images]
    if size is not None and not 0 < size <= 8192:
        raise UserError(f"size must be from 1 to 8192 pixels, or None for each image's own size; got {size}")
    if not 1 <= tiles <= 64:
        raise UserError(f"tiles must be from 1 (the whole image) to 64 per side, got {tiles}")
    for image in paths:
        if not image.is_file():
            raise UserError(f"image {str(image)!r} does not exist or is not a file")
    [model] = stored_models(open_run(Path(run_dir), device, disable_plugin=disable_plugin), norm, style, seed)
    return model, paths


def export(
    run_dir: str | Path,
    format: str,
    output: str | Path | None = None,
    *,
    norm: str | None = None,
    style: str | None = None,
    seed: int | None = None,
    disable_plugin=(),
    device: str = "cpu",
) -> list[Exported]:
    """Export the run's trained generators (those of ``norm``, ``style`` and ``seed``: the first seed by default)
    to ``format`` (onnx or torchscript) with the style built in, into ``output`` (default RUN_DIR/export/FORMAT),
    like ``normbench export``, loaded, exported and checked on ``device`` (cpu, cuda or cuda:N). Each export is
    run on an evaluation image and kept only if it matches the eager model within 1e-4; one that cannot be
    exported says why in its :class:`~normbench.reuse.deploy.Exported`.

    :raises UserError: for a format normbench does not export, or a model the run does not have.
    """
    from normbench.reuse.deploy import export_models

    path = Path(run_dir)
    return export_models(
        path, format, Path(output) if output else path / "export" / format, (norm, style, seed), disable_plugin, device
    )
