"""Speed switches, the timing protocol, FLOP counting and the training step under every switch (CPU)."""

import math

import pandas as pd
import pytest
import torch
from torch import nn

from normbench.config import PROFILES
from normbench.models.transformer import TransformerNet
from normbench.models.vgg import load_vgg
from normbench.norms.instancenorm import instance_norm
from normbench.registry import TrainingSettings
from normbench.runtime import flops, switches, timing
from normbench.runtime.switches import PLAIN, SpeedSettings, parse_settings
from normbench.store.bench_directory import with_speedups
from normbench.training import losses
from normbench.training.criteria import GramCriterion
from normbench.training.harness import StyleBank
from normbench.training.train import TrainStep

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


def test_plain_has_every_switch_off_and_labels_name_the_switches():
    assert PLAIN.label == "plain"
    assert SpeedSettings(channels_last=True, autocast="bf16", compile="inductor").label == "bf16+channels_last+compile"
    assert parse_settings("plain", CPU) == PLAIN
    recorded = SpeedSettings(autocast="bf16", workers=2).to_dict()
    assert recorded["speed"] == "bf16+workers=2" and recorded["speed_autocast"] == "bf16"


def test_fast_on_cuda_turns_on_what_pays_off_there_without_new_numerics_and_compile_joins_it():
    fast = parse_settings("fast", CUDA)
    assert fast.autocast == "off" and fast.channels_last and fast.cudnn_benchmark and fast.pin_memory
    assert fast.workers >= 1 and fast.compile == "off"
    assert parse_settings("fast+compile", CUDA) == switches.replace(fast, compile="inductor")
    assert parse_settings("compile+fast", CUDA) == parse_settings("fast+compile", CUDA)
    assert parse_settings("fast+bf16", CUDA) == switches.replace(fast, autocast="bf16")  # bench may time it


@pytest.mark.parametrize("native_bf16", [False, True])
def test_fast_on_a_cpu_is_plain_whatever_the_cpu_has(monkeypatch, native_bf16):
    monkeypatch.setattr(switches, "cpu_has_native_bf16", lambda: native_bf16)
    assert parse_settings("fast", CPU) == PLAIN


@pytest.mark.parametrize("text", ["bf16", "fast+bf16", "fp16"])
def test_a_run_refuses_autocast_as_a_speed_switch_and_names_the_precision_flag(text):
    with pytest.raises(ValueError, match=f"use --precision {text.split('+')[-1]}"):
        parse_settings(text, CUDA, numerics=False)


@pytest.mark.parametrize(
    "text, message",
    [
        ("turbo", "unknown speed switch 'turbo'"),
        ("fp16", "fp16 autocast needs a CUDA device"),
        ("cudnn_benchmark", "no effect on a CPU"),
        ("compile=tvm", "unknown compile backend 'tvm'"),
    ],
)
def test_bad_switches_are_refused_by_name(text, message):
    with pytest.raises(ValueError, match=message):
        parse_settings(text, CPU)


def test_speed_phase_turns_cudnn_autotuning_on_only_when_not_deterministic():
    before = torch.backends.cudnn.benchmark
    tuned = SpeedSettings(cudnn_benchmark=True)
    with switches.speed_phase(tuned):
        assert torch.backends.cudnn.benchmark
    with switches.speed_phase(tuned, deterministic=True):
        assert not torch.backends.cudnn.benchmark
    assert torch.backends.cudnn.benchmark == before


def test_timing_warms_up_then_times_at_least_five_calls(monkeypatch):
    calls = []
    monkeypatch.setattr(timing, "WARMUP_SECONDS", 0.0)
    result = timing.time_calls(lambda: calls.append(1), reps=3, device=CPU)
    assert len(calls) == timing.WARMUP_REPS + 5 and result.reps == 5
    assert result.q1_s <= result.median_s <= result.q3_s


def test_throughput_reports_the_iqr_ends_the_right_way_round():
    t = timing.Timing(first_s=3.0, median_s=0.5, q1_s=0.4, q3_s=1.0, reps=5)
    assert t.throughput(4) == {"img_per_s": 8.0, "img_per_s_q1": 4.0, "img_per_s_q3": 10.0}
    assert t.setup_s == 2.5


def test_flops_of_a_convolution_match_the_closed_form():
    conv = nn.Conv2d(3, 8, 3, padding=1)
    counted = flops.count_flops(lambda: conv(torch.rand(2, 3, 10, 10)))
    assert counted == 2 * 2 * 8 * 3 * 3 * 3 * 10 * 10


def test_the_transformer_net_costs_about_20_gflop_per_256_image():
    model = TransformerNet(instance_norm).eval()
    with torch.inference_mode():
        counted = flops.count_flops(lambda: model(torch.rand(1, 3, 256, 256)))
    assert 19e9 < counted < 21e9


