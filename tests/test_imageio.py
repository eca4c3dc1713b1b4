"""The image loader reads real users' files right: every bad input is generated here, none is committed."""

import os
import warnings

import numpy as np
import pytest
from PIL import Image

from normbench import data, imageio


def test_a_16_bit_grayscale_png_is_scaled_not_clipped(tmp_path):
    ramp = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)  # 0 .. 65520
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    image = np.asarray(imageio.open_image(tmp_path / "deep.png"))
    assert image.shape == (64, 64, 3) and image.min() == 0 and image.max() == 255
    assert abs(image.mean() - ramp.mean() / 257) < 1  # Pillow's convert("RGB") made this nearly all white


def test_exif_orientation_is_applied(tmp_path):
    wide = Image.new("RGB", (40, 20), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # NOTE: "rotate 90° clockwise to view", what phones write for a portrait photo
    wide.save(tmp_path / "phone.jpg", exif=exif.tobytes())
    assert imageio.open_image(tmp_path / "phone.jpg").size == (20, 40)


def test_transparency_is_composited_over_white_with_a_warning_naming_the_file(tmp_path):
    pixels = np.zeros((8, 8, 4), dtype=np.uint8)
    pixels[:4] = (0, 0, 255, 255)  # top half opaque blue, bottom half fully transparent black
    Image.fromarray(pixels, "RGBA").save(tmp_path / "logo.png")
    with pytest.warns(UserWarning, match="logo.png: transparent pixels composited over white"):
        image = np.asarray(imageio.open_image(tmp_path / "logo.png"))
    assert (image[0, 0] == (0, 0, 255)).all() and (image[7, 7] == (255, 255, 255)).all()
    Image.new("RGBA", (4, 4), (10, 20, 30, 255)).save(tmp_path / "opaque.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an opaque RGBA needs no note
        assert np.asarray(imageio.open_image(tmp_path / "opaque.png"))[0, 0].tolist() == [10, 20, 30]


def test_only_accepted_formats_are_decoded_whatever_the_name(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "sneaky.png", format="GIF")
    (tmp_path / "ghost.png").write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 8 8\n")
    for name in ("sneaky.png", "ghost.png"):
        with pytest.raises(imageio.ImageRejected, match="not a PNG, JPEG, WEBP image"):
            imageio.open_image(tmp_path / name)


def test_decompression_bombs_are_refused_by_size_before_decoding(tmp_path, monkeypatch):
    Image.new("RGB", (40, 30)).save(tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)  # NOTE: 1,200 pixels is over twice the limit
    with pytest.raises(imageio.ImageRejected, match=r"\(1200 pixels\) exceeds limit.*downscale it first"):
        imageio.open_image(tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # over the limit, under twice it: read, named
    with pytest.warns(UserWarning, match=r"bomb.png: 40×30 is above Pillow.s 1,000-pixel limit"):
        assert imageio.open_image(tmp_path / "bomb.png").size == (40, 30)


def test_a_truncated_file_is_rejected_and_a_folder_skips_it_by_name(tmp_path):
    Image.new("RGB", (32, 32), (1, 2, 3)).save(tmp_path / "good.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "good.png").read_bytes()[:60])
    with pytest.warns(UserWarning, match=r"skipping .*cut.png: does not decode"):
        images = data.load_folder(tmp_path, "style")
    assert [name for name, _ in images] == ["good"]


def test_names_are_unique_keeping_the_suffix_where_stems_clash(tmp_path):
    paths = [tmp_path / name for name in ("udnie.jpg", "udnie.png", "Wave.png", "wave.webp", "sub/udnie.png")]
    assert imageio.image_names(paths, tmp_path) == ["udnie.jpg", "udnie.png", "Wave.png", "wave.webp", "sub/udnie"]
    same = [tmp_path / "a.JPG", tmp_path / "a.jpg"]
    assert imageio.image_names(same, tmp_path) == ["a.JPG", "a.jpg~2"]


def test_any_file_name_becomes_a_safe_name(tmp_path):
    undecodable = os.fsdecode(b"caf\xe9")  # Latin-1 bytes: not UTF-8
    long_name = "x" * 250
    names = imageio.image_names(
        [tmp_path / f"{undecodable}.png", tmp_path / f"{long_name}.png", tmp_path / 'a:b<c>|"d?.png'], tmp_path
    )
    assert names[0] == "caf\ufffd" and names[0].encode("utf-8")
    assert len(names[1]) == imageio.MAX_NAME_CHARS and names[1].startswith("x" * 91 + "~")
    assert names[2] == "a_b_c___d_"


def test_a_folder_with_clashing_stems_gives_two_styles(tmp_path):
    Image.new("RGB", (32, 32), (200, 0, 0)).save(tmp_path / "udnie.jpg")
    Image.new("RGB", (32, 32), (0, 0, 200)).save(tmp_path / "udnie.png")
    images = dict(data.load_folder(tmp_path, "style"))
    assert sorted(images) == ["udnie.jpg", "udnie.png"] and images["udnie.jpg"].getpixel((0, 0))[0] > 150


def test_a_reduced_jpeg_keeps_the_files_aspect_ratio_not_its_drafts(tmp_path):
    """Found by hypothesis: a 9x28 JPEG drafts at 1/8 to 2x4 (whole 8x8 blocks); reduced to a short side of 1 it
    must be 1x3, as the file's own sides say, not 1x2 as the draft's do."""
    path = tmp_path / "thin.jpg"
    Image.new("L", (9, 28), 128).save(path)
    assert imageio.open_image(path, 1).size == (1, 3)
