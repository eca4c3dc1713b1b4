"""One benchmark run: every requested norm trained and measured the same way, rows stored as they finish."""

from __future__ import annotations

import copy
import math
import sys
import time
from pathlib import Path

import torch
from PIL import Image

from normbench import data, harness, measure
from normbench.config import RunConfig
from normbench.data import ImageSet
from normbench.images import style_grid
from normbench.metrics import functional
from normbench.metrics.base import MetricContext, MetricRegistry, StylizedSample
from normbench.metrics.networks import weights_provenance
from normbench.models.vgg import RANDOM_FEATURES_SEED, load_vgg
from normbench.progress import RunProgress
from normbench.registry import NormRegistry, NormSpec
from normbench.results import SCHEMA_VERSION, RunDirectory, environment, now, save_png
from normbench.speed import allocator
from normbench.speed.switches import PLAIN, prepare_module, speed_phase
from normbench.speed.timing import MIN_REPS, WARMUP_REPS, WARMUP_SECONDS
from normbench.train import TrainOutcome, train_model


def plan_models(spec: NormSpec, num_styles: int) -> list[list[int]]:
    """Style indices each model of ``spec`` serves: one model per style, or one for all."""
    if spec.conditioning in harness.MULTI_STYLE:
        return [list(range(num_styles))]
    return [[index] for index in range(num_styles)]


