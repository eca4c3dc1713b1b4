import torch

from normbench.data import CropBatches
from normbench.lifecycle import measure
from normbench.samples import builtin_content
from normbench.training.harness import StyleBank
from normbench.training.train import style_schedule, train_model


def test_style_schedule_is_balanced_and_single_styles_stay_single():
    schedule = style_schedule([0, 1, 2], batch_size=4, steps=6, device="cpu")
    assert schedule.shape == (6, 4)
    assert torch.bincount(schedule.flatten()).tolist() == [8, 8, 8]
    assert style_schedule([2], 4, 3, "cpu").unique().tolist() == [2]


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(()))

    def forward(self, x, cond=None):
        return x * self.scale


def run(criterion, steps=4):
    sampler = CropBatches(builtin_content()[0][:2], 16, 2, seed=0)
    bank = StyleBank(torch.rand(1, 3, 16, 16))
    logged = []
    outcome = train_model(
        Tiny(), criterion, "none", bank, sampler, [0], steps, 0.1, 2, lambda step, log: logged.append((step, log))
    )
    return outcome, logged


def test_training_logs_only_at_intervals_and_counts_images():
    outcome, logged = run(lambda m, c, s, cond: {"total": (m(c) - 0.5).pow(2).mean()})
    assert outcome.status == "ok" and outcome.images == 8
    assert [step for step, log in logged if log] == [2, 4]
    assert [entry["step"] for entry in outcome.log] == [2, 4]


def test_a_non_finite_loss_marks_the_model_diverged():
    outcome, _ = run(lambda m, c, s, cond: {"total": m(c).sum() * float("nan")}, steps=6)
    assert outcome.status == "diverged" and outcome.steps == 2


def test_inference_speed_reports_throughput_and_latency():
    result = measure.inference_speed(Tiny().eval(), torch.rand(4, 3, 8, 8), None, reps=5)
    assert result["infer_batch"] == 4 and result["infer_img_per_s"] > 0 and result["latency_ms_p50"] > 0
