"""Images in and out: user folders, the built-in set, held-out splits and the seeded batch sampler."""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from normbench import imageio, samples
from normbench.errors import UserError

IMAGE_SUFFIXES = imageio.IMAGE_SUFFIXES
#: The held-out split of a user's content folder does not depend on --seed, so runs with
#: different seeds are measured on the same images.
SPLIT_SEED = 0
#: Training crops are cut from the content with its short side this many crops long, so crops vary in framing.
CROP_FRAMING = 1.5
#: Most content images held out of a content folder for evaluation: every row stylizes and measures each, so a
#: COCO-sized folder would otherwise make evaluation, not training, the cost (a quarter up to 4,000 images).
MAX_HELDOUT = 1000


def decode_size(image_size: int, eval_size: int) -> int:
    """Short side image files are decoded to: what the largest use needs (training framing, evaluation squares,
    style targets). Memory then grows with the run's sizes, not with the camera's."""
    return max(round(image_size * CROP_FRAMING), eval_size, image_size)


@dataclass
class ImageSet:
    """Named RGB images: training content, held-out content, training styles and held-out styles.

    ``heldout_styles`` are never trained on; only models that take arbitrary styles
    (``style_feat`` conditioning) and the baselines are evaluated on them.
    """

    train: list[tuple[str, Image.Image]]
    heldout: list[tuple[str, Image.Image]]
    styles: list[tuple[str, Image.Image]]
    source: str
    heldout_styles: list[tuple[str, Image.Image]] = field(default_factory=list)
    heldout_source: str = "split"
    #: Files that did not decode and were left out while loading: ``{path: reason}``.
    skipped: dict[str, str] = field(default_factory=dict)


def skip_file(skipped: dict[str, str], path: Path, reason: str, then: str = "") -> None:
    """Record that ``path`` is skipped for ``reason`` and warn, once per file however often it is drawn."""
    if str(path) in skipped:
        return
    skipped[str(path)] = str(reason)
    warnings.warn(f"skipping {path}: {reason}{then}", stacklevel=3)


def find_images(folder: Path, what: str) -> list[Path]:
    """Image files under ``folder``, recursively, sorted.

    :raises UserError: when the folder is missing or holds no image files.
    """
    if not folder.is_dir():
        raise UserError(f"{what} folder {str(folder)!r} does not exist or is not a folder")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise UserError(f"{what} folder {str(folder)!r} has no images ({', '.join(IMAGE_SUFFIXES)})")
    return files


def load_folder(
    folder: Path,
    what: str,
    square: int | None = None,
    short_side: int | None = None,
    skipped: dict[str, str] | None = None,
) -> list[tuple[str, Image.Image]]:
    """Decode every image under ``folder`` (see :mod:`normbench.imageio`); a file that is not an accepted image
    is named in a warning and skipped.

    :param square: keep each image only as its central ``square x square`` crop (an
        evaluation folder of any size then takes little memory).
    :param short_side: decode each image reduced to this short side (:func:`decode_size`).
    """
    files = list_folder(folder, what, short_side if square is None else square)
    return decode_files(files, f"{what} folder {str(folder)!r}", square, skipped)


def list_folder(folder: Path, what: str, short_side: int | None = None) -> list[tuple[str, imageio.ImageFile]]:
    """Every image file under ``folder`` with its name, not decoded (:class:`imageio.ImageFile`)."""
    paths = find_images(folder, what)
    return [
        (name, imageio.ImageFile(path, short_side)) for path, name in zip(paths, imageio.image_names(paths, folder))
    ]


def decode_files(
    files: list[tuple[str, imageio.ImageFile]],
    where: str,
    square: int | None = None,
    skipped: dict[str, str] | None = None,
) -> list[tuple[str, Image.Image]]:
    """The files decoded (each cut to its central ``square`` where given); one that is not an accepted image is
    named in a warning, recorded in ``skipped`` and left out.

    :raises UserError: naming ``where`` when no file decodes.
    """
    images = []
    for name, file in files:
        try:
            image = file.load()
        except imageio.ImageRejected as error:
            skip_file({} if skipped is None else skipped, file.path, str(error))
            continue
        images.append((name, center_square_image(image, square) if square is not None else image))
    if not images:
        raise UserError(f"{where} has no readable images")
    return images