class Run:
    """Trains and measures ``config.norms`` on ``images``, writing into ``run_dir``."""

    def __init__(self, config: RunConfig, registry: NormRegistry, images: ImageSet, run_dir: RunDirectory,
                 metric_registry: MetricRegistry | None = None):
        self.config, self.registry, self.images, self.run_dir = config, registry, images, run_dir
        self.metric_registry = metric_registry if metric_registry is not None else MetricRegistry()
        self.specs = [registry.get(name) for name in config.norms]
        self.device = torch.device(config.device)
        self.profile = config.profile
        self.outputs: dict[str, dict[str, list[Image.Image]]] = {}  # style -> norm -> images
        self.manifest: dict = {}

    def execute(self, progress: RunProgress) -> None:
        """Run every model; on Ctrl-C or a crash the finished rows, images and manifest stay."""
        self.manifest = self._manifest()
        self.run_dir.write_manifest(self.manifest)
        start = time.perf_counter()
        status = "failed"
        try:
            self._prepare()
            jobs = [(spec, styles) for spec in self.specs for styles in plan_models(spec, len(self.images.styles))]
            progress.start_run(len(jobs))
            for spec, style_indices in jobs:
                self._run_model(spec, style_indices, progress)
            status = "complete"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            self._write_grids()
            self.manifest.update(status=status, finished_at=now(), wall_seconds=round(time.perf_counter() - start, 2))
            self.run_dir.write_manifest(self.manifest)

    def _manifest(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "run_id": self.run_dir.path.name,
            "status": "running",
            "started_at": now(),
            "command": sys.argv,
            "config": self.config.to_dict(),
            "seeds": {"seed": self.config.seed, "random_features_seed": RANDOM_FEATURES_SEED,
                      "heldout_split_seed": data.SPLIT_SEED},
            "features": self.config.features,
            "data": {"source": self.images.source,
                     "train_content": [name for name, _ in self.images.train],
                     "heldout_content": [name for name, _ in self.images.heldout],
                     "styles": [name for name, _ in self.images.styles]},
            "norms": [entry for entry in self.config.plugins.get("norms", []) if entry["name"] in self.config.norms]
            or [{"name": s.name, "plugin": self.registry.plugin_of(s.name), "conditioning": s.conditioning,
                 "architecture": s.architecture, "description": s.description} for s in self.specs],
            "plugins": {key: self.config.plugins.get(key) for key in ("broken", "disabled")},
            "evaluation": {"loss_network": harness.EVAL_FEATURE_NET, "content_layer": measure.CONTENT_LAYER,
                           "timing": f"median of >= {max(MIN_REPS, self.profile.timing_reps)} reps after "
                                     f">= {WARMUP_REPS} warm-up calls lasting >= {WARMUP_SECONDS} s",
                           "stylization": "fp32, eager (quality is measured without speed switches)",
                           "allocator": allocator.status()},
            "metrics": {},
            "environment": environment(self.device),
        }

    def _prepare(self) -> None:
        """Load the feature networks and put the styles and held-out images on the device once."""
        names = harness.required_feature_nets(self.specs)
        self.nets = {name: load_vgg(name, self.config.features).to(self.device) for name in names}
        # NOTE: one prepared (channels_last/compiled) loss net per trunk, shared by every model, compiles once;
        # a copy, so the evaluation net stays fp32 NCHW eager whatever the switches.
        self.loss_nets = {name: prepare_module(copy.deepcopy(net), self.config.speed)
                          for name, net in self.nets.items()}
        styles = [image for _, image in self.images.styles]
        train_styles = self._stack(styles, self.profile.image_size)
        eval_styles = self._stack(styles, self.profile.eval_size)
        architectures = {arch.name: arch for arch in map(harness.architecture_for, self.specs)}
        self.train_banks = {name: arch.style_bank(self.nets, train_styles) for name, arch in architectures.items()}
        self.eval_banks = {name: arch.style_bank(self.nets, eval_styles) for name, arch in architectures.items()}
        self.heldout = self._stack([image for _, image in self.images.heldout], self.profile.eval_size)
        self.crops = data.CropBatches(self.images.train, self.profile.image_size,
                                      self.profile.batch_size, self.config.seed)
        context = MetricContext(self.device, self.config.features, self.config.seed, self.profile.fid_samples)
        self.metrics = [spec.factory(context) for spec in self.metric_registry]
        origins = {entry["name"]: entry["distribution"] for entry in self.config.plugins.get("metrics", [])}
        self.manifest["metrics"] = {**self._loss_provenance(), **{
            spec.name: {"plugin": self.metric_registry.plugin_of(spec.name), "higher_is_better": spec.higher_is_better,
                        "description": spec.description, **metric.provenance()}
            | ({"distribution": origins[spec.name]} if spec.name in origins else {})
            for spec, metric in zip(self.metric_registry, self.metrics)}}
        self.run_dir.write_manifest(self.manifest)

    def _loss_provenance(self) -> dict:
        common = {"plugin": "normbench", "higher_is_better": False, "implementation": "normbench.measure",
                  "network": f"torchvision {harness.EVAL_FEATURE_NET} features to relu4_3",
                  "resize": f"bicubic, short side to {self.profile.eval_size}, centre crop",
                  "input_range": "[0, 1], ImageNet mean/std normalised",
                  **weights_provenance(harness.EVAL_FEATURE_NET, self.config.features)}
        return {"content_loss": {**common, "description": f"relative MSE at {measure.CONTENT_LAYER}"},
                "style_loss": {**common, "description": "relative Gram-matrix error, relu1_2/2_2/3_3/4_3"}}

    def _stack(self, images: list[Image.Image], size: int) -> torch.Tensor:
        return torch.stack([data.center_square(image, size) for image in images]).to(self.device)

    def _run_model(self, spec: NormSpec, style_indices: list[int], progress: RunProgress) -> None:
        """Train one model and store a row per style it serves; a failure becomes ``error`` rows."""
        label = spec.name if len(style_indices) > 1 else f"{spec.name}/{self.images.styles[style_indices[0]][0]}"
        steps = self.profile.steps * len(style_indices)
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        try:
            torch.manual_seed(self.config.seed)
            model = harness.build_generator(spec, len(self.images.styles), self.nets).to(self.device)
            arch = harness.architecture_for(spec)
            bank = self.train_banks[arch.name]
            criterion = arch.criterion(self.loss_nets[arch.feature_net], bank.images, self.profile)
            with progress.model(label, steps) as on_step, speed_phase(self.config.speed, self.config.deterministic):
                outcome = train_model(model, criterion, spec.conditioning, bank, self.crops, style_indices, steps,
                                      self.profile.lr, self.profile.log_every, on_step, self.config.speed)
            rows = [self._evaluate(spec, model, index, outcome) for index in style_indices]
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:  # one broken norm must not end the sweep
            self.run_dir.log_error(label, error)
            outcome, model = TrainOutcome("error", 0, 0, 0.0), None
            rows = [self._row(spec, index, outcome, model, error=f"{type(error).__name__}: {error}")
                    for index in style_indices]
        log_rows = [{"norm": spec.name, "model": label, **entry} for entry in outcome.log]
        self.run_dir.add_rows(rows, log_rows)
        progress.model_done(rows)

    def _evaluate(self, spec: NormSpec, model, style_index: int, outcome: TrainOutcome) -> dict:
        style_name = self.images.styles[style_index][0]
        row = self._row(spec, style_index, outcome, model)
        if outcome.status != "ok":
            return row
        ids = torch.full((self.heldout.shape[0],), style_index, device=self.device)
        cond = self.eval_banks[spec.architecture].conditioning(spec.conditioning, ids)
        outputs = measure.stylize(model, self.heldout, cond, self.profile.batch_size)
        style = self.eval_banks[spec.architecture].images[style_index]
        row.update(measure.quality(self.nets[harness.EVAL_FEATURE_NET], outputs, self.heldout, style))
        sample = StylizedSample(outputs, self.heldout, style[None],
                                lambda images: measure.stylize(model, images, cond, self.profile.batch_size))
        row.update(self._measure_metrics(sample, f"{spec.name}/{style_name}", row))
        batch = self.heldout[:1].expand(self.profile.batch_size, -1, -1, -1).contiguous()
        batch_cond = cond[:1].expand(batch.shape[0], *cond.shape[1:]).contiguous() if cond is not None else None
        row.update(self._inference_speed(model, batch, batch_cond))
        self._save_outputs(spec.name, style_name, outputs)
        return row

    def _inference_speed(self, model, batch: torch.Tensor, cond: torch.Tensor | None) -> dict:
        """Inference speed under the run's switches and, in the same process, the plain baseline."""
        reps, speed = self.profile.timing_reps, self.config.speed
        with speed_phase(PLAIN):
            plain = measure.inference_speed(model, batch, cond, reps, PLAIN)
        if speed == PLAIN:
            return {**plain, "infer_plain_img_per_s": plain["infer_img_per_s"], "infer_speedup": 1.0}
        with speed_phase(speed, self.config.deterministic):
            fast = measure.inference_speed(model, batch, cond, reps, speed)
        return {**fast, "infer_plain_img_per_s": plain["infer_img_per_s"],
                "infer_speedup": fast["infer_img_per_s"] / plain["infer_img_per_s"]}

    def _measure_metrics(self, sample: StylizedSample, label: str, row: dict) -> dict:
        """Every registered metric on one row; a failing metric leaves NaN and a note, not a dead run."""
        values: dict = {}
        start = time.perf_counter()
        for metric in self.metrics:
            try:
                metric.reset()
                metric.update(sample)
                values.update(metric.compute())
            except Exception as error:  # a third-party metric must not take the run down
                self.run_dir.log_error(f"{label} metric {metric.name}", error)
                row["error"] = f"{row['error']}; metric {metric.name}: {error}".lstrip("; ")
        if "lpips" in values and "fid" in values:
            values["artfid"] = functional.artfid(values["lpips"], values["fid"])
        values["metrics_seconds"] = round(time.perf_counter() - start, 3)
        return values

    def _row(self, spec: NormSpec, style_index: int, outcome: TrainOutcome, model, error: str = "") -> dict:
        params, frozen = harness.count_parameters(model) if model is not None else (math.nan, math.nan)
        peak = torch.cuda.max_memory_allocated(self.device) / 2**20 if self.device.type == "cuda" else math.nan
        return {
            "norm": spec.name, "style": self.images.styles[style_index][0], "seed": self.config.seed,
            "status": outcome.status, "train_img_per_s": outcome.img_per_s, "params": params,
            "params_frozen": frozen, "features": self.config.features, "architecture": spec.architecture,
            "conditioning": spec.conditioning, "train_steps": outcome.steps,
            "train_seconds": round(outcome.seconds, 3), "image_size": self.profile.image_size,
            "eval_size": self.profile.eval_size, "batch_size": self.profile.batch_size,
            "peak_mem_mb": peak, "device": self.config.device, "speed": self.config.speed.label,
            "optimizer": outcome.optimizer, "error": error,
        }

    def _save_outputs(self, norm: str, style: str, outputs: torch.Tensor) -> None:
        images = [data.to_image(output) for output in outputs]
        self.outputs.setdefault(style, {})[norm] = images
        for (content_name, _), image in zip(self.images.heldout, images):
            save_png(self.run_dir.image_path(norm, style, f"{Path(content_name).name}.png"), image)

    def _write_grids(self) -> None:
        """One grid per style from whatever finished, so an interrupted run still has them."""
        size = self.profile.eval_size
        contents = [data.to_image(data.center_square(image, size)) for _, image in self.images.heldout]
        for style_name, style_image in self.images.styles:
            if style_name in self.outputs:
                grid = style_grid(style_image, contents, self.outputs[style_name], size)
                save_png(self.run_dir.image_path(f"grid_{style_name}.png"), grid)
