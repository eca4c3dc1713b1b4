"""Image grids: for one style, each held-out content image beside its stylization under every norm."""

from __future__ import annotations

from PIL import Image, ImageDraw

LABEL_HEIGHT = 18


def _label(draw: ImageDraw.ImageDraw, x: int, y: int, text: str) -> None:
    draw.text((x + 4, y + 3), text, fill=(20, 20, 20))


def style_grid(
    style: Image.Image, contents: list[Image.Image], columns: dict[str, list[Image.Image]], cell: int
) -> Image.Image:
    """A grid with the style image and column labels on top, then one row per content image.

    :param columns: norm name -> stylized images, in the order of ``contents``.
    """
    names = ["content", *columns]
    width = cell * len(names)
    height = LABEL_HEIGHT + cell + LABEL_HEIGHT + cell * len(contents)
    grid = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(grid)
    _label(draw, 0, 0, "style")
    grid.paste(style.resize((cell, cell)), (0, LABEL_HEIGHT))
    top = LABEL_HEIGHT * 2 + cell
    for column, name in enumerate(names):
        _label(draw, column * cell, top - LABEL_HEIGHT, name)
    for row, content in enumerate(contents):
        grid.paste(content.resize((cell, cell)), (0, top + row * cell))
        for column, images in enumerate(columns.values(), start=1):
            if row < len(images):
                grid.paste(images[row].resize((cell, cell)), (column * cell, top + row * cell))
    return grid