def split_heldout(images: list, fraction: float = 0.25) -> tuple[list, list]:
    """Hold out a fixed-seed quarter (at least 1, at most MAX_HELDOUT) of a user's content for evaluation."""
    if len(images) < 2:
        raise UserError(
            "the content folder needs at least 2 images: 1 to train on and 1 held out "
            "(or give the evaluation images apart with --eval-content-dir)"
        )
    count = min(MAX_HELDOUT, max(1, round(len(images) * fraction)))
    order = np.random.default_rng(SPLIT_SEED).permutation(len(images))
    heldout = set(order[:count].tolist())
    train = [image for i, image in enumerate(images) if i not in heldout]
    return train, [image for i, image in enumerate(images) if i in heldout]


def select_styles(styles: list, wanted: list[str] | None) -> list:
    """Keep the styles named in ``wanted`` (all when ``None``), in the order given."""
    if not wanted:
        return styles
    by_name = dict(styles)
    unknown = [name for name in wanted if name not in by_name]
    if unknown:
        raise UserError(f"unknown style {unknown[0]!r}; available: {', '.join(by_name)}")
    return [(name, by_name[name]) for name in wanted]


def load_images(
    content_dir: Path | None,
    style_dir: Path | None,
    styles: list[str] | None,
    eval_content_dir: Path | None = None,
    eval_style_dir: Path | None = None,
    eval_size: int | None = None,
    short_side: int | None = None,
) -> ImageSet:
    """The images a run uses: the user's folders where given, the built-in set otherwise.

    With ``eval_content_dir``, every image there is evaluated and all of the
    training content trains; without it, a fixed quarter of ``content_dir`` (or
    the built-in held-out views) is evaluated. Held-out styles come from
    ``eval_style_dir``, else the built-in held-out styles. Files are decoded reduced to ``short_side``
    (:func:`decode_size`); the built-in images are small and used as drawn.
    """
    skipped: dict[str, str] = {}
    if content_dir is not None:
        # NOTE: training content stays on disk and is decoded as batches draw it; only the held-out part is decoded
        content = list_folder(content_dir, "content", short_side=short_side)
        train, heldout = (content, []) if eval_content_dir is not None else split_heldout(content)
        heldout = decode_files(heldout, "the held-out part of the content folder", skipped=skipped) if heldout else []
    else:
        train, heldout = samples.builtin_content()
    heldout_source = "builtin views" if content_dir is None else "split"
    if eval_content_dir is not None:
        heldout, heldout_source = (
            load_folder(eval_content_dir, "evaluation content", eval_size, skipped=skipped),
            "folder",
        )
    style_images = (
        load_folder(style_dir, "style", short_side=short_side, skipped=skipped)
        if style_dir is not None
        else samples.builtin_styles()
    )
    chosen = select_styles(style_images, styles)
    heldout_styles = (
        load_folder(eval_style_dir, "evaluation style", short_side=short_side, skipped=skipped)
        if eval_style_dir is not None
        else samples.builtin_heldout_styles()
    )
    clash = sorted({name for name, _ in chosen} & {name for name, _ in heldout_styles})
    if clash:
        raise UserError(f"style {clash[0]!r} is both a training style and a held-out style; rename one")
    source = "user" if content_dir or style_dir or eval_content_dir or eval_style_dir else "builtin"
    return ImageSet(train, heldout, chosen, source, heldout_styles, heldout_source, skipped)


def load_run_images(config) -> ImageSet:
    """The images of a run resolved to ``config`` (a :class:`~normbench.config.RunConfig`), decoded to the size
    its profile uses: what a run, a resumed run, a Ray worker and ``score``/``stylize``/``export`` all load."""
    profile = config.profile
    return load_images(
        config.content_dir,
        config.style_dir,
        config.styles,
        config.eval_content_dir,
        config.eval_style_dir,
        profile.eval_size,
        decode_size(profile.image_size, profile.eval_size),
    )


def to_tensor(image: Image.Image) -> torch.Tensor:
    """``(3, H, W)`` float tensor in [0, 1]."""
    return torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1).contiguous()


