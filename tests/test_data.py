import json
import pathlib

import numpy as np
import pytest
import torch
from PIL import Image
from tiny import run_tiny

from normbench import data, samples
from normbench.errors import UserError

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_find_images_is_recursive_and_takes_png_jpeg_webp(image_folder):
    folder = image_folder("content", 6)
    (folder / "notes.txt").write_text("not an image")
    files = data.find_images(folder, "content")
    assert len(files) == 6 and {f.suffix for f in files} == {".png", ".jpg", ".webp"}


def test_missing_and_empty_folders_are_named(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        data.find_images(tmp_path / "nope", "content")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="'.*empty' has no images"):
        data.find_images(tmp_path / "empty", "content")


def test_corrupt_files_are_named_in_a_warning_and_skipped(image_folder):
    folder = image_folder("content", 3)
    (folder / "broken.png").write_bytes(b"not a png")
    with pytest.warns(UserWarning, match="broken.png"):
        images = data.load_folder(folder, "content")
    assert len(images) == 3


def test_a_folder_of_only_corrupt_files_is_an_error(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.jpg").write_bytes(b"\x00\x01")
    with pytest.warns(UserWarning), pytest.raises(UserError, match="no readable images"):
        data.load_folder(tmp_path / "bad", "style")


def test_heldout_split_is_fixed_disjoint_and_nonempty():
    images = [(f"img{i}", None) for i in range(10)]
    train, heldout = data.split_heldout(images)
    assert len(heldout) == 2 and len(train) == 8
    assert not {n for n, _ in train} & {n for n, _ in heldout}
    assert data.split_heldout(images) == (train, heldout)
    with pytest.raises(UserError, match="at least 2"):
        data.split_heldout(images[:1])


def test_unknown_style_lists_the_available_ones():
    with pytest.raises(UserError, match="unknown style 'x'; available: embers, waves, tiles"):
        data.select_styles(samples.builtin_styles(), ["x"])


def test_builtin_set_needs_no_files_and_holds_out_content():
    images = data.load_images(None, None, None)
    assert images.source == "builtin" and len(images.styles) == 3 and len(images.heldout_styles) == 3
    assert not {n for n, _ in images.train} & {n.split("_tile")[0] for n, _ in images.heldout}
    assert len(images.heldout) == 21 and len({n for n, _ in images.heldout}) == 21


def test_a_held_out_photo_gives_its_whole_view_and_non_overlapping_tiles():
    photo = Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 451, 3), dtype=np.uint8))
    views = samples.photo_views("cat", photo)
    assert [name for name, _ in views] == ["cat"] + [f"cat_tile{i}" for i in range(1, 7)]
    assert views[0][1].size == (300, 300) and all(view.size == (150, 150) for _, view in views[1:])
    assert len({view.tobytes() for _, view in views}) == 7


def test_held_out_styles_are_new_to_training_and_clash_with_no_training_style(image_folder):
    trained = {name for name, _ in samples.builtin_styles()}
    held = samples.builtin_heldout_styles()
    assert {name for name, _ in held} == {"ash", "ripples", "mosaic"} and not trained & {name for name, _ in held}
    assert all(a.tobytes() != b.tobytes() for (_, a), (_, b) in zip(samples.builtin_styles(), held))
    folder = image_folder("styles", 2)
    with pytest.raises(UserError, match="both a training style and a held-out style"):
        data.load_images(None, folder, None, eval_style_dir=folder)


def test_builtin_styles_are_identical_every_time_and_distinct():
    first, second = samples.builtin_styles(), samples.builtin_styles()
    assert all(a.tobytes() == b.tobytes() for (_, a), (_, b) in zip(first, second))
    means = [torch.from_numpy(np.asarray(img, dtype=np.float32)).reshape(-1, 3).mean(0) for _, img in first]
    assert min(torch.dist(a, b) for i, a in enumerate(means) for b in means[i + 1 :]) > 40


