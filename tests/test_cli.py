"""The ``normbench`` command end to end, on tiny settings, including a user's mistakes."""

import json
import subprocess
import sys

import pandas as pd
import pytest
from PIL import Image

from normbench import cli, train
from normbench.results import RESULT_COLUMNS

TINY = ["--steps", "2", "--image-size", "32", "--eval-size", "32", "--batch-size", "2", "--device", "cpu"]
# NOTE: FID/KID are exercised in test_run_writes_results_manifest_and_images and test_metrics.py; elsewhere
# the cheaper metrics keep the suite fast.
FAST = ["--metrics", "lpips"]


def run(tmp_path, *args, metrics=FAST):
    return cli.main(["run", "--out-dir", str(tmp_path / "runs"), "--run-id", "r", *TINY, *metrics, *args])


def test_run_writes_results_manifest_and_images(tmp_path):
    assert run(tmp_path, "--norms", "in,bn", "--styles", "waves,tiles", metrics=()) == 0
    run_dir = tmp_path / "runs" / "r"
    table = pd.read_csv(run_dir / "results.csv")
    assert list(table.columns) == RESULT_COLUMNS
    assert table[["lpips", "kid", "contrast_lpips", "artfid"]].notna().all().all()
    assert (table.fid_n == 96).all() and (table.fid_dims == 64).all()
    assert sorted(zip(table.norm, table["style"])) == sorted(
        [("in", "waves"), ("in", "tiles"), ("bn", "waves"), ("bn", "tiles")])
    assert (table.status == "ok").all() and (table.features == "random").all()
    assert table[["content_loss", "style_loss", "train_img_per_s", "infer_img_per_s", "latency_ms_p50"]].gt(0).all().all()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["features"] == "random"
    assert manifest["config"]["profile"]["steps"] == 2 and manifest["seeds"]["seed"] == 0
    assert set(manifest["metrics"]) == {"content_loss", "style_loss", "lpips", "fid", "contrast_lpips"}
    assert all(entry["weights"] == "random" for entry in manifest["metrics"].values())
    assert manifest["environment"]["packages"]["torch"]
    for norm in ("in", "bn"):
        assert len(list((run_dir / "images" / norm / "waves").glob("*.png"))) == 3
    assert Image.open(run_dir / "images" / "grid_tiles.png").size[0] == 3 * 32
    assert set(pd.read_csv(run_dir / "train_log.csv").model) == {"in/waves", "in/tiles", "bn/waves", "bn/tiles"}
    assert all((path.stat().st_mode & 0o044) == 0o044 for path in run_dir.rglob("*") if path.is_file())


def test_multi_style_norms_train_one_model_and_report_every_style(tmp_path):
    assert run(tmp_path, "--norms", "cin,adain,none", "--styles", "embers,waves") == 0
    table = pd.read_csv(tmp_path / "runs" / "r" / "results.csv")
    assert len(table) == 6 and (table.status == "ok").all()
    cin = table[table.norm == "cin"]
    assert (cin.train_steps == 4).all()  # 2 steps per style, one model for both
    assert (table[table.norm == "none"].train_steps == 2).all()
    assert (table[table.norm == "adain"].architecture == "adain").all()


def test_user_folders(tmp_path, image_folder):
    content, styles = image_folder("content", 5), image_folder("styles", 2)
    assert run(tmp_path, "--norms", "in", "--content-dir", str(content), "--style-dir", str(styles)) == 0
    manifest = json.loads((tmp_path / "runs" / "r" / "manifest.json").read_text())
    assert manifest["data"]["source"] == "user" and len(manifest["data"]["heldout_content"]) == 1


def test_unknown_norm_exits_2_listing_the_available_ones(tmp_path, capsys):
    assert run(tmp_path, "--norms", "in,xx") == 2
    assert "unknown norm 'xx'; available: none, bn, in, cin, adain" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("make_dir", [False, True])
def test_missing_or_empty_content_dir_exits_2_naming_it(tmp_path, capsys, make_dir):
    folder = tmp_path / "photos"
    if make_dir:
        folder.mkdir()
    assert run(tmp_path, "--norms", "in", "--content-dir", str(folder)) == 2
    assert "photos" in capsys.readouterr().err


def test_corrupt_file_is_named_and_skipped(tmp_path, image_folder, capsys):
    content = image_folder("content", 4)
    (content / "broken.jpg").write_bytes(b"garbage")
    assert run(tmp_path, "--norms", "in", "--styles", "waves", "--content-dir", str(content)) == 0
    assert "broken.jpg" in capsys.readouterr().err


def test_pretrained_weights_missing_exits_4_before_training(tmp_path, capsys):
    assert run(tmp_path, "--norms", "in", "--weights", "pretrained") == 4
    err = capsys.readouterr().err
    assert "vgg16-397923af.pth" in err and "torch_home" in err
    assert not (tmp_path / "runs").exists()