def to_image(tensor: torch.Tensor) -> Image.Image:
    pixels = tensor.detach().float().clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(pixels)


def resize_short_side(image: Image.Image, size: int) -> Image.Image:
    scale = size / min(image.size)
    return image.resize(
        (max(size, round(image.width * scale)), max(size, round(image.height * scale))), Image.Resampling.BICUBIC
    )


def center_square_image(image: Image.Image, size: int) -> Image.Image:
    """Resize the short side to ``size`` and take the central ``size x size`` square."""
    if image.size == (size, size):
        return image
    image = resize_short_side(image, size)
    left, top = (image.width - size) // 2, (image.height - size) // 2
    return image.crop((left, top, left + size, top + size))


def center_square(image: Image.Image, size: int) -> torch.Tensor:
    """:func:`center_square_image` as a ``(3, size, size)`` tensor in [0, 1]."""
    return to_tensor(center_square_image(image, size))


class CropBatches(torch.utils.data.Dataset):
    """Batch ``k`` of random crops of the training content, a function of the seed and ``k`` alone.

    Every norm's model that asks for step ``k`` gets the same crops, however
    many loader workers make them and in whatever order. Images given decoded are
    resized once (short side CROP_FRAMING crops) and kept as 8-bit, a quarter of
    float; files (:class:`imageio.ImageFile`) are decoded when a batch draws them,
    so memory does not grow with the folder. A file that does not decode is
    replaced by the next one that does, the same way every time; it is warned about once, kept in ``skipped``
    (``{path: reason}``) and never decoded again.
    """

    def __init__(
        self, images: list[tuple[str, Image.Image | imageio.ImageFile]], crop: int, batch_size: int, seed: int
    ):
        self.crop, self.batch_size, self.seed = crop, batch_size, seed
        self.skipped: dict[str, str] = {}
        self.pool: list[torch.Tensor | imageio.ImageFile | None] = [
            image if isinstance(image, imageio.ImageFile) else self._pixels(image) for _, image in images
        ]

    def with_seed(self, seed: int) -> CropBatches:
        """The same decoded pool, drawing for ``seed``: a run decodes its images once for every seed."""
        other = copy.copy(self)
        other.seed = seed
        return other

    def __getitem__(self, step: int) -> torch.Tensor:
        rng = np.random.default_rng([self.seed, step])
        return torch.stack([self._crop(rng) for _ in range(self.batch_size)])

    def batches(self, steps: int, workers: int = 0, pin_memory: bool = False) -> torch.utils.data.DataLoader:
        """Batches for steps ``0 .. steps - 1`` in order, made by ``workers`` processes ahead of use."""
        return torch.utils.data.DataLoader(
            self,
            batch_size=None,
            sampler=range(steps),
            num_workers=workers,
            pin_memory=pin_memory,
            prefetch_factor=4 if workers else None,
        )

    def _pixels(self, image: Image.Image) -> torch.Tensor:
        return torch.from_numpy(
            np.array(resize_short_side(image, round(self.crop * CROP_FRAMING)), dtype=np.uint8)
        ).permute(2, 0, 1)

    def _image(self, index: int) -> torch.Tensor:
        for offset in range(len(self.pool)):
            at = (index + offset) % len(self.pool)
            source = self.pool[at]
            if source is None:  # NOTE: skipped before: the next one, as when it was first found unreadable
                continue
            if isinstance(source, torch.Tensor):
                return source
            try:
                return self._pixels(source.load())
            except imageio.ImageRejected as error:
                self.pool[at] = None
                skip_file(self.skipped, source.path, str(error), "; the next content image is used")
        raise UserError("no training content image could be read")

    def _crop(self, rng: np.random.Generator) -> torch.Tensor:
        image = self._image(int(rng.integers(len(self.pool))))
        _, height, width = image.shape
        top = int(rng.integers(height - self.crop + 1))
        left = int(rng.integers(width - self.crop + 1))
        patch = image[:, top : top + self.crop, left : left + self.crop].float().div_(255.0)
        return patch.flip(-1) if rng.random() < 0.5 else patch.contiguous()
