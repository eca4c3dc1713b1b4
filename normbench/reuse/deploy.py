"""A run's trained generators outside the benchmark: stylizing a user's images, and exporting a model for one style
to ONNX or TorchScript, checked against the eager module that produced the run's numbers."""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from normbench import data, imageio
from normbench.errors import UserError
from normbench.lifecycle.preparation import prepare_styles
from normbench.reuse.reopen import ReopenedRun
from normbench.store.cells import KEPT_OUTCOMES, WEIGHTS, Cell
from normbench.training.generators import load_generator

FORMATS = ("onnx", "torchscript")
#: Largest |exported - eager| accepted, in [0, 1] pixel units: far below one 8-bit level (1/255 = 0.0039).
EXPORT_TOLERANCE = 1e-4


@dataclass
class StoredModel:
    """One trained generator of a run, ready to apply to ``style``."""

    cell: Cell
    style: str
    module: nn.Module
    conditioning: torch.Tensor | None  # for one image; expanded to the batch

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        cond = (
            None
            if self.conditioning is None
            else self.conditioning.expand(images.shape[0], *self.conditioning.shape[1:])
        )
        with torch.inference_mode():
            return self.module(images, cond).clamp(0, 1)


def stored_models(run: ReopenedRun, norm: str | None, style: str | None, seed: int | None) -> list[StoredModel]:
    """Every finished model of ``run`` (of ``norm``, for ``style``, of ``seed``: the first seed when None), one per
    style it serves; in a style-weight sweep, those at the architectures' own weight (factor 1).

    :raises UserError: naming what the run has, when nothing matches.
    """
    plan, records = run.plan, run.store.records()
    seed = plan.config.seeds[0] if seed is None else seed
    spec = run.catalog.get(norm) if norm else None
    chosen = []
    for cell in plan.model_cells():
        if (spec and cell.name != spec.name) or cell.seed != seed or cell.style_weight not in (None, 1.0):
            continue
        cell_spec = run.catalog.get(cell.name)
        # NOTE: a model of arbitrary styles serves the held-out styles too
        served = plan.style_names if cell_spec.conditioning.takes_arbitrary_styles else cell.styles
        for name in served if style is None else [s for s in served if s == style]:
            chosen.append((cell, cell_spec, name))
    finished = [
        (cell, s, name)
        for cell, s, name in chosen
        if records.get(cell.id, {}).get("outcome") in KEPT_OUTCOMES and records[cell.id].get("weights")
    ]
    if not finished:
        raise UserError(
            f"{plan.path}: no trained model of norm {norm or 'any'} for style {style or 'any'} "
            f"with seed {seed} (norms: {', '.join(plan.config.norms)}; styles: {', '.join(plan.style_names)}; "
            f"seeds: {', '.join(map(str, plan.config.seeds))}; a model that diverged, failed or did not finish "
            "has no weights)"
        )
    styles = prepare_styles(plan, [run.catalog.get(name) for name in plan.config.norms], run.style_images)
    models = []
    for cell, spec, name in finished:
        module, _ = load_generator(run.store.path(cell.id) / WEIGHTS, spec, styles.nets)
        conditioning = styles.conditioning(spec, plan.style_index(name))
        models.append(StoredModel(cell, name, module.to(plan.device), conditioning(1)))
    return models


def image_tensor(path: Path, size: int | None, device: torch.device) -> torch.Tensor:
    """The image file as a ``(1, 3, H, W)`` tensor in [0, 1]: short side ``size`` (its own when None), sides cut
    down to multiples of 4."""
    image = imageio.open_image(path, size)
    if size is not None:
        image = data.resize_short_side(image, size)
    # NOTE: the generators halve the size twice and upsample back; sides that are multiples of 4 come back whole
    image = image.crop((0, 0, image.width - image.width % 4, image.height - image.height % 4))
    return data.to_tensor(image).unsqueeze(0).to(device)


def output_path(out_dir: Path, name: str, model: StoredModel, suffix: str = "") -> Path:
    """``<out_dir>/<stem>.<norm>.<style><suffix>.png``, its folder made."""
    target = out_dir / f"{Path(name).name}.{model.cell.name}.{model.style.replace('/', '_')}{suffix}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def stylize_files(model: StoredModel, paths: list[Path], out_dir: Path, size: int | None) -> list[Path]:
    """Stylize each image file (short side ``size``, the whole image when None), writing PNGs named
    ``<stem>.<norm>.<style>.png`` under ``out_dir``."""
    written = []
    for path, name in zip(paths, image_names(paths)):
        output = model(image_tensor(path, size, device_of(model.module)))
        target = output_path(out_dir, name, model)
        data.to_image(output[0]).save(target)
        written.append(target)
    return written


def image_names(paths: list[Path]) -> list[str]:
    """Each file's name in the output folder: its path below the files' common folder."""
    return imageio.image_names(paths, _common_root(paths))


def _common_root(paths: list[Path]) -> Path:
    parents = {path.resolve().parent for path in paths}
    return parents.pop() if len(parents) == 1 else Path("/")


def device_of(module: nn.Module) -> torch.device:
    """Where ``module``'s parameters (or buffers) are; the CPU for a module with neither."""
    tensor = next(itertools.chain(module.parameters(), module.buffers()), None)
    return tensor.device if tensor is not None else torch.device("cpu")


