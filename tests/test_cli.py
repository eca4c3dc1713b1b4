"""The ``normbench`` command end to end, on tiny settings, including a user's mistakes."""

import json
import subprocess
import sys

import pandas as pd
import pytest
from PIL import Image
from tiny import run_tiny, tiny_args

from normbench import cli
from normbench.columns import ID_COLUMNS
from normbench.training import train

TINY = tiny_args(metrics=None, styles=None, baselines=None)
# NOTE: FID/KID are exercised in test_run_writes_results_manifest_and_images and test_metrics.py; elsewhere
# the cheaper metrics keep the suite fast.
FAST = ["--metrics", "lpips"]


def run(tmp_path, *args, metrics=FAST):
    return run_tiny(tmp_path, *metrics, *args, metrics=None, styles=None, baselines=None)


MEASURED = [
    "content_distance",
    "style_gram",
    "style_meanstd",
    "lpips",
    "kid",
    "artfid",
    "contrast_sensitivity",
    "contrast_sensitivity_per_image",
    "batch_dependence_train",
    "batch_dependence_eval",
]


@pytest.mark.slow  # NOTE: every metric, FID/KID on the real (random) Inception
def test_run_writes_results_manifest_and_images(tmp_path):
    assert run(tmp_path, "--norms", "in,bn", "--styles", "waves,tiles", metrics=()) == 0
    run_dir = tmp_path / "runs" / "r"
    table = pd.read_csv(run_dir / "results.csv")
    assert list(table.columns[: len(ID_COLUMNS)]) == list(ID_COLUMNS)
    assert table[MEASURED].notna().all().all()
    assert (table.fid_n == 96).all() and (table.fid_dims == 64).all() and (table.eval_images == 21).all()
    norms, baselines = table[table.kind == "norm"], table[table.kind == "baseline"]
    assert sorted(zip(norms.norm, norms["style"])) == sorted(
        [("in", "waves"), ("in", "tiles"), ("bn", "waves"), ("bn", "tiles")]
    )
    assert sorted(set(baselines.norm)) == ["color_transfer", "identity", "style_image"] and len(baselines) == 6
    assert (table.style_split == "train").all(), "no norm here takes arbitrary styles: no held-out styles"
    assert (table.status == "ok").all() and (table.features == "random").all() and (table.precision == "fp32").all()
    assert norms[["train_img_per_s", "infer_img_per_s", "latency_ms_p50"]].gt(0).all().all()
    assert (
        baselines.train_img_per_s.isna().all() and (baselines.content_distance[baselines.norm == "identity"] == 0).all()
    )
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["features"] == "random"
    assert manifest["config"]["profile"]["steps"] == 2 and manifest["seeds"]["training"] == [0]
    assert set(manifest["metrics"]) == {
        "distances",
        "lpips",
        "fid",
        "artfid",
        "contrast",
        "batch_dependence",
        "identity_check",
        "patches",
    }
    assert all(entry.get("weights", "random") == "random" for entry in manifest["metrics"].values())
    assert [draw["random_seed"] for draw in manifest["metrics"]["distances"]["draws"]] == [2001, 2002, 2003]
    assert manifest["columns"]["style_gram"] == {
        "name": "style_gram",
        "higher_is_better": False,
        "axis": "style",
        "label": "style distance (Gram)",
        "metric": "distances",
        "description": manifest["columns"]["style_gram"]["description"],
        "equivalence_margin": 0.01,
        "min_samples": None,
        "samples_column": None,
    }
    assert manifest["columns"]["fid"]["min_samples"] == 2048 and manifest["columns"]["fid"]["samples_column"] == "fid_n"
    assert manifest["protocol"]["profile"]["precision"] == "fp32" and manifest["protocol"]["data"]["digest"]
    assert manifest["environment"]["packages"]["torch"]
    for norm in ("in", "bn", "identity"):
        assert len(list((run_dir / "images" / norm / "waves").glob("*.png"))) == 21
    assert Image.open(run_dir / "images" / "grid_tiles.png").size[0] == (1 + 2 + 3) * 32
    assert set(pd.read_csv(run_dir / "train_log.csv").model) == {"in/waves", "in/tiles", "bn/waves", "bn/tiles"}
    assert all((path.stat().st_mode & 0o044) == 0o044 for path in run_dir.rglob("*") if path.is_file())


