"""Shared fixtures: CPU only, small tensors, and plugin managers that never leak between tests."""

from __future__ import annotations

import functools
import textwrap

import pytest
import torch
from PIL import Image

from normbench.catalog import Catalog
from normbench.plugins import collect_architectures, collect_norms, get_plugin_manager

#: pytester runs the contract kits as a plugin author's pytest would, and reports their outcomes.
pytest_plugins = ["pytester"]


def pytest_collection_modifyitems(config, items):
    """Tests marked ``cuda`` are skipped where torch sees no GPU, with the reason."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (torch.cuda.is_available() is False)")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    # NOTE: an empty TORCH_HOME makes every test see "no pretrained weights", as CI does.
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.setenv("NORMBENCH_CACHE_DIR", str(tmp_path / "cache"))
    # NOTE: no test downloads from the internet, also where it is reachable; tests of downloads serve files locally.
    monkeypatch.setenv("NORMBENCH_OFFLINE", "1")
    monkeypatch.delenv("NORMBENCH_DISABLE_PLUGINS", raising=False)
    torch.manual_seed(0)
    yield
    # NOTE: `run --deterministic` sets process-wide flags; later tests must not inherit them.
    torch.use_deterministic_algorithms(False)
    torch.backends.cudnn.deterministic = False


@pytest.fixture
def tiny_run(tmp_path):
    """``tiny_run(*flags, run_id="r", **keywords)``: the smallest end-to-end ``normbench run`` (``tests/tiny.py``)
    into this test's ``tmp_path/runs``; returns the exit code."""
    from tiny import run_tiny

    return functools.partial(run_tiny, tmp_path)


class StubInception(torch.nn.Module):
    """A stand-in for FID's Inception where the network adds nothing to what a test checks (sample counts, notes,
    caching, a plugin hook), like torchmetrics' ``_DummyFeatureExtractor``: one fixed random 3x3 convolution to
    ``dims`` channels, returning a list of feature maps as pytorch-fid's InceptionV3 does. The real network is
    tested where it matters (tests/test_metrics.py, the FID end-to-end run)."""

    def __init__(self, dims: int):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, dims, 3, padding=1)
        generator = torch.Generator().manual_seed(0)
        with torch.no_grad():
            self.conv.weight.copy_(torch.randn(self.conv.weight.shape, generator=generator) * 0.3)
            self.conv.bias.zero_()
        self.requires_grad_(False)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        return [torch.relu(self.conv(images))]


@pytest.fixture
def stub_inception(monkeypatch):
    """FID and KID computed on :class:`StubInception` features instead of the (random) Inception."""
    from normbench.metrics import distribution

    monkeypatch.setattr(distribution, "load_inception", lambda features, dims: StubInception(dims))


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