def test_datasets_manifest_describes_the_builtin_set():
    manifest = json.loads((ROOT / "datasets" / "builtin.json").read_text())
    assert manifest["content"]["train"] == list(samples.TRAIN_CONTENT)
    assert manifest["content"]["heldout"] == list(samples.HELDOUT_CONTENT)
    assert {s["name"]: s["seed"] for s in manifest["styles"]} == {n: r[1] for n, r in samples.STYLE_RECIPES.items()}
    assert {s["name"]: s["seed"] for s in manifest["heldout_styles"]["styles"]} == {
        n: r[1] for n, r in samples.HELDOUT_STYLE_RECIPES.items()
    }
    assert manifest["content"]["heldout_views"]["count"] == len(samples.builtin_content()[1])


def test_sampler_gives_the_same_batches_for_the_same_seed():
    images = [("a", Image.new("RGB", (80, 60), (200, 10, 10))), ("b", Image.new("RGB", (70, 90), (10, 10, 200)))]
    first = list(data.CropBatches(images, 32, 3, seed=5).batches(4))
    second = list(data.CropBatches(images, 32, 3, seed=5).batches(4))
    other = list(data.CropBatches(images, 32, 3, seed=6).batches(4))
    assert first[0].shape == (3, 3, 32, 32)
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    assert not all(torch.equal(a, b) for a, b in zip(first, other))
    reseeded = data.CropBatches(images, 32, 3, seed=5).with_seed(6)  # one decoded pool, drawn for another seed
    assert all(torch.equal(a, b) for a, b in zip(other, reseeded.batches(4)))


def test_crops_do_not_depend_on_loader_workers_or_on_earlier_steps():
    ramp = np.tile(np.arange(90, dtype=np.uint8), (80, 1))
    images = [
        ("ramp", Image.fromarray(np.stack([ramp, ramp, ramp], -1))),
        ("noise", Image.fromarray(np.random.default_rng(0).integers(0, 255, (70, 90, 3), dtype=np.uint8))),
    ]
    crops = data.CropBatches(images, 32, 3, seed=5)
    alone = list(crops.batches(4))
    with_workers = list(crops.batches(4, workers=2))
    assert all(torch.equal(a, b) for a, b in zip(alone, with_workers))
    # NOTE: step k is a function of (seed, k): a run resumed or sharded at k sees the same crops.
    assert torch.equal(crops[3], alone[3])
    assert not torch.equal(alone[0], alone[1])


def test_files_are_decoded_reduced_to_the_size_the_run_uses(tmp_path):
    """A camera photo costs what the run needs: its short side is cut to decode_size as it is decoded."""
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (900, 1200, 3), dtype=np.uint8)).save(tmp_path / "photo.jpg")
    Image.fromarray(rng.integers(0, 256, (700, 500, 3), dtype=np.uint8)).save(tmp_path / "scan.png")
    Image.fromarray(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)).save(tmp_path / "small.png")
    short = data.decode_size(image_size=64, eval_size=128)
    assert short == 128
    images = dict(data.load_folder(tmp_path, "content", short_side=short))
    assert images["photo"].size == (171, 128) and images["scan"].size == (128, 179)
    assert images["small"].size == (60, 40)  # never enlarged


def test_crops_from_the_8_bit_pool_equal_crops_of_float_images():
    """The pool is kept as uint8; a crop must be the float image a float pool gave, bit for bit."""
    train, _ = samples.builtin_content()
    crops = data.CropBatches(train, crop=32, batch_size=3, seed=4)
    rng = np.random.default_rng([4, 7])
    expected = []
    for _ in range(3):
        image = data.to_tensor(data.resize_short_side(train[int(rng.integers(len(train)))][1], 48))
        top, left = int(rng.integers(image.shape[1] - 31)), int(rng.integers(image.shape[2] - 31))
        patch = image[:, top : top + 32, left : left + 32]
        expected.append(patch.flip(-1) if rng.random() < 0.5 else patch)
    assert torch.equal(crops[7], torch.stack(expected))


