"""Reading a user's image files right: only the accepted formats, upright, in 8-bit RGB, of a bounded size, under
names that are unique and safe on every file system and in the HTML report.

Transparent pixels are composited over white (a painting's paper, and what a browser shows for a transparent PNG
on a plain page), with a warning naming the file. 16-bit images are scaled to 8 bits, never clipped.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

#: What Pillow may decode: opening by content alone would hand an EPS file named ``.png`` to Ghostscript.
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
#: Suffixes searched for in folders; one per accepted format family.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
#: Longest name component kept whole; longer ones are cut and given a hash, so every file system takes them.
MAX_NAME_CHARS = 100
#: Longest path component (in UTF-8 bytes) a name becomes on disk, leaving room within the usual 255-byte limit for
#: what is added around it (``grid_``, ``.png``).
MAX_COMPONENT_BYTES = 200
BACKGROUND = (255, 255, 255)
#: Characters no file system or report should see in a name: controls, and what Windows forbids.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"\\|?*]')


class ImageRejected(ValueError):
    """A file that is not an image normbench reads; the message says why."""


@dataclass(frozen=True)
class ImageFile:
    """An image file decoded only when used (:func:`open_image` with ``short_side``): a folder of any size then
    costs its list of paths, and training decodes the images each batch draws."""

    path: Path
    short_side: int | None = None

    def load(self) -> Image.Image:
        return open_image(self.path, self.short_side)

    def identity(self) -> str:
        """What the run's data digest takes of it without decoding it: its size in bytes."""
        return f"file\0{self.path.stat().st_size}"


def pixel_limit() -> int:
    """Pillow's decompression-bomb threshold, read when used (tests lower it)."""
    return int(Image.MAX_IMAGE_PIXELS or 2**62)


def open_image(path: Path, short_side: int | None = None) -> Image.Image:
    """``path`` as an upright 8-bit RGB image.

    :param short_side: reduce the image as it is decoded so its short side is at most this (never enlarged):
        a folder of camera photos then costs what the run uses, not what the camera wrote.
    :raises ImageRejected: for a format outside ACCEPTED_FORMATS, an image over twice Pillow's
        decompression-bomb threshold, or a file that does not decode.
    """
    try:
        with warnings.catch_warnings():
            # NOTE: Pillow's own warning names no file; the size check below does.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            # NOTE: open() reads the header only, and refuses over twice the bomb threshold before decoding.
            with Image.open(path, formats=ACCEPTED_FORMATS) as handle:
                size = handle.size
                # NOTE: EXIF orientations 5 to 8 turn the image a quarter: its upright size swaps the sides
                upright = size[::-1] if handle.getexif().get(0x0112, 1) in (5, 6, 7, 8) else size
                if short_side is not None:
                    # NOTE: JPEG decodes at 1/2, 1/4 or 1/8 scale directly (DCT scaling), still >= short_side.
                    handle.draft("RGB", (short_side, short_side))
                handle.load()
                image = ImageOps.exif_transpose(handle)
    except Image.DecompressionBombError as error:
        raise ImageRejected(f"{error} (over twice Pillow's limit); downscale it first") from None
    except Image.UnidentifiedImageError:
        raise ImageRejected(f"not a {', '.join(ACCEPTED_FORMATS)} image") from None
    except (OSError, ValueError, SyntaxError) as error:  # NOTE: truncated or corrupt data
        raise ImageRejected(f"does not decode ({error})") from None
    if size[0] * size[1] > pixel_limit():
        warnings.warn(
            f"{path}: {size[0]}×{size[1]} is above Pillow's {pixel_limit():,}-pixel limit; it is "
            "read and reduced, but decoding it takes memory and time; downscale it first",
            stacklevel=2,
        )
    image = to_rgb(image, path)
    return reduce_to(image, short_side, upright) if short_side is not None else image


def reduce_to(image: Image.Image, short_side: int, original: tuple[int, int] | None = None) -> Image.Image:
    """``image`` with its short side at most ``short_side`` (Lanczos; never enlarged).

    :param original: the upright size of the file ``image`` was decoded from: the target keeps its aspect ratio,
        not that of a JPEG draft, whose sides are rounded up to whole 8x8 blocks (a 9x28 file drafts to 2x4).
    """
    width, height = original or image.size
    scale = short_side / min(width, height)
    if scale >= 1:
        return image
    size = (max(short_side, round(width * scale)), max(short_side, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def to_rgb(image: Image.Image, path: Path | str = "image") -> Image.Image:
    """8-bit RGB: 16- and 32-bit integer modes scaled by their range, alpha composited over white."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        values = np.asarray(image).astype(np.float64)
        # NOTE: 16-bit PNGs open as I;16 (or I): their range is 0..65535, not 0..255.
        top = 65535.0 if image.mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        image = Image.fromarray(np.clip(np.round(values * 255.0 / top), 0, 255).astype(np.uint8), "L")
    elif image.mode == "F":
        image = Image.fromarray(np.clip(np.round(np.asarray(image) * 255.0), 0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        if rgba.getextrema()[3][0] < 255:
            warnings.warn(f"{path}: transparent pixels composited over white", stacklevel=3)
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, BACKGROUND + (255,)), rgba)
    return image.convert("RGB")


def safe_component(text: str) -> str:
    """One name component any file system and the report take: valid UTF-8, no control or reserved characters,
    at most MAX_NAME_CHARS characters (a longer one keeps its start and a hash of the whole)."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = _UNSAFE.sub("_", text).strip(" .") or "_"
    if len(text) > MAX_NAME_CHARS:
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        text = f"{text[: MAX_NAME_CHARS - 9]}~{digest}"
    return text


def path_component(name: str) -> str:
    """An image name (``sub/udnie``, ``udnie.png``) as one path component, different for different names: ``%`` and
    ``/`` percent-encoded (``sub%2Fudnie``), so that a style and an image in its folder never make the path of
    another pair; one too long for a file system is cut and given a hash of the whole."""
    flat = name.replace("%", "%25").replace("/", "%2F")
    if len(flat.encode("utf-8")) <= MAX_COMPONENT_BYTES:
        return flat
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    start = flat.encode("utf-8")[: MAX_COMPONENT_BYTES - 13].decode("utf-8", "ignore")
    return f"{start}~{digest}"


def image_names(paths: list[Path], folder: Path) -> list[str]:
    """A unique, safe name per file: its path under ``folder`` without the suffix, with the suffix kept where
    two files would share a name (``udnie.jpg`` and ``udnie.png``; case does not tell names apart, as on macOS
    and Windows)."""
    stems = [
        "/".join(safe_component(part) for part in path.relative_to(folder).with_suffix("").parts) for path in paths
    ]
    counts: dict[str, int] = {}
    for stem in stems:
        counts[stem.lower()] = counts.get(stem.lower(), 0) + 1
    names = [
        stem if counts[stem.lower()] == 1 else f"{stem}.{safe_component(path.suffix.lstrip('.'))}"
        for stem, path in zip(stems, paths)
    ]
    seen: dict[str, int] = {}
    unique = []
    for name in names:  # NOTE: still equal (udnie.JPG and udnie.jpg): a stable numeric suffix, in sorted order
        seen[name.lower()] = seen.get(name.lower(), 0) + 1
        unique.append(name if seen[name.lower()] == 1 else f"{name}~{seen[name.lower()]}")
    return unique
