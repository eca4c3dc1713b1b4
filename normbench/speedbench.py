"""``normbench bench``: inference and training-step speed of each norm's generator under each set of switches.

No training to convergence: every model is freshly initialised with the same
seed, so the numbers are about speed alone. Every mode of a norm is timed in
the same process as its plain baseline, and every row says which switches
were on, how the time was taken and how it compares with the device's peak.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math
import os
import resource
import sys
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
from torch import nn

from normbench import data, samples
from normbench.catalog import Catalog, Placement
from normbench.config import PROFILES
from normbench.errors import OutputError
from normbench.models.vgg import load_vgg
from normbench.runtime import allocator, flops, profiling
from normbench.runtime.environment import device_description, environment, now
from normbench.runtime.switches import SpeedSettings, inference_call, parse_settings, prepare_module, speed_phase
from normbench.runtime.timing import MAX_WARMUP_REPS, MIN_REPS, WARMUP_REPS, WARMUP_SECONDS, Timing, time_calls
from normbench.store.bench_directory import BENCH_SCHEMA_VERSION, BenchDirectory
from normbench.training import harness
from normbench.training.train import TrainStep, style_schedule

SEED = 0


@dataclass(frozen=True)
class BenchPlan:
    """What to time. ``modes`` are speed-switch strings; ``plain`` is always timed first."""

    norms: list[str]
    modes: list[str]
    sizes: list[int]
    batches: list[int]
    train_size: int
    train_batch: int
    reps: int
    threads: int
    device: str
    features: str
    profile_steps: bool = False

    @property
    def measurements(self) -> int:
        """Timed configurations per norm and mode (for progress)."""
        return len(self.sizes) * len(self.batches) + (1 if self.train_batch else 0)


def default_plan(device: torch.device) -> dict:
    """The sizes, batches and modes timed unless asked otherwise: what a device of this kind can finish."""
    if device.type == "cuda":
        return {
            "sizes": [256, 512],
            "batches": [1, 8, 32],
            "train_size": 256,
            "train_batch": 8,
            "modes": ["plain", "fast", "bf16", "fast+bf16", "compile", "fast+bf16+compile"],
        }
    return {
        "sizes": [256],
        "batches": [1, 4],
        "train_size": 128,
        "train_batch": 4,
        "modes": ["plain", "bf16", "channels_last", "compile"],
    }


def is_out_of_memory(error: BaseException) -> bool:
    if isinstance(error, torch.OutOfMemoryError):
        return True
    return isinstance(error, RuntimeError) and ("can't allocate" in str(error) or "out of memory" in str(error))


def precision(settings: SpeedSettings) -> str:
    return settings.autocast if settings.autocast != "off" else "fp32"


class Bench:
    """Times ``plan`` for each norm in ``registry``, writing rows into ``store`` as they finish."""

    def __init__(self, plan: BenchPlan, registry: Catalog, store: BenchDirectory):
        self.plan, self.store = plan, store
        self.specs = [registry.get(name) for name in plan.norms]
        self.device = torch.device(plan.device)
        self.settings = {mode: parse_settings(mode, self.device) for mode in dict.fromkeys(["plain", *plan.modes])}
        self.plugins = {spec.name: registry.plugin_of(spec.name) for spec in self.specs}
        self.device_name = device_description(self.device)["name"]

    def manifest(self) -> dict:
        return {
            "schema_version": BENCH_SCHEMA_VERSION,
            "kind": "bench",
            "run_id": self.store.path.name,
            "status": "running",
            "started_at": now(),
            "command": sys.argv,
            "plan": asdict(self.plan),
            "speed": {mode: s.to_dict() for mode, s in self.settings.items()},
            "timing": f"median and IQR of >= {max(MIN_REPS, self.plan.reps)} synchronised reps after "
            f">= {WARMUP_REPS} untimed calls lasting >= {WARMUP_SECONDS} s; the first call's "
            "extra time is reported apart (compile_s)",
            "flops": "torch.utils.flop_counter.FlopCounterMode: convolutions and matmuls, forward "
            "(inference) or forward + backward (training), per image",
            "norms": [
                {
                    "name": s.name,
                    "plugin": self.plugins[s.name],
                    "architecture": s.architecture,
                    "conditioning": s.conditioning,
                }
                for s in self.specs
            ],
            "compile_cache": "cold: empty inductor and triton caches for this bench"
            if "normbench-compile-cache-" in os.environ.get("TORCHINDUCTOR_CACHE_DIR", "")
            else "inductor's and triton's own (warm compiles possible)",
            "allocator": allocator.status(),
            "features": self.plan.features,
            "environment": environment(self.device),
        }

    def execute(self, advance: Callable[[str], None]) -> None:
        """Time every norm and mode; finished rows and the manifest stay on Ctrl-C or a crash."""
        with warnings.catch_warnings(), self.store.recording(self.manifest()):
            # NOTE: FlopCounterMode and the profiler hook modules globally; compile warns about it on every mode.
            warnings.filterwarnings("ignore", message=r"Using `torch.compile\(module\)` when there are global hooks")
            self._prepare()
            for spec in self.specs:
                self._bench_norm(spec, advance)

    def _prepare(self) -> None:
        names = harness.required_feature_nets(self.specs)
        self.nets = {name: load_vgg(name, self.plan.features).to(self.device) for name in names}
        train, heldout = samples.builtin_content()
        self.photo = data.center_square(heldout[0][1], max(self.plan.sizes or [self.plan.train_size]))
        self.crops = data.CropBatches(train, self.plan.train_size, self.plan.train_batch, SEED)
        styles = [image for _, image in samples.builtin_styles()]
        self.styles = {
            size: torch.stack([data.center_square(s, size) for s in styles]).to(self.device)
            for size in {*self.plan.sizes, self.plan.train_size}
        }
        self.banks: dict[tuple[str, int], harness.StyleBank] = {}

    def _bench_norm(self, spec: Placement, advance: Callable[[str], None]) -> None:
        arch = spec.arch
        torch.manual_seed(SEED)
        initial = harness.build_generator(spec, len(self.styles[self.plan.train_size]), self.nets).to(self.device)
        for mode, settings in self.settings.items():
            model = copy.deepcopy(initial)
            skip_from: dict[int, int] = {}
            for size in self.plan.sizes:
                for batch in self.plan.batches:
                    advance(f"{spec.name} {mode} infer {size}² b{batch}")
                    if batch >= skip_from.get(size, math.inf):
                        continue
                    infer = functools.partial(self._infer, spec, arch, model, settings, size, batch)
                    row = self._guarded(spec, mode, "infer", size, batch, infer)
                    if row["status"] == "oom":
                        skip_from[size] = batch
            if self.plan.train_batch:
                advance(f"{spec.name} {mode} train {self.plan.train_size}² b{self.plan.train_batch}")
                self._guarded(
                    spec,
                    mode,
                    "train",
                    self.plan.train_size,
                    self.plan.train_batch,
                    lambda: self._train(spec, arch, copy.deepcopy(initial), settings),  # noqa: B023 (called at once)
                )
            if self.plan.profile_steps and self.plan.train_batch:
                self._profile(spec, arch, copy.deepcopy(initial), mode, settings)
            torch._dynamo.reset()  # NOTE: a fresh compile per mode, so compile_s is each mode's own

    def _guarded(self, spec: Placement, mode: str, kind: str, size: int, batch: int, measure) -> dict:
        """One timed configuration as a row; out-of-memory and failures become rows, not a dead bench."""
        base = {
            "norm": spec.name,
            "plugin": self.plugins[spec.name],
            "architecture": spec.architecture,
            "kind": kind,
            "mode": mode,
            "size": size,
            "batch": batch,
            "device": self.plan.device,
            "device_name": self.device_name,
            "threads": self.plan.threads,
            "features": self.plan.features,
            **self.settings[mode].to_dict(),
            "status": "ok",
            "error": "",
        }
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(self.device)
        try:
            base.update(measure())
        except (KeyboardInterrupt, SystemExit, OutputError):
            raise
        except Exception as error:  # one failing configuration must not end the bench
            base.update(status="oom" if is_out_of_memory(error) else "error", error=f"{type(error).__name__}: {error}")
            self.store.log_error(f"{spec.name} {mode} {kind} {size} b{batch}", error)
        base["peak_mem_mb"] = (
            torch.cuda.max_memory_allocated(self.device) / 2**20 if self.device.type == "cuda" else math.nan
        )
        base["process_max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.store.add_row(base)
        return base

    def _infer(self, spec: Placement, arch, model: nn.Module, settings: SpeedSettings, size: int, batch: int) -> dict:
        model.eval()
        content = self._content(size, batch)
        cond = self._bank(arch, size).conditioning(
            spec.conditioning, torch.zeros(batch, dtype=torch.long, device=self.device)
        )
        call = inference_call(model, settings, self.device)
        with speed_phase(settings):
            timing = time_calls(lambda: call(content, cond), self.plan.reps, self.device)
        with torch.inference_mode():
            count = flops.count_flops(lambda: model(content[:1], cond[:1] if cond is not None else None))
        return self._figures(timing, batch, count, settings)

    def _train(self, spec: Placement, arch, model: nn.Module, settings: SpeedSettings) -> dict:
        step, ids = self._train_step(spec, arch, model, settings)
        calls = MAX_WARMUP_REPS + max(MIN_REPS, self.plan.reps) + 1
        batches = iter(self.crops.batches(calls, settings.workers, settings.pin_memory))
        with speed_phase(settings):
            timing = time_calls(lambda: step(next(batches), ids), self.plan.reps, self.device)
        count_step = TrainStep(copy.deepcopy(model), step.criterion, spec.conditioning, step.bank, 1e-4)
        count = flops.count_flops(lambda: count_step(self.crops[0][:1], ids[:1]))
        return self._figures(timing, self.plan.train_batch, count, settings) | {"optimizer": step.optimizer_name}

    def _train_step(self, spec: Placement, arch, model: nn.Module, settings: SpeedSettings):
        """The run's own training step for ``model`` under ``settings``, and the style ids of one batch."""
        bank = self._bank(arch, self.plan.train_size)
        nets = {name: prepare_module(self.nets[name], settings) for name in arch.feature_nets}
        criterion = arch.criterion(
            nets, bank.images, harness.training_settings(arch, PROFILES["quick"]), PROFILES["quick"]
        )
        ids = style_schedule(list(range(len(bank))), self.plan.train_batch, 1, self.device)[0]
        return TrainStep(model, criterion, spec.conditioning, bank, 1e-4, settings), ids

    def _bank(self, arch, size: int):
        """The styles at ``size`` with ``arch``'s encoding, computed once per bench."""
        key = (arch.name, size)
        if key not in self.banks:
            self.banks[key] = harness.style_bank(arch, self.nets, self.styles[size])
        return self.banks[key]

    def _figures(self, timing: Timing, batch: int, flops_per_image: int, settings: SpeedSettings) -> dict:
        speed = timing.throughput(batch)
        achieved = flops_per_image * speed["img_per_s"] / 1e12
        peak, source = flops.device_peak_tflops(self.device, precision(settings))
        return {
            **speed,
            "median_s": timing.median_s,
            "q1_s": timing.q1_s,
            "q3_s": timing.q3_s,
            "reps": timing.reps,
            "first_s": timing.first_s,
            "compile_s": timing.setup_s if settings.compile != "off" else math.nan,
            "gflops_per_img": flops_per_image / 1e9,
            "achieved_tflops": achieved,
            "peak_tflops": peak,
            "peak_share": achieved / peak,
            "peak_source": source,
        }

    def _content(self, size: int, batch: int) -> torch.Tensor:
        photo = torch.nn.functional.interpolate(
            self.photo[None], size=(size, size), mode="bilinear", antialias=True, align_corners=False
        )
        return photo.expand(batch, -1, -1, -1).contiguous().to(self.device)

    def _profile(self, spec: Placement, arch, model: nn.Module, mode: str, settings: SpeedSettings) -> None:
        step, ids = self._train_step(spec, arch, model, settings)
        with speed_phase(settings):
            table = profiling.top_entries(lambda: step(self.crops[0], ids), self.device)
        self.store.write_profile(spec.name, mode, table)


@contextlib.contextmanager
def cold_compile_cache():
    """Inductor and triton caches in an empty folder for the bench, so compile_s is a cold compile."""
    with tempfile.TemporaryDirectory(prefix="normbench-compile-cache-") as root:
        saved = {name: os.environ.get(name) for name in ("TORCHINDUCTOR_CACHE_DIR", "TRITON_CACHE_DIR")}
        os.environ.update(
            TORCHINDUCTOR_CACHE_DIR=os.path.join(root, "inductor"), TRITON_CACHE_DIR=os.path.join(root, "triton")
        )
        try:
            yield
        finally:
            for name, value in saved.items():
                os.environ.pop(name) if value is None else os.environ.update({name: value})