def test_known_gpus_use_their_data_sheet_peak(monkeypatch):
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA H100 80GB HBM3")
    peak, source = flops.device_peak_tflops(CUDA, "bf16")
    assert peak == 989.0 and "data sheet" in source
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA H100 PCIe")
    assert flops.device_peak_tflops(CUDA, "bf16")[0] == 756.0


def test_speedups_are_against_the_plain_row_of_the_same_configuration():
    frame = pd.DataFrame(
        {
            "norm": ["in"] * 3 + ["bn"],
            "kind": ["infer"] * 4,
            "size": [256] * 4,
            "batch": [4, 4, 1, 4],
            "mode": ["plain", "fast", "fast", "fast"],
            "status": ["ok"] * 4,
            "img_per_s": [10.0, 15.0, 3.0, 7.0],
        }
    )
    speedups = with_speedups(frame).speedup.tolist()
    assert speedups[:2] == [1.0, 1.5] and math.isnan(speedups[2]) and math.isnan(speedups[3])


def test_losses_stay_float32_under_bf16_autocast():
    features = torch.rand(2, 8, 6, 6)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        gram = losses.gram_matrix(features.bfloat16())
        error = losses.relative_mse(features.bfloat16(), torch.rand(2, 8, 6, 6).bfloat16())
    assert gram.dtype == torch.float32 and error.dtype == torch.float32
    assert torch.allclose(gram, losses.gram_matrix(features.bfloat16().float()))


@pytest.fixture(scope="module")
def vgg16():
    return load_vgg("vgg16", "random")


@pytest.mark.parametrize("mode", ["plain", "bf16", "channels_last", "compile=aot_eager", "bf16+channels_last"])
def test_a_training_step_runs_and_learns_under_each_switch(vgg16, mode):
    """The GPU's switches on the CPU: autocast, channels_last and the compile path give finite, falling losses."""
    torch.manual_seed(0)
    model = TransformerNet(instance_norm)
    criterion = GramCriterion(
        {"vgg16": switches.prepare_module(vgg16, parse_settings(mode, CPU))},
        torch.rand(1, 3, 32, 32),
        TrainingSettings(),
        PROFILES["quick"],
    )
    # NOTE: a small step size: on one repeated batch, 1e-3 overshoots before it settles.
    step = TrainStep(model, criterion, "none", StyleBank(torch.rand(1, 3, 32, 32)), 1e-4, parse_settings(mode, CPU))
    content, ids = torch.rand(2, 3, 32, 32), torch.zeros(2, dtype=torch.long)
    first = float(step(content, ids)["total"].detach())
    for _ in range(4):
        last = float(step(content, ids)["total"].detach())
    assert math.isfinite(first) and last < first
    assert step.optimizer_name in ("adam-fused", "adam-foreach")
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_a_training_step_applies_the_switches_to_its_forward_pass():
    seen = {}

    def criterion(model, content, style_ids, cond):
        output = model(content, cond)
        seen.update(dtype=output.dtype, channels_last=content.is_contiguous(memory_format=torch.channels_last))
        return {"total": output.float().mean()}

    settings = SpeedSettings(autocast="bf16", channels_last=True)
    step = TrainStep(
        TransformerNet(instance_norm), criterion, "none", StyleBank(torch.rand(1, 3, 8, 8)), 1e-3, settings
    )
    step(torch.rand(2, 3, 32, 32), torch.zeros(2, dtype=torch.long))
    assert seen == {"dtype": torch.bfloat16, "channels_last": True}


@pytest.mark.parametrize("precision, mode", [("fp32", "ieee"), ("tf32", "tf32")])
def test_fp32_means_ieee_float32_on_cuda_and_tf32_is_asked_for_by_name(precision, mode):
    from normbench.runtime.precision import _tf32_state, precision_phase

    before = _tf32_state()
    with precision_phase(precision, CUDA):  # NOTE: the backend flags can be set without a GPU
        assert torch.backends.cuda.matmul.fp32_precision == torch.backends.cudnn.conv.fp32_precision == mode
    assert _tf32_state() == before
    with precision_phase(precision, CPU):
        assert _tf32_state() == before


@pytest.mark.parametrize(
    "precision, device, message",
    [
        ("fp64", CPU, "unknown precision 'fp64'; available: fp32, tf32, bf16, fp16"),
        ("tf32", CPU, "precision tf32 needs a CUDA device"),
    ],
)
def test_precisions_are_checked_by_name_and_device(precision, device, message):
    from normbench.runtime.precision import check_precision

    with pytest.raises(ValueError, match=message):
        check_precision(precision, device)
    assert check_precision("bf16", CPU) == "bf16"
