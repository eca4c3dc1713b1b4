"""``normbench run --config study.toml``: every option and profile field from a file, flags over the file, the
resolved configuration in the manifest, and errors that name the file and the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from normbench import cli
from normbench.errors import ExitCode

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(text)
    return path


STUDY = """
[run]
norms = ["in"]
styles = "waves"
steps = 3
image-size = 32
eval_size = 32
batch_size = 2
metrics = ["lpips"]
baselines = ["identity"]
weights = "random"
seeds = "0-1"
out_dir = "runs"
run_id = "from-file"

[profile]
content_layer = "relu3_3"

[profile.training.transformer]
style_weight = 5
tv_weight = 0.5
"""


def test_a_study_file_sets_options_and_profile_fields_and_flags_override_it(tmp_path):
    study = write(tmp_path, STUDY)
    assert cli.main(["run", "--config", str(study), "--steps", "2"]) == 0
    manifest = json.loads((tmp_path / "runs" / "from-file" / "manifest.json").read_text())
    profile = manifest["config"]["profile"]
    assert (profile["steps"], profile["image_size"], profile["content_layer"]) == (2, 32, "relu3_3")
    assert profile["training"] == {"transformer": {"style_weight": 5.0, "tv_weight": 0.5}}
    assert manifest["norms"][0]["training"] == {
        "lr": 1e-3,
        "content_weight": 2.0,
        "style_weight": 5.0,
        "tv_weight": 0.5,
    }
    assert manifest["config"]["seeds"] == [0, 1] and manifest["config"]["norms"] == ["in"]
    assert manifest["config"]["study_file"]["path"] == str(study.resolve())
    # NOTE: a loss weight decides the numbers
    assert manifest["protocol"]["profile"]["training"]["transformer"]["style_weight"] == 5.0


@pytest.mark.parametrize(
    "text, message",
    [
        ("[run]\nnorms = [\n", "not valid TOML"),
        ("[runs]\nnorms = 'in'\n", "unknown table [runs]"),
        ("[run]\nnrms = 'in'\n", "[run] has unknown option 'nrms'"),
        ("[run]\nprofile = 'huge'\n", "[run] profile must be one of"),
        ("[run]\ndeterministic = 'yes'\n", "[run] deterministic must be true or false"),
        ("[profile]\nstyle_wieght = 2.0\n", "[profile] has unknown field 'style_wieght'"),
        ("[profile]\nsteps = 'many'\n", "[profile] steps must be int"),
        ("[run]\nseeds = '3-1'\n", "empty seed range"),
        ("[profile]\nstyle_weights = [0.5, 2.0]\n", "[profile] style_weights must include 1"),
        ("[run]\nstyle_weights = [1, 'x']\n", "[run] style_weights: expected comma-separated numbers"),
        (
            "[profile.training.transformer]\nstyle_weight = -1.0\n",
            "[profile.training.transformer] style_weight must be a non-negative finite number, got -1.0",
        ),
        (
            "[profile.training.transformer]\nmomentum = 0.9\n",
            "[profile.training.transformer] has unknown field 'momentum'",
        ),
        (
            "[run]\nnorms = 'in'\n[profile.training.adain]\nlr = 1e-5\n",
            "[profile.training.adain]: no norm of this run trains in "
            "architecture 'adain'; this run's architectures: transformer",
        ),
    ],
)
def test_a_wrong_study_file_exits_2_naming_the_file_and_key(tmp_path, capsys, text, message):
    study = write(tmp_path, text)
    assert cli.main(["run", "--config", str(study)]) == ExitCode.USAGE_ERROR
    err = " ".join(capsys.readouterr().err.split())
    assert message in err and str(study) in err and "Traceback" not in err


@pytest.mark.filterwarnings("ignore:pretrained weights missing")
def test_the_shipped_example_study_resolves():
    from normbench.cli.studyfile import apply_study
    from normbench.lifecycle.options import RunOptions
    from normbench.lifecycle.setup import resolve_run

    args = cli.build_parser().parse_args(["run", "--config", str(ROOT / "study.example.toml"), "--device", "cpu"])
    args = apply_study(args)
    with pytest.warns(UserWarning, match=r"no pretrained vgg16, vgg19, vgg13, alexnet, inception_fid \(downloads are"):
        config = resolve_run(RunOptions.of(args)).config
    assert config.norms == ["in", "bn", "cin", "adain", "none"] and config.seeds == [0, 1, 2]
    # NOTE: the file spells out adain's defaults, which leave the protocol as it is without them
    assert config.profile.steps == 400 and config.profile.training == {}


def test_a_flag_given_with_its_default_value_still_overrides_the_file(tmp_path):
    study = write(tmp_path, STUDY.replace('weights = "random"', 'weights = "pretrained"'))
    # NOTE: --weights auto is the flag's default; typed, it must win over the file's pretrained (which would fail)
    assert cli.main(["run", "--config", str(study), "--weights", "auto", "--steps", "1"]) == 0
    manifest = json.loads((tmp_path / "runs" / "from-file" / "manifest.json").read_text())
    assert manifest["config"]["weights"] == "auto"
