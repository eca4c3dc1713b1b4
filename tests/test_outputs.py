"""The run directory's images: every name the loader can give a style or a content image lands as a file of its own."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from strategies import image_names
from tiny import run_tiny

from normbench.lifecycle.grids import cell_image
from normbench.store.directory import RunDirectory, grid_path

PNG = b"\x89PNG\r\n\x1a\n stand-in"


def write_cell(cell: Path, styles: list[str], contents: list[str]) -> list[Path]:
    """A finished cell's images, as the run writes them; their paths relative to the cell's images folder."""
    written = []
    for style in styles:
        for index in range(len(contents)):
            path = cell / cell_image(contents, style, index)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(PNG + f"{style}/{index}".encode("utf-8", "surrogateescape"))
            written.append(path.relative_to(cell / "images"))
    return written


@settings(max_examples=150, deadline=None)
@given(image_names(), image_names(), st.sampled_from(["in", "identity", "in@msgnet", "gn_4"]))
def test_every_image_of_a_cell_is_linked_under_its_name_whatever_the_names(styles, contents, cell_name):
    with tempfile.TemporaryDirectory() as root:
        run_dir = RunDirectory(Path(root) / "run")
        cell = Path(root) / "run" / "cells" / "c1"
        written = write_cell(cell, styles, contents)
        for _ in range(2):  # NOTE: a resumed run links again; what is there is kept
            run_dir.link_images(cell, cell_name)
        assert len(set(written)) == len(written)  # no two outputs of a cell share a file
        for relative in written:
            linked = run_dir.path / run_dir.image_path(cell_name, *relative.parts)
            assert linked.is_file() and linked.read_bytes() == (cell / "images" / relative).read_bytes()
        for style in styles:  # the grid's file name takes every style name too
            (run_dir.path / grid_path(style)).parent.mkdir(parents=True, exist_ok=True)
            (run_dir.path / grid_path(style)).write_bytes(PNG)


def test_styles_that_keep_their_suffix_run_to_the_end(tmp_path):
    styles = tmp_path / "styles"
    styles.mkdir()
    Image.new("RGB", (40, 40), (200, 30, 30)).save(styles / "udnie.jpg")
    Image.new("RGB", (40, 40), (30, 30, 200)).save(styles / "udnie.png")
    assert run_tiny(tmp_path, "--style-dir", str(styles), "--norms", "in", styles=None) == 0
    run = tmp_path / "runs" / "r"
    assert (run / "results.csv").is_file()
    assert (run / "images" / "identity" / "udnie.png").is_dir() and (run / "images" / "grid_udnie.jpg.png").is_file()