def test_multi_style_norms_train_one_model_and_arbitrary_style_ones_meet_held_out_styles(tmp_path):
    assert run(tmp_path, "--norms", "cin,adain,none", "--styles", "embers,waves", "--baselines", "identity") == 0
    table = pd.read_csv(tmp_path / "runs" / "r" / "results.csv")
    assert (table.status == "ok").all()
    cin = table[table.norm == "cin"]
    assert (cin.train_steps == 4).all() and len(cin) == 2  # 2 steps per style, one model for both
    assert (table[table.norm == "none"].train_steps == 2).all()
    adain = table[table.norm == "adain"]
    assert (adain.architecture == "adain").all()
    assert adain.groupby("style_split")["style"].apply(list).to_dict() == {
        "train": ["embers", "waves"],
        "heldout": ["ash", "ripples", "mosaic"],
    }
    assert (table[table.norm.isin(["cin", "none"])].style_split == "train").all()
    assert sorted(table[table.norm == "identity"]["style"]) == sorted(["embers", "waves", "ash", "ripples", "mosaic"])
    assert adain[adain.style_split == "heldout"].lpips.notna().all()


def test_user_folders(tmp_path, image_folder):
    content, styles = image_folder("content", 5), image_folder("styles", 2)
    assert run(tmp_path, "--norms", "in", "--content-dir", str(content), "--style-dir", str(styles)) == 0
    manifest = json.loads((tmp_path / "runs" / "r" / "manifest.json").read_text())
    assert manifest["data"]["source"] == "user" and len(manifest["data"]["heldout_content"]) == 1


def test_an_evaluation_folder_is_measured_whole_and_the_content_folder_all_trains(tmp_path, image_folder):
    content, evaluation = image_folder("content", 3), image_folder("evaluation", 11)
    assert (
        run(
            tmp_path,
            "--norms",
            "in",
            "--styles",
            "waves",
            "--baselines",
            "identity",
            "--content-dir",
            str(content),
            "--eval-content-dir",
            str(evaluation),
        )
        == 0
    )
    manifest = json.loads((tmp_path / "runs" / "r" / "manifest.json").read_text())
    assert len(manifest["data"]["train_content"]) == 3 and len(manifest["data"]["heldout_content"]) == 11
    assert (pd.read_csv(tmp_path / "runs" / "r" / "results.csv").eval_images == 11).all()
    assert len(list((tmp_path / "runs" / "r" / "images" / "in" / "waves").rglob("*.png"))) == 11


def test_unknown_norm_exits_2_listing_the_available_ones(tmp_path, capsys):
    assert run(tmp_path, "--norms", "in,xx") == 2
    assert "unknown norm 'xx'; available: in, bn, none, cin, adain" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("make_dir", [False, True])
def test_missing_or_empty_content_dir_exits_2_naming_it(tmp_path, capsys, make_dir):
    folder = tmp_path / "photos"
    if make_dir:
        folder.mkdir()
    assert run(tmp_path, "--norms", "in", "--content-dir", str(folder)) == 2
    assert "photos" in capsys.readouterr().err


def test_corrupt_file_is_named_and_skipped(tmp_path, image_folder, capsys):
    """Training content is decoded when drawn: a broken file is named when a batch (or the held-out split) first
    reaches it, and replaced."""
    content = image_folder("content", 2)
    (content / "broken.jpg").write_bytes(b"garbage")
    assert run(tmp_path, "--norms", "in", "--styles", "waves", "--content-dir", str(content), "--steps", "6") == 0
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

    monkeypatch.setattr("normbench.lifecycle.prepared.train_model", interrupt_second_model)
    assert run(tmp_path, "--norms", "in,bn", "--styles", "waves") == 130
    run_dir = tmp_path / "runs" / "r"
    assert pd.read_csv(run_dir / "results.csv").query("kind == 'norm'").norm.tolist() == ["in"]
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "interrupted"
    assert (run_dir / "images" / "grid_waves.png").exists()
    assert not list(run_dir.rglob("*.tmp"))


