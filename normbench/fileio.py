"""Files that land whole: written beside their place, flushed, then moved into place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then move it into place: after a
    crash or power loss ``path`` holds the old contents or the new, never a mix or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        # NOTE: mkstemp makes files private (0600); results are meant to be shared, so honour the umask.
        os.chmod(temp, 0o666 & ~_UMASK)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


#: Overrides where normbench keeps what is worth keeping between runs (FID reference statistics).
CACHE_ENV = "NORMBENCH_CACHE_DIR"


def cache_dir() -> Path:
    """``$NORMBENCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/normbench``, else ``~/.cache/normbench`` (the XDG base
    directory convention; weights follow torch's own ``$TORCH_HOME``)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "normbench"
