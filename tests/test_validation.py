"""Every flag is checked before anything is created or trained: exit 2 with a message naming the flag."""

import os

import pytest
from tiny import tiny_args

from normbench import cli

TINY = tiny_args("--norms", "in")


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--lr", "nan"], "--lr must be a positive finite number, got nan"),
        (["--lr", "inf"], "--lr must be a positive finite number, got inf"),
        (
            ["--lr", "adain=1e-5"],
            "--lr: no norm of this run trains in architecture 'adain'; this run's architectures: transformer",
        ),
        (
            ["--norms", "adain@transformer"],
            "norm 'adain' needs style_feat conditioning, which architecture "
            "'transformer' cannot give; it takes none, style_id",
        ),
        (
            ["--norms", "in@unet"],
            "norm 'in': unknown architecture 'unet'; available: transformer, adain, adain16, msgnet",
        ),
        (["--image-size", "100000"], "--image-size must be a multiple of 8 from 32 to 4096"),
        (["--style-weights", "0.5,2"], "--style-weights must include 1, the architectures' own style weight"),
        (["--style-weights", "1,-2"], "--style-weights must be positive finite numbers, got -2.0"),
        (["--style-weights", "1,1"], "--style-weights repeats a weight: 1, 1"),
        (["--device", "meta"], "--device meta: normbench runs on cpu or cuda"),
        (["--device", "mps"], "--device mps: normbench runs on cpu or cuda"),
        (["--device", "cuda:7"], "--device cuda:7: CUDA is not available"),
        (["--device", "gpu"], "--device 'gpu' is not a device torch knows"),
    ],
)
def test_bad_values_exit_2_before_any_directory(flags, message, tmp_path, capsys):
    out = tmp_path / "runs"
    assert cli.main(["run", *TINY, *flags, "--out-dir", str(out)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert message in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("rate", ["fast", "adain:1e-4", "="])
def test_a_learning_rate_that_is_no_number_is_refused_by_the_parser(rate, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", *TINY, "--out-dir", str(tmp_path / "runs"), "--lr", rate])
    assert exit_info.value.code == 2 and "expected a learning rate, or ARCHITECTURE=RATE" in capsys.readouterr().err


def test_style_weights_that_are_no_numbers_are_refused_by_the_parser(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", *TINY, "--out-dir", str(tmp_path / "runs"), "--style-weights", "1,x"])
    assert exit_info.value.code == 2 and "expected comma-separated numbers like 0.25,1,4, got '1,x'" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("run_id", ["../escape", "/abs/path", "a/b", "..", ""])
def test_a_run_id_is_one_path_component(run_id, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", *TINY, "--out-dir", str(tmp_path / "runs"), "--run-id", run_id])
    assert exit_info.value.code == 2 and "is not a directory name" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_an_out_dir_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert cli.main(["run", *TINY, "--out-dir", str(tmp_path / "file")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"--out-dir {tmp_path / 'file'}: is a file, not a folder" in err


def test_an_out_dir_that_cannot_be_written_is_refused(tmp_path, capsys, monkeypatch):
    # NOTE: CI runs as root, which writes anywhere; the check asks os.access, so the test asks it too.
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    assert cli.main(["run", *TINY, "--out-dir", str(tmp_path / "locked" / "runs")]) == 2
    assert f"{tmp_path} is not writable" in " ".join(capsys.readouterr().err.split())  # NOTE: rich wraps at 160
    assert not (tmp_path / "locked").exists()
