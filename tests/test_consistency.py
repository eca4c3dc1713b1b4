"""The identity check (content = style) and the patch check (whole image against a 2 x 2 tiling)."""

import math

import pytest
import torch
import torch.nn.functional as F

from normbench.metrics.base import MetricContext, StylizedSample
from normbench.metrics.consistency import (
    IdentityError,
    PatchConsistency,
    grid_borders,
    seam_step,
    split,
    stylize_in_tiles,
    tile,
)
from normbench.norms.thumbnail import ThumbnailInstanceNorm2d

CONTEXT = MetricContext(device=torch.device("cpu"), features="random")


def sample(stylize, images=4, size=32):
    generator = torch.Generator().manual_seed(0)
    # NOTE: a ramp under the noise, so that each tile's statistics differ from the whole image's
    ramp = torch.linspace(0, 0.6, size).view(1, 1, 1, size) + torch.linspace(0, 0.3, size).view(1, 1, size, 1)
    content = (torch.rand(images, 3, size, size, generator=generator) * 0.1 + ramp).clamp(0, 1)
    style = torch.rand(1, 3, 24, 24, generator=generator)
    return StylizedSample(stylize(content), content, style, stylize)


def per_image_contrast(images, statistics="eval"):
    """A stand-in generator normalizing each image by its own statistics, as IN does."""
    return (0.5 + 0.2 * F.instance_norm(images)).clamp(0, 1)


def test_tiles_are_cut_on_aligned_borders_and_tile_back():
    assert [grid_borders(size, 2) for size in (32, 40, 128, 8)] == [[16], [16], [64], []]
    assert grid_borders(2048, 4) == [512, 1024, 1536] and grid_borders(100, 3) == [32, 64]
    image = torch.rand(2, 3, 40, 32)
    grid = split(image, [16, 32], [8])
    assert [[piece.shape[2:] for piece in row] for row in grid][1] == [(16, 8), (16, 24)]
    assert torch.equal(tile(grid), image)


def test_seam_step_is_the_extra_step_at_the_borders():
    whole = torch.zeros(1, 1, 8, 8)
    tiled = whole.clone()
    tiled[..., :4, :4] += 0.2  # the top-left tile is brighter
    # 8 pairs across the row border (4 of them step 0.2) and 8 across the column border (4 step 0.2)
    assert seam_step(tiled, whole, [4], [4]) == pytest.approx(0.1)
    assert seam_step(whole, whole, [4], [4]) == 0


def test_identity_error_is_zero_for_a_generator_that_changes_nothing_and_grows_with_the_change():
    metric = IdentityError(CONTEXT)
    metric.update(sample(lambda images, statistics="eval": images))
    assert metric.compute() == {"identity_error": 0.0}
    metric.reset()
    darker = sample(lambda images, statistics="eval": images * 0.5)
    metric.update(darker)
    assert metric.compute()["identity_error"] == pytest.approx(float(darker.style.mean()) * 0.5, rel=1e-6)


def test_a_pointwise_generator_tiles_without_a_seam():
    metric = PatchConsistency(CONTEXT)
    metric.update(sample(lambda images, statistics="eval": images * 0.8))
    values = metric.compute()
    assert values["patch_difference"] == 0 and values["seam_step"] == 0
    assert values["patch_note"] == "own statistics per tile"


def test_per_tile_statistics_leave_seams_and_thumbnail_statistics_remove_most_of_them():
    own = PatchConsistency(CONTEXT)
    own.update(sample(per_image_contrast))
    layer = ThumbnailInstanceNorm2d(3)

    def thumbnail_generator(images, statistics="eval"):
        with torch.no_grad():
            return (0.5 + 0.2 * layer(images)).clamp(0, 1)

    thumbnail = PatchConsistency(CONTEXT)
    thumbnail.update(sample(thumbnail_generator))
    own_values, thumbnail_values = own.compute(), thumbnail.compute()
    assert own_values["seam_step"] > 0.02
    assert thumbnail_values["patch_note"] == "thumbnail statistics (1 layers)"
    assert thumbnail_values["seam_step"] < own_values["seam_step"] / 5
    assert thumbnail_values["patch_difference"] < own_values["patch_difference"] / 5


def test_a_generator_that_cannot_run_on_tiles_says_so():
    def whole_images_only(images, statistics="eval"):
        if images.shape[-1] < 32:
            raise ValueError("needs 32 pixels")
        return images

    metric = PatchConsistency(CONTEXT)
    metric.update(sample(whole_images_only))
    values = metric.compute()
    assert math.isnan(values["patch_difference"]) and math.isnan(values["seam_step"])
    assert values["patch_note"] == "cannot run in patches: ValueError: needs 32 pixels"


def test_a_grid_of_tiles_replaying_a_thumbnail_of_a_flat_image_matches_the_whole_image():
    """With every tile the image's own statistics (a flat image per channel), TIN tiles equal the whole output."""
    layer = ThumbnailInstanceNorm2d(3)
    image = torch.rand(1, 3, 1, 1).expand(1, 3, 64, 64).clone()

    def generator(images, statistics="eval"):
        with torch.no_grad():
            return (0.5 + 0.2 * layer(images)).clamp(0, 1)

    tiled, note = stylize_in_tiles(generator, image, parts=4)
    assert note == "thumbnail statistics (1 layers)" and tiled.shape == image.shape
    torch.testing.assert_close(tiled, generator(image))