class BakedStyle(nn.Module):
    """A generator with its conditioning for one style built in: ``forward(images) -> stylized images`` in [0, 1],
    the one input an exported model takes."""

    def __init__(self, model: StoredModel):
        super().__init__()
        # NOTE: on the model's device: an export made on a GPU is traced and checked there
        self.generator = model.module.eval()
        self.has_conditioning = model.conditioning is not None
        device = device_of(model.module)
        self.register_buffer(
            "conditioning", model.conditioning if self.has_conditioning else torch.zeros(0, device=device)
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        cond = (
            self.conditioning.expand(images.shape[0], *self.conditioning.shape[1:]) if self.has_conditioning else None
        )
        return self.generator(images, cond).clamp(0, 1)


def export_model(model: StoredModel, fmt: str, out_dir: Path, sample: torch.Tensor) -> tuple[Path, float]:
    """Export ``model`` as ``<cell>.<style>.onnx`` or ``.pt`` (TorchScript) and check it against eager on
    ``sample`` and on a second input of another size and content (a tracer that froze a shape or a branch fails
    there); returns the file and the largest |exported - eager| difference.

    :raises ValueError: when the norm cannot be exported or the export does not reproduce the eager outputs.
    """
    module = BakedStyle(model)
    sample = sample.to(device_of(module.generator))
    # NOTE: another size (multiples of 4) and other pixels: mirrored, darkened and cropped
    other = sample.flip(-1)[..., 4:, : sample.shape[-1] - 8].mul(0.7)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"{model.cell.id}.{model.style.replace('/', '_')}"
    try:
        path, run_exported = (_to_onnx if fmt == "onnx" else _to_torchscript)(module, sample, stem)
        difference = max(_difference(run_exported(batch), module, batch) for batch in (sample, other))
    except UserError:
        raise
    except Exception as error:  # NOTE: tracers fail in many ways on layers they cannot express; say which norm
        _remove(stem)
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"norm {model.cell.name!r} cannot be exported to {fmt}: {message}") from None
    if not difference <= EXPORT_TOLERANCE:
        _remove(stem)
        raise ValueError(
            f"the {fmt} export of norm {model.cell.name!r} differs from the eager model by "
            f"{difference:.3g} (more than {EXPORT_TOLERANCE}); it was not kept"
        )
    return path, difference


@dataclass(frozen=True)
class Exported:
    """One model's export: its file and largest difference from the eager model, or why it could not be made."""

    norm: str
    style: str
    seed: int | None
    path: Path | None = None
    max_difference: float | None = None
    error: str | None = None


def export_models(
    run_dir: Path,
    fmt: str,
    out_dir: Path,
    choice: tuple[str | None, str | None, int | None],
    disable_plugin=(),
    device: str = "cpu",
) -> list[Exported]:
    """Every chosen model (``choice``: norm, style, seed) of the run in ``run_dir`` exported to ``fmt`` (see
    :func:`export_model`), loaded, traced and checked against eager on ``device``."""
    from normbench.lifecycle.evaluation import EvaluationSet
    from normbench.reuse.reopen import open_run

    if fmt not in FORMATS:
        raise UserError(f"unknown export format {fmt!r}; available: {', '.join(FORMATS)}")
    run = open_run(run_dir, device, disable_plugin=disable_plugin)
    models = stored_models(run, *choice)
    _, sample = next(EvaluationSet(run.images.heldout[:2], run.plan.profile.eval_size, run.plan.device).chunks())
    exported = []
    for model in models:
        made = Exported(model.cell.name, model.style, model.cell.seed)
        try:
            path, difference = export_model(model, fmt, out_dir, sample)
        except ValueError as error:
            exported.append(replace(made, error=str(error)))
            continue
        exported.append(replace(made, path=path, max_difference=difference))
    return exported


def _difference(exported: np.ndarray, module: nn.Module, batch: torch.Tensor) -> float:
    with torch.inference_mode():
        eager = module(batch).cpu().numpy()
    if exported.shape != eager.shape:
        raise ValueError(
            f"for a {tuple(batch.shape)} input it returns {exported.shape}, eager {eager.shape} (the "
            "export froze the shape of the sample it was made from)"
        )
    return float(np.abs(exported - eager).max())


def _remove(stem: Path) -> None:
    """An export that failed its check is not left behind (nor its external data)."""
    for path in stem.parent.glob(f"{stem.name}.*"):
        path.unlink(missing_ok=True)


def _to_onnx(module: nn.Module, sample: torch.Tensor, stem: Path):
    """Write the ONNX file; returns it and a function running it with onnxruntime."""
    try:
        import onnxruntime
    except ImportError:
        raise UserError(
            'exporting to ONNX needs onnx, onnxscript and onnxruntime: pip install "normbench[export]"'
        ) from None
    path = stem.with_name(stem.name + ".onnx")
    batch, height, width = torch.export.Dim("batch"), torch.export.Dim("height"), torch.export.Dim("width")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (sample,),
            str(path),
            input_names=["images"],
            output_names=["stylized"],
            dynamo=True,
            verbose=False,
            external_data=False,
            dynamic_shapes={"images": {0: batch, 2: 4 * height, 3: 4 * width}},
        )
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    # NOTE: onnxruntime's CPU provider runs the file, whatever device it was exported from
    return path, lambda images: session.run(None, {"images": images.cpu().numpy()})[0]


def _to_torchscript(module: nn.Module, sample: torch.Tensor, stem: Path):
    """Write the TorchScript file (traced); returns it and a function running the file as loaded back."""
    path = stem.with_name(stem.name + ".pt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.trace(module, (sample,), check_trace=False).save(str(path))
        loaded = torch.jit.load(str(path))

    def run(images: torch.Tensor) -> np.ndarray:
        with torch.inference_mode():
            return loaded(images).cpu().numpy()

    return path, run
