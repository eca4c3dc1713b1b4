import pytest
import torch

from normbench import weights
from normbench.errors import MissingWeightsError


def test_every_file_has_a_url_a_hash_and_a_place_under_torch_home(tmp_path):
    for entry in weights.WEIGHT_FILES.values():
        assert entry.url.startswith("https://") and len(entry.hash_prefix) >= 6
        assert entry.path.parent == tmp_path / "torch_home" / "hub" / "checkpoints"
    assert weights.WEIGHT_FILES["inception_fid"].filename == "pt_inception-2015-12-05-6726825d.pth"


def test_check_reports_missing_ok_and_corrupt(stand_in_weights):
    entry = stand_in_weights("alexnet", {"w": torch.ones(3)})
    assert weights.check(entry) == "ok"
    entry.path.write_bytes(entry.path.read_bytes()[:-8] + b"corrupt!")
    assert weights.check(entry).startswith("corrupt")
    entry.path.unlink()
    assert weights.check(entry) == "missing"


def test_weights_check_exits_4_when_a_needed_file_is_missing_or_corrupt(stand_in_weights, capsys):
    from normbench import cli

    entry = stand_in_weights("alexnet", {"w": torch.ones(3)})
    assert cli.main(["weights", "check", "alexnet"]) == 0
    assert cli.main(["weights", "check"]) == 4  # NOTE: every file is needed without names; the others are missing
    entry.path.write_bytes(entry.path.read_bytes()[:-8] + b"corrupt!")
    assert cli.main(["weights", "check", "alexnet"]) == 4
    assert "missing or corrupt: alexnet" in capsys.readouterr().err
    assert cli.main(["weights", "check", "resnet"]) == 2


def test_require_names_the_file_the_folder_and_the_url():
    with pytest.raises(MissingWeightsError) as caught:
        weights.require(["inception_fid"])
    message = str(caught.value)
    assert "pt_inception-2015-12-05-6726825d.pth" in message and "torch_home" in message
    assert weights.WEIGHT_FILES["inception_fid"].url in message and caught.value.exit_code == 4


def test_download_is_atomic_and_verified(tmp_path, monkeypatch):
    source = tmp_path / "served.pth"
    source.write_bytes(b"weights")
    digest = weights.sha256(source)
    good = weights.WeightsFile("x", source.as_uri().replace("served", f"served-{digest[:8]}"), "test")
    source.rename(tmp_path / f"served-{digest[:8]}.pth")
    weights.download(good)
    assert good.path.read_bytes() == b"weights"
    bad = weights.WeightsFile(
        "y", (tmp_path / f"served-{digest[:8]}.pth").as_uri().replace(digest[:8], "00000000"), "t"
    )
    (tmp_path / "served-00000000.pth").write_bytes(b"tampered")
    with pytest.raises(MissingWeightsError, match="nothing was saved"):
        weights.download(bad)
    assert not bad.path.exists() and not list(bad.path.parent.glob("*.part*"))


def test_cli_list_json_names_every_file(capsys):
    import json

    from normbench import cli

    assert cli.main(["weights", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["name"] for row in rows} == set(weights.WEIGHT_FILES) and not any(row["present"] for row in rows)


def test_cli_download_offline_with_a_file_missing_exits_4(capsys):
    from normbench import cli

    assert cli.main(["weights", "download", "--offline"]) == 4
    assert "vgg16-397923af.pth" in capsys.readouterr().err


def test_cli_check_exits_4_on_a_corrupt_file(stand_in_weights, capsys):
    from normbench import cli

    entry = stand_in_weights("vgg19", {"w": torch.zeros(2)})
    assert cli.main(["weights", "check", "vgg19"]) == 0
    entry.path.write_bytes(b"truncated")
    assert cli.main(["weights", "check", "vgg19"]) == 4
    assert "corrupt" in capsys.readouterr().err
