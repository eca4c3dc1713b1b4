"""Property tests of the image loader over random modes, sizes, orientations, formats and names (hypothesis)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from strategies import FOLDER_ENTRIES, folder_paths

from normbench import imageio

#: (format, modes it stores) for the formats normbench accepts.
STORABLE = {"PNG": ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"), "JPEG": ("L", "RGB", "CMYK"), "WEBP": ("RGB", "RGBA")}
SIDES = st.integers(1, 48)
#: EXIF orientations 5 to 8 turn the image a quarter, swapping width and height.
TRANSPOSED = {5, 6, 7, 8}
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def image_files(draw):
    fmt = draw(st.sampled_from(sorted(STORABLE)))
    mode = draw(st.sampled_from(STORABLE[fmt]))
    width, height = draw(SIDES), draw(SIDES)
    top = 65535 if mode == "I;16" else 255
    pixels = draw(st.integers(0, top))
    image = Image.new(
        mode, (width, height), pixels if mode in ("1", "L", "P", "I;16") else tuple([pixels % 256] * len(mode))
    )
    orientation = draw(st.integers(1, 8))
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, exif=exif.tobytes())
    return buffer.getvalue(), fmt, mode, (width, height), orientation


@pytest.mark.filterwarnings("ignore:.*transparent pixels composited over white")
@SETTINGS
@given(image_files(), st.one_of(st.none(), st.integers(1, 40)))
def test_every_accepted_file_opens_upright_8_bit_rgb_of_the_right_size(tmp_path, drawn, short_side):
    data, fmt, mode, (width, height), orientation = drawn
    path = tmp_path / f"image.{fmt.lower()}"
    path.write_bytes(data)
    image = imageio.open_image(path, short_side)
    assert image.mode == "RGB"
    upright = (height, width) if orientation in TRANSPOSED else (width, height)
    if short_side is None or short_side >= min(upright):
        assert image.size == upright
    else:  # reduced: the short side is short_side, the long side keeps the aspect ratio within a pixel
        assert min(image.size) == short_side
        long_side = max(upright) * short_side / min(upright)
        assert abs(max(image.size) - long_side) <= 1


@SETTINGS
@given(st.integers(0, 65535), SIDES, SIDES)
def test_16_bit_grey_is_scaled_not_clipped(tmp_path, value, width, height):
    Image.fromarray(np.full((height, width), value, dtype=np.uint16)).save(tmp_path / "deep.png")
    pixels = np.asarray(imageio.open_image(tmp_path / "deep.png"))
    assert np.all(pixels == round(value * 255 / 65535))


@settings(max_examples=200, deadline=None)
@given(FOLDER_ENTRIES)
def test_names_are_unique_safe_and_stable_for_any_bytes(entries):
    folder = Path("/data")
    paths = folder_paths(entries, folder)
    names = imageio.image_names(paths, folder)
    assert len({name.lower() for name in names}) == len(names)  # unique, also where case does not count
    for name in names:
        name.encode("utf-8")  # NOTE: raises for a lone surrogate: the report and every file system take it
        for part in name.split("/"):
            assert 0 < len(part) <= imageio.MAX_NAME_CHARS + 12 and part == part.strip(" .")
            assert not imageio._UNSAFE.search(part)
    assert imageio.image_names(paths, folder) == names
