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
TRAIN_CONTENT = ("astronaut", "motorcycle_left", "hubble_deep_field", "immunohistochemistry",
                 "camera", "moon", "clock", "coins")
#: Held out: training never sees these; they are what gets stylized and measured.
HELDOUT_CONTENT = ("chelsea", "coffee", "rocket")


def _skimage_photo(name: str) -> Image.Image:
    import skimage.data

    if name == "motorcycle_left":
        # NOTE: only the left view of the stereo pair; the others load by name.
        pixels = skimage.data.stereo_motorcycle()[0]
    else:
        pixels = getattr(skimage.data, name)()
    image = Image.fromarray(np.asarray(pixels))
    return image.convert("RGB")


def builtin_content() -> tuple[list[tuple[str, Image.Image]], list[tuple[str, Image.Image]]]:
    """``(train, heldout)`` lists of ``(name, RGB image)``."""
    train = [(name, _skimage_photo(name)) for name in TRAIN_CONTENT]
    heldout = [(name, _skimage_photo(name)) for name in HELDOUT_CONTENT]
    return train, heldout


def _embers(rng: np.random.Generator) -> Image.Image:
    """Warm, short brush strokes following a swirling flow field on a dark red ground."""
    image = Image.new("RGB", (STYLE_SIZE, STYLE_SIZE), (60, 10, 12))
    draw = ImageDraw.Draw(image)
    palette = np.array([(250, 160, 30), (255, 220, 90), (220, 50, 20), (255, 240, 200), (140, 20, 10)])
    for _ in range(1400):
        x, y = rng.uniform(0, STYLE_SIZE, size=2)
        angle = np.sin(x / 30.0) * 1.8 + np.cos(y / 22.0) * 1.2
        length = rng.uniform(8, 22)
        dx, dy = np.cos(angle) * length, np.sin(angle) * length
        colour = np.clip(palette[rng.integers(len(palette))] + rng.normal(0, 18, 3), 0, 255)
        draw.line([(x - dx, y - dy), (x + dx, y + dy)], fill=tuple(int(c) for c in colour),
                  width=int(rng.integers(2, 6)))
    return image


def _waves(rng: np.random.Generator) -> Image.Image:
    """Fine blue and teal wave bands with white crests."""
    y, x = np.mgrid[0:STYLE_SIZE, 0:STYLE_SIZE].astype(np.float64)
    phase = 2 * np.pi * (y + 9 * np.sin(x / 17.0) + 4 * np.sin(x / 5.0 + y / 23.0)) / 14.0
    level = 0.5 + 0.5 * np.sin(phase) + rng.normal(0, 0.06, size=x.shape)
    stops = np.array([(8, 20, 70), (20, 90, 160), (40, 170, 180), (235, 245, 250)], dtype=np.float64)
    position = np.clip(level, 0, 1) * (len(stops) - 1)
    low = np.floor(position).astype(int).clip(0, len(stops) - 2)
    frac = (position - low)[..., None]
    pixels = stops[low] * (1 - frac) + stops[low + 1] * frac
    return Image.fromarray(pixels.astype(np.uint8))


def _tiles(rng: np.random.Generator) -> Image.Image:
    """Stained glass: flat cells of saturated colour bounded by dark lead lines."""
    seeds = rng.uniform(0, STYLE_SIZE, size=(140, 2))
    palette = np.array([(200, 20, 60), (250, 200, 20), (20, 160, 70), (30, 60, 200), (150, 40, 180)])
    colours = palette[rng.integers(len(palette), size=len(seeds))]
    y, x = np.mgrid[0:STYLE_SIZE, 0:STYLE_SIZE]
    distance = np.hypot(x[..., None] - seeds[:, 0], y[..., None] - seeds[:, 1])
    nearest_two = np.partition(distance, 1, axis=-1)[..., :2]
    pixels = colours[distance.argmin(axis=-1)].astype(np.float64)
    pixels[(nearest_two[..., 1] - nearest_two[..., 0]) < 2.5] = (25, 20, 20)
    return Image.fromarray(pixels.astype(np.uint8))


#: Built-in styles: name -> (drawing function, seed).
STYLE_RECIPES = {"embers": (_embers, 11), "waves": (_waves, 12), "tiles": (_tiles, 13)}


def builtin_styles() -> list[tuple[str, Image.Image]]:
    """The procedural style images, identical on every machine."""
    return [(name, draw(np.random.default_rng(seed))) for name, (draw, seed) in STYLE_RECIPES.items()]