def test_a_failing_norm_becomes_error_rows_and_the_sweep_goes_on(tmp_path, monkeypatch):
    real_train = train.train_model

    def fail_for_bn(model, *args, **kwargs):
        if any(type(m).__name__ == "BatchNorm2d" for m in model.modules()):
            raise RuntimeError("boom")
        return real_train(model, *args, **kwargs)

    monkeypatch.setattr("normbench.lifecycle.prepared.train_model", fail_for_bn)
    assert run(tmp_path, "--norms", "bn,in", "--styles", "waves") == 0
    table = pd.read_csv(tmp_path / "runs" / "r" / "results.csv").query("kind == 'norm'").reset_index()
    assert table.status.tolist() == ["error", "ok"] and "boom" in table.error[0]
    assert "boom" in (tmp_path / "runs" / "r" / "errors.log").read_text()


def test_console_script_help_and_errors_have_no_traceback(tmp_path):
    help_text = subprocess.run([sys.executable, "-m", "normbench", "run", "--help"], capture_output=True, text=True)
    assert help_text.returncode == 0 and "--norms" in help_text.stdout and "--weights" in help_text.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "normbench", "run", "--norms", "zz", "--out-dir", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "unknown norm 'zz'" in bad.stderr


@pytest.mark.parametrize(
    "flag,value,message",
    [
        ("--image-size", "30", "multiple of 8"),
        ("--steps", "0", "must be a positive finite number"),
        ("--lr", "-1", "must be a positive finite number"),
    ],
)
def test_bad_numbers_exit_2_naming_the_flag(tmp_path, capsys, flag, value, message):
    assert cli.main(["run", "--out-dir", str(tmp_path), flag, value]) == 2
    err = capsys.readouterr().err
    assert flag in err and message in err


def test_a_styles_results_do_not_depend_on_the_other_styles_in_the_run(tmp_path):
    assert run(tmp_path, "--norms", "in", "--styles", "waves", metrics=["--metrics", "distances"]) == 0
    alone = pd.read_csv(tmp_path / "runs" / "r" / "results.csv").query("kind == 'norm'").reset_index()
    assert (
        cli.main(
            [
                "run",
                "--out-dir",
                str(tmp_path / "runs"),
                "--run-id",
                "r2",
                *TINY,
                "--metrics",
                "distances",
                "--norms",
                "in",
                "--styles",
                "embers,waves,tiles",
            ]
        )
        == 0
    )
    together = pd.read_csv(tmp_path / "runs" / "r2" / "results.csv").query("kind == 'norm'").set_index("style")
    assert alone.content_distance[0] == together.content_distance["waves"]
    assert alone.style_gram[0] == together.style_gram["waves"]


def test_repeated_or_aliased_norms_are_trained_once(tmp_path):
    assert run(tmp_path, "--norms", "in,InstanceNorm,in", "--styles", "waves", "--baselines", "identity") == 0
    assert pd.read_csv(tmp_path / "runs" / "r" / "results.csv").norm.tolist() == ["identity", "in"]


def test_metrics_flag_selects_metrics_and_rejects_unknown_ones(tmp_path, capsys):
    assert run(tmp_path, "--norms", "in", "--styles", "waves", metrics=["--metrics", "contrast"]) == 0
    table = pd.read_csv(tmp_path / "runs" / "r" / "results.csv")
    assert table.contrast_sensitivity.notna().all() and "lpips" not in table
    assert cli.main(["run", "--metrics", "ssim", "--out-dir", str(tmp_path)]) == 2
    assert (
        "unknown metric 'ssim'; available: distances, lpips, fid, artfid, contrast, batch_dependence, "
        "identity_check, patches" in capsys.readouterr().err
    )
    assert cli.main(["run", "--metrics", "artfid,lpips", "--out-dir", str(tmp_path)]) == 2
    assert "metric 'artfid' is computed from fid; add fid to --metrics" in capsys.readouterr().err


