"""Shared fixtures: CPU only, small tensors, and plugin managers that never leak between tests."""

from __future__ import annotations

import textwrap

import pytest
import torch
from PIL import Image

from normbench.plugins import collect_architectures, collect_norms, get_plugin_manager
from normbench.training.harness import Catalog

#: pytester runs the contract kits as a plugin author's pytest would, and reports their outcomes.
pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    # NOTE: an empty TORCH_HOME makes every test see "no pretrained weights", as CI does.
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setenv("NORMBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NORMBENCH_DISABLE_PLUGINS", raising=False)
    torch.manual_seed(0)
    yield
    # NOTE: `run --deterministic` sets process-wide flags; later tests must not inherit them.
    torch.use_deterministic_algorithms(False)
    torch.backends.cudnn.deterministic = False


@pytest.fixture
def registry():
    """The built-in norms, without any installed third-party plugin."""
    return collect_norms(get_plugin_manager(entrypoints=False))


@pytest.fixture
def catalog():
    """The built-in norms, each in its own or a named built-in architecture (``in@msgnet``)."""
    pm = get_plugin_manager(entrypoints=False)
    return Catalog(collect_norms(pm), collect_architectures(pm))


@pytest.fixture
def image_folder(tmp_path):
    """A folder of small, distinct RGB images in nested subfolders and several formats."""

    def make(name: str, count: int, formats=("png", "jpeg", "webp")):
        root = tmp_path / name
        for index in range(count):
            fmt = formats[index % len(formats)]
            path = root / f"sub{index % 2}" / f"img{index}.{'jpg' if fmt == 'jpeg' else fmt}"
            path.parent.mkdir(parents=True, exist_ok=True)
            colour = (40 * index % 256, 255 - 30 * index % 256, 90)
            Image.new("RGB", (48 + index, 40), colour).save(path, format=fmt.upper())
        return root

    return make


@pytest.fixture
def fake_distribution(tmp_path, monkeypatch):
    """Install a plugin module as an entry point of a fake distribution on sys.path."""

    def install(module_name: str, source: str, dist_name: str = "fake-plugin", entry_name: str = "fake"):
        site = tmp_path / f"site_{module_name}"
        site.mkdir()
        (site / f"{module_name}.py").write_text(textwrap.dedent(source))
        info = site / f"{dist_name.replace('-', '_')}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[normbench]\n{entry_name} = {module_name}\n")
        monkeypatch.syspath_prepend(str(site))
        return site

    return install


@pytest.fixture
def stand_in_weights(monkeypatch, tmp_path):
    """Save a state dict as the weights file ``name``, under a file name carrying its own hash.

    The real files cannot be downloaded here; a stand-in whose name matches its
    sha256 exercises the same loading and checking code.
    """
    from normbench import weights

    def install(name: str, state: dict):
        temp = tmp_path / f"{name}.tmp"
        torch.save(state, temp)
        digest = weights.sha256(temp)[:8]
        entry = weights.WeightsFile(name, f"https://weights.invalid/{name}-{digest}.pth", "test")
        monkeypatch.setitem(weights.WEIGHT_FILES, name, entry)
        entry.path.parent.mkdir(parents=True, exist_ok=True)
        temp.replace(entry.path)
        return entry

    return install