def test_ctrl_c_keeps_finished_rows(tmp_path, monkeypatch):
    real_train, calls = train.train_model, []

    def interrupt_second_model(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_train(*args, **kwargs)

    monkeypatch.setattr("normbench.runner.train_model", interrupt_second_model)
    assert run(tmp_path, "--norms", "in,bn", "--styles", "waves") == 130
    run_dir = tmp_path / "runs" / "r"
    assert pd.read_csv(run_dir / "results.csv").norm.tolist() == ["in"]
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "interrupted"
    assert (run_dir / "images" / "grid_waves.png").exists()
    assert not list(run_dir.rglob("*.tmp"))


def test_a_failing_norm_becomes_error_rows_and_the_sweep_goes_on(tmp_path, monkeypatch):
    real_train = train.train_model

    def fail_for_bn(model, *args, **kwargs):
        if any(type(m).__name__ == "BatchNorm2d" for m in model.modules()):
            raise RuntimeError("boom")
        return real_train(model, *args, **kwargs)

    monkeypatch.setattr("normbench.runner.train_model", fail_for_bn)
    assert run(tmp_path, "--norms", "bn,in", "--styles", "waves") == 0
    table = pd.read_csv(tmp_path / "runs" / "r" / "results.csv")
    assert table.status.tolist() == ["error", "ok"] and "boom" in table.error[0]
    assert "boom" in (tmp_path / "runs" / "r" / "errors.log").read_text()


def test_console_script_help_and_errors_have_no_traceback(tmp_path):
    help_text = subprocess.run([sys.executable, "-m", "normbench", "run", "--help"], capture_output=True, text=True)
    assert help_text.returncode == 0 and "--norms" in help_text.stdout and "--weights" in help_text.stdout
    bad = subprocess.run([sys.executable, "-m", "normbench", "run", "--norms", "zz", "--out-dir", str(tmp_path)],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "unknown norm 'zz'" in bad.stderr


@pytest.mark.parametrize("flag,value,message", [("--image-size", "30", "multiple of 8"),
                                                ("--steps", "0", "must be positive"),
                                                ("--lr", "-1", "must be positive")])
def test_bad_numbers_exit_2_naming_the_flag(tmp_path, capsys, flag, value, message):
    assert cli.main(["run", "--out-dir", str(tmp_path), flag, value]) == 2
    err = capsys.readouterr().err
    assert flag in err and message in err


def test_a_styles_results_do_not_depend_on_the_other_styles_in_the_run(tmp_path):
    assert run(tmp_path, "--norms", "in", "--styles", "waves") == 0
    alone = pd.read_csv(tmp_path / "runs" / "r" / "results.csv")
    assert cli.main(["run", "--out-dir", str(tmp_path / "runs"), "--run-id", "r2", *TINY,
                     "--norms", "in", "--styles", "embers,waves,tiles"]) == 0
    together = pd.read_csv(tmp_path / "runs" / "r2" / "results.csv").set_index("style")
    assert alone.content_loss[0] == together.content_loss["waves"]
    assert alone.style_loss[0] == together.style_loss["waves"]


def test_repeated_or_aliased_norms_are_trained_once(tmp_path):
    assert run(tmp_path, "--norms", "in,InstanceNorm,in", "--styles", "waves") == 0
    assert pd.read_csv(tmp_path / "runs" / "r" / "results.csv").norm.tolist() == ["in"]


def test_metrics_flag_selects_metrics_and_rejects_unknown_ones(tmp_path, capsys):
    assert run(tmp_path, "--norms", "in", "--styles", "waves", metrics=["--metrics", "contrast_lpips"]) == 0
    table = pd.read_csv(tmp_path / "runs" / "r" / "results.csv")
    assert table.contrast_lpips.notna().all() and table.lpips.isna().all()
    assert cli.main(["run", "--metrics", "ssim", "--out-dir", str(tmp_path)]) == 2
    assert "unknown metric 'ssim'; available: lpips, fid, contrast_lpips" in capsys.readouterr().err


def test_run_records_its_speed_switches_and_the_plain_baseline_beside_them(tmp_path):
    assert run(tmp_path, "--norms", "in", "--styles", "waves", "--speed", "bf16") == 0
    table = pd.read_csv(tmp_path / "runs" / "r" / "results.csv")
    row = table.iloc[0]
    assert row.speed == "bf16" and row.optimizer in ("adam-fused", "adam-foreach")
    assert row.infer_plain_img_per_s > 0
    assert row.infer_speedup == pytest.approx(row.infer_img_per_s / row.infer_plain_img_per_s)
    manifest = json.loads((tmp_path / "runs" / "r" / "manifest.json").read_text())
    assert manifest["config"]["speed"]["speed_autocast"] == "bf16" and not manifest["config"]["deterministic"]
    assert "allocator" in manifest["evaluation"]


def test_a_plain_deterministic_run_has_speedup_one_and_says_so(tmp_path):
    assert run(tmp_path, "--norms", "in", "--styles", "waves", "--speed", "plain", "--deterministic") == 0
    table = pd.read_csv(tmp_path / "runs" / "r" / "results.csv")
    assert (table.infer_speedup == 1.0).all() and (table.speed == "plain").all()
    assert json.loads((tmp_path / "runs" / "r" / "manifest.json").read_text())["config"]["deterministic"]


def test_an_unknown_speed_switch_is_refused_before_any_work(tmp_path, capsys):
    assert run(tmp_path, "--norms", "in", "--speed", "bf16+warp") == 2
    assert "unknown speed switch 'warp'" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