def test_precision_is_the_protocols_and_recorded_while_speed_switches_change_only_speed(tmp_path, capsys):
    assert (
        run(
            tmp_path,
            "--norms",
            "in",
            "--styles",
            "waves",
            "--precision",
            "bf16",
            "--speed",
            "channels_last",
            "--baselines",
            "identity",
        )
        == 0
    )
    row = pd.read_csv(tmp_path / "runs" / "r" / "results.csv").query("kind == 'norm'").iloc[0]
    assert row.precision == "bf16" and row.speed == "channels_last" and row.optimizer in ("adam-fused", "adam-foreach")
    assert row.infer_plain_img_per_s > 0
    assert row.infer_speedup == pytest.approx(row.infer_img_per_s / row.infer_plain_img_per_s)
    manifest = json.loads((tmp_path / "runs" / "r" / "manifest.json").read_text())
    assert manifest["precision"] == "bf16" and manifest["protocol"]["profile"]["precision"] == "bf16"
    assert manifest["config"]["speed"]["speed_autocast"] == "off" and not manifest["config"]["deterministic"]
    assert "allocator" in manifest["evaluation"]
    assert run(tmp_path, "--norms", "in", "--speed", "fast+bf16") == 2
    err = capsys.readouterr().err
    assert "bf16 changes the numbers a run produces" in err and "--precision bf16" in err
    assert run(tmp_path, "--norms", "in", "--precision", "fp16") == 2
    assert "precision fp16 needs a CUDA device" in capsys.readouterr().err


def test_the_default_precision_and_switches_do_not_depend_on_the_cpu(tmp_path, monkeypatch):
    from normbench.lifecycle.options import RunOptions
    from normbench.lifecycle.setup import resolve_run
    from normbench.runtime import switches

    monkeypatch.setattr(switches, "cpu_has_native_bf16", lambda: True)
    args = cli.build_parser().parse_args(["run", "--device", "cpu", "--weights", "random"])
    config = resolve_run(RunOptions.of(args)).config
    assert config.profile.precision == "fp32" and config.speed == switches.PLAIN


def test_a_plain_deterministic_run_has_speedup_one_and_says_so(tmp_path):
    assert run(tmp_path, "--norms", "in", "--styles", "waves", "--speed", "plain", "--deterministic") == 0
    table = pd.read_csv(tmp_path / "runs" / "r" / "results.csv").query("kind == 'norm'")
    assert (table.infer_speedup == 1.0).all() and (table.speed == "plain").all()
    assert json.loads((tmp_path / "runs" / "r" / "manifest.json").read_text())["config"]["deterministic"]


def test_an_unknown_speed_switch_is_refused_before_any_work(tmp_path, capsys):
    assert run(tmp_path, "--norms", "in", "--speed", "channels_last+warp") == 2
    assert "unknown speed switch 'warp'" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_run_json_prints_the_summary_on_stdout_and_keeps_progress_off_it(tmp_path, capsys):
    assert run(tmp_path, "--norms", "in", "--styles", "waves", "--baselines", "identity", "--json") == 0
    out, err = capsys.readouterr()
    document = json.loads(out)  # NOTE: stdout is the document alone
    results = pd.read_csv(tmp_path / "runs" / "r" / "results.csv").set_index("norm")
    by_norm = {row["norm"]: row for row in document["summary"]}
    assert by_norm["in"]["lpips"]["mean"] == pytest.approx(results.loc["in", "lpips"])
    assert document["status"].startswith("complete") and document["report"].endswith("report.html")
    assert "results:" in err and "verdict:" not in err
