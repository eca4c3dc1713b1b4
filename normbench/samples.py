"""The built-in sample set: real photographs shipped with scikit-image, and procedural style images.

Nothing is downloaded: scikit-image installs its sample photographs with the
package, and the style images are drawn here from fixed seeds. ``datasets/builtin.json``
documents this set; a test keeps the two in step.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

STYLE_SIZE = 256

#: scikit-image sample photographs used for training (name -> loader name).
TRAIN_CONTENT = (
    "astronaut",
    "motorcycle_left",
    "hubble_deep_field",
    "immunohistochemistry",
    "camera",
    "moon",
    "clock",
    "coins",
)
#: Held out: training never sees these; they are what gets stylized and measured.
HELDOUT_CONTENT = ("chelsea", "coffee", "rocket")
#: Tiles per held-out photo: a grid of squares with half the photo's short side (see ``photo_views``).
TILE_FRACTION = 2


def _skimage_photo(name: str) -> Image.Image:
    import skimage.data

    if name == "motorcycle_left":
        # NOTE: only the left view of the stereo pair; the others load by name.
        pixels = skimage.data.stereo_motorcycle()[0]
    else:
        pixels = getattr(skimage.data, name)()
    image = Image.fromarray(np.asarray(pixels))
    return image.convert("RGB")


def photo_views(name: str, image: Image.Image) -> list[tuple[str, Image.Image]]:
    """The distinct evaluation inputs one held-out photo gives: the whole (central square) and its tiles.

    The tiles are the non-overlapping squares of half the short side, row by row,
    so each shows a different part of the scene at twice the whole's scale.
    """
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    views = [(name, image.crop((left, top, left + side, top + side)))]
    tile = side // TILE_FRACTION
    for row in range(image.height // tile):
        for column in range(image.width // tile):
            box = (column * tile, row * tile, (column + 1) * tile, (row + 1) * tile)
            views.append((f"{name}_tile{len(views)}", image.crop(box)))
    return views


def builtin_content() -> tuple[list[tuple[str, Image.Image]], list[tuple[str, Image.Image]]]:
    """``(train, heldout)`` lists of ``(name, RGB image)``; held out: every view of the held-out photos,
    the whole views first (they lead each grid)."""
    train = [(name, _skimage_photo(name)) for name in TRAIN_CONTENT]
    views = [photo_views(name, _skimage_photo(name)) for name in HELDOUT_CONTENT]
    return train, [photo[0] for photo in views] + [tile for photo in views for tile in photo[1:]]


EMBERS = ((60, 10, 12), ((250, 160, 30), (255, 220, 90), (220, 50, 20), (255, 240, 200), (140, 20, 10)))


def _embers(rng: np.random.Generator, colours=EMBERS, flow=(30.0, 22.0)) -> Image.Image:
    """Short brush strokes following a swirling flow field on a dark ground (warm on dark red by default)."""
    image = Image.new("RGB", (STYLE_SIZE, STYLE_SIZE), colours[0])
    draw = ImageDraw.Draw(image)
    palette = np.array(colours[1])
    for _ in range(1400):
        x, y = rng.uniform(0, STYLE_SIZE, size=2)
        angle = np.sin(x / flow[0]) * 1.8 + np.cos(y / flow[1]) * 1.2
        length = rng.uniform(8, 22)
        dx, dy = np.cos(angle) * length, np.sin(angle) * length
        colour = np.clip(palette[rng.integers(len(palette))] + rng.normal(0, 18, 3), 0, 255)
        draw.line(
            [(x - dx, y - dy), (x + dx, y + dy)], fill=tuple(int(c) for c in colour), width=int(rng.integers(2, 6))
        )
    return image


WAVES = ((8, 20, 70), (20, 90, 160), (40, 170, 180), (235, 245, 250))


def _waves(rng: np.random.Generator, stops=WAVES, period: float = 14.0) -> Image.Image:
    """Fine wave bands with light crests (navy, blue and teal by default)."""
    y, x = np.mgrid[0:STYLE_SIZE, 0:STYLE_SIZE].astype(np.float64)
    phase = 2 * np.pi * (y + 9 * np.sin(x / 17.0) + 4 * np.sin(x / 5.0 + y / 23.0)) / period
    level = 0.5 + 0.5 * np.sin(phase) + rng.normal(0, 0.06, size=x.shape)
    stops = np.array(stops, dtype=np.float64)
    position = np.clip(level, 0, 1) * (len(stops) - 1)
    low = np.floor(position).astype(int).clip(0, len(stops) - 2)
    frac = (position - low)[..., None]
    pixels = stops[low] * (1 - frac) + stops[low + 1] * frac
    return Image.fromarray(pixels.astype(np.uint8))


TILES = ((200, 20, 60), (250, 200, 20), (20, 160, 70), (30, 60, 200), (150, 40, 180))


def _tiles(rng: np.random.Generator, palette=TILES, cells: int = 140) -> Image.Image:
    """Stained glass: flat cells of saturated colour bounded by dark lead lines."""
    seeds = rng.uniform(0, STYLE_SIZE, size=(cells, 2))
    palette = np.array(palette)
    colours = palette[rng.integers(len(palette), size=len(seeds))]
    y, x = np.mgrid[0:STYLE_SIZE, 0:STYLE_SIZE]
    distance = np.hypot(x[..., None] - seeds[:, 0], y[..., None] - seeds[:, 1])
    nearest_two = np.partition(distance, 1, axis=-1)[..., :2]
    pixels = colours[distance.argmin(axis=-1)].astype(np.float64)
    pixels[(nearest_two[..., 1] - nearest_two[..., 0]) < 2.5] = (25, 20, 20)
    return Image.fromarray(pixels.astype(np.uint8))


#: Built-in styles: name -> (drawing function, seed, parameters).
STYLE_RECIPES = {"embers": (_embers, 11, {}), "waves": (_waves, 12, {}), "tiles": (_tiles, 13, {})}

#: Styles no model trains on: the same recipes with held-out seeds, colours and scales, for judging
#: models that claim arbitrary styles (``style_feat`` conditioning) on styles they never saw.
HELDOUT_STYLE_RECIPES = {
    "ash": (
        _embers,
        21,
        {
            "colours": (
                (12, 18, 40),
                ((90, 200, 230), (200, 240, 255), (40, 110, 190), (150, 120, 220), (20, 60, 120)),
            ),
            "flow": (19.0, 37.0),
        },
    ),
    "ripples": (_waves, 22, {"stops": ((60, 25, 10), (170, 80, 30), (230, 170, 70), (250, 240, 215)), "period": 23.0}),
    "mosaic": (
        _tiles,
        23,
        {"palette": ((240, 130, 150), (120, 210, 200), (250, 230, 140), (110, 90, 60), (190, 220, 120)), "cells": 320},
    ),
}


def _draw(recipes: dict) -> list[tuple[str, Image.Image]]:
    return [(name, draw(np.random.default_rng(seed), **params)) for name, (draw, seed, params) in recipes.items()]


def builtin_styles() -> list[tuple[str, Image.Image]]:
    """The procedural style images, identical on every machine."""
    return _draw(STYLE_RECIPES)


def builtin_heldout_styles() -> list[tuple[str, Image.Image]]:
    """Procedural styles that no model trains on (held-out seeds, colours and scales)."""
    return _draw(HELDOUT_STYLE_RECIPES)
