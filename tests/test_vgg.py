import pytest
import torch
import torchvision

from normbench.errors import MissingWeightsError
from normbench.models.vgg import load_vgg, resolve_features, weights_path


def test_weights_live_under_torch_home(tmp_path):
    assert weights_path("vgg16") == tmp_path / "torch_home" / "hub" / "checkpoints" / "vgg16-397923af.pth"


def test_random_needs_no_files():
    assert resolve_features("random", ["vgg16", "vgg19"]) == "random"


def test_pretrained_with_a_file_missing_names_the_file_and_where_it_looked(tmp_path):
    with pytest.raises(MissingWeightsError) as caught:
        resolve_features("pretrained", ["vgg16"])
    message = str(caught.value)
    assert "vgg16-397923af.pth" in message and str(tmp_path / "torch_home") in message
    assert caught.value.exit_code == 4


def test_auto_falls_back_to_random_with_a_warning():
    with pytest.warns(UserWarning, match="random features"):
        assert resolve_features("auto", ["vgg16"]) == "random"


def test_random_features_are_seeded_and_frozen():
    a, b = load_vgg("vgg16", "random"), load_vgg("vgg16", "random")
    assert torch.equal(a.trunk[0].weight, b.trunk[0].weight)
    assert not any(p.requires_grad for p in a.parameters())
    image = torch.rand(1, 3, 32, 32)
    assert set(a(image)) == {"relu1_2", "relu2_2", "relu3_3", "relu4_3"}
    assert set(a(image, upto="relu2_2")) == {"relu1_2", "relu2_2"}


def test_pretrained_loads_the_file_from_torch_home(stand_in_weights):
    # NOTE: a differently seeded VGG16 stands in for the ImageNet file, which cannot be downloaded here.
    torch.manual_seed(99)
    reference = torchvision.models.vgg16(weights=None)
    stand_in_weights("vgg16", reference.state_dict())
    assert resolve_features("pretrained", ["vgg16"]) == "pretrained"
    loaded = load_vgg("vgg16", "pretrained")
    assert torch.equal(loaded.trunk[0].weight, reference.features[0].weight)
    assert not torch.equal(loaded.trunk[0].weight, load_vgg("vgg16", "random").trunk[0].weight)
