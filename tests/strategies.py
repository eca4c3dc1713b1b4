"""Hypothesis strategies shared by the property tests: file names as POSIX allows them, and the image names the
loader makes of them (so every test that takes a name takes every name a user's folder can produce)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st

from normbench import imageio


def file_name(raw: bytes) -> str:
    """A file name from arbitrary bytes: anything but ``/`` and NUL, as POSIX allows."""
    name = raw.replace(b"/", b"_").replace(b"\0", b"_") or b"x"
    return name.decode("utf-8", "surrogateescape")


#: Names that real folders share (so that drawn folders share them too), besides arbitrary bytes.
COMMON_NAMES = (b"a", b"b", b"udnie", b"udnie.jpg", b"a[/x]", b"[bold]x", b":smile:", b"grid_a", "ü".encode())
#: ``(raw name, image suffix, subfolders)`` per file of a folder.
FOLDER_ENTRIES = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(COMMON_NAMES), st.binary(min_size=1, max_size=300)),
        st.sampled_from(imageio.IMAGE_SUFFIXES),
        st.lists(st.sampled_from(["sub", "a", "b", "[/x]"]), max_size=2),
    ),
    min_size=1,
    max_size=12,
)


def folder_paths(entries, folder: Path = Path("/data")) -> list[Path]:
    """The sorted, distinct paths of ``entries`` (see :data:`FOLDER_ENTRIES`) under ``folder``."""
    return sorted({folder.joinpath(*parents, file_name(raw) + suffix) for raw, suffix, parents in entries})


@st.composite
def image_names(draw, min_size: int = 1) -> list[str]:
    """The names :func:`normbench.imageio.image_names` gives a drawn folder's files (``udnie.jpg`` beside
    ``udnie.png``, ``a[/x]/plain``, names cut to their hash, ...)."""
    paths = folder_paths(draw(FOLDER_ENTRIES.filter(lambda entries: len(entries) >= min_size)))
    return imageio.image_names(paths, Path("/data"))