def _photos(folder, count, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        Image.fromarray(rng.integers(0, 256, (50 + index, 70, 3), dtype=np.uint8)).save(folder / f"p{index:02d}.jpg")
    return folder


def test_content_files_are_decoded_when_drawn_giving_the_crops_of_decoded_images(tmp_path):
    """A folder of any size costs its paths: batches decode what they draw, and get the crops a decoded pool gave."""
    files = data.list_folder(_photos(tmp_path / "c", 6), "content", short_side=60)
    decoded = [(name, file.load()) for name, file in files]
    lazy, eager = (data.CropBatches(images, crop=32, batch_size=4, seed=3) for images in (files, decoded))
    assert all(isinstance(source, data.imageio.ImageFile) for source in lazy.pool)
    for step in (0, 5, 9):
        assert torch.equal(lazy[step], eager[step])


def test_an_unreadable_content_file_is_named_and_replaced_by_the_next_the_same_way_each_time(tmp_path):
    folder = _photos(tmp_path / "c", 3)
    (folder / "p01.jpg").write_bytes(b"not a jpeg")
    crops = data.CropBatches(data.list_folder(folder, "content"), crop=32, batch_size=8, seed=0)
    with pytest.warns(UserWarning, match="p01.jpg.*the next content image is used"):
        first, again = crops[0], crops[0]
    assert torch.equal(first, again)
    (folder / "p00.jpg").write_bytes(b"")
    (folder / "p02.jpg").write_bytes(b"")
    with pytest.raises(UserError, match="no training content image could be read"), pytest.warns(UserWarning):
        crops[0]


def test_an_unreadable_file_is_warned_about_once_however_often_it_is_drawn(tmp_path, recwarn):
    folder = _photos(tmp_path / "c", 4)
    (folder / "p01.jpg").write_bytes(b"")
    (folder / "p02.jpg").write_bytes((folder / "p03.jpg").read_bytes()[:300])
    crops = data.CropBatches(data.list_folder(folder, "content"), crop=32, batch_size=8, seed=0)
    for step in range(12):
        crops.with_seed(step % 3)[step]
    skipping = [str(warning.message) for warning in recwarn if "skipping" in str(warning.message)]
    assert len(skipping) == 2 and sorted(crops.skipped) == [str(folder / "p01.jpg"), str(folder / "p02.jpg")]


def test_a_run_lists_every_skipped_file_once_in_its_manifest_and_errors_log(tmp_path, capsys):
    folder = _photos(tmp_path / "c", 5)
    (folder / "zero.png").write_bytes(b"")
    (folder / "cut.jpg").write_bytes((folder / "p00.jpg").read_bytes()[:300])
    assert run_tiny(tmp_path, "--content-dir", str(folder), "--norms", "in,bn", styles="waves,tiles") == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: skipping")]
    assert len(warned) == 2
    run = tmp_path / "runs" / "r"
    skipped = json.loads((run / "manifest.json").read_text())["data"]["skipped_files"]
    assert sorted(skipped) == [str(folder / "cut.jpg"), str(folder / "zero.png")]
    log = (run / "errors.log").read_text()
    assert "zero.png: not a PNG, JPEG, WEBP image" in log and "cut.jpg: does not decode" in log


def test_a_large_content_folder_holds_out_at_most_max_heldout_images(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "MAX_HELDOUT", 3)
    images = data.load_images(_photos(tmp_path / "c", 20), None, None, eval_size=32, short_side=48)
    assert (len(images.train), len(images.heldout)) == (17, 3)
    assert all(isinstance(image, data.imageio.ImageFile) for _, image in images.train)
    assert all(isinstance(image, Image.Image) for _, image in images.heldout)


def test_the_digest_of_content_left_on_disk_reads_no_pixels(tmp_path):
    from normbench.lifecycle.provenance import images_digest

    folder = _photos(tmp_path / "c", 2)
    files = data.list_folder(folder, "content")
    before = images_digest(files)
    (folder / "p00.jpg").write_bytes((folder / "p00.jpg").read_bytes()[:-1] + b"\0")  # NOTE: same size, new bytes
    assert images_digest(files) == before  # NOTE: a documented limit: names and byte sizes, not pixels
    (folder / "p01.jpg").write_bytes(b"short")
    assert images_digest(files) != before
