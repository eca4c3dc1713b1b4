"""How long normbench's quality metrics take for N stylized images: a benchmark script, not a test.

    python benchmarks/metric_speed.py --images 1000 --size 256

It stylizes N crops of the built-in photographs with an untrained IN
transformer net (the metrics' cost does not depend on training), then runs
every registered metric over them in chunks, exactly as a run does for one
row, and prints one line per metric.
"""

from __future__ import annotations

import argparse
import time

import torch

from normbench import data, samples
from normbench.lifecycle.evaluation import CHUNK, model_stylizer
from normbench.metrics.base import DerivedMetric, MetricContext, StylizedSample
from normbench.metrics.distribution import random_patches
from normbench.models.transformer import TransformerNet
from normbench.plugins import load_plugins


def make_content(count: int, size: int, device) -> torch.Tensor:
    photos = [image for _, image in samples.builtin_content()[0] + samples.builtin_content()[1]]
    pool = torch.stack([data.center_square(photo, size * 2) for photo in photos])
    return random_patches(pool, count, size, seed=0).to(device)


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--fid-samples", type=int, default=1000)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--features", choices=("random", "pretrained"), default="random")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    print(
        f"device {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else 'CPU'}), "
        f"{torch.get_num_threads()} threads, features={args.features}"
    )
    torch.manual_seed(0)
    generator = TransformerNet(lambda c: torch.nn.InstanceNorm2d(c, affine=True)).to(device).eval()
    stylize = model_stylizer(generator, lambda count: None, CHUNK)
    content = make_content(args.images, args.size, device)
    style = data.center_square(samples.builtin_styles()[0][1], args.size)[None].to(device)
    start = time.perf_counter()
    chunks = [
        (first, content[first : first + CHUNK], stylize(content[first : first + CHUNK]))
        for first in range(0, args.images, CHUNK)
    ]
    _synchronize(device)
    print(f"{'generator (not a metric)':38} {args.images:6d} images {time.perf_counter() - start:8.1f} s")
    context = MetricContext(device, args.features, fid_samples=args.fid_samples, num_images=args.images)
    total, values = 0.0, {}
    for spec in load_plugins(entrypoints=False).metrics:
        metric = spec.factory(context)
        start = time.perf_counter()
        if isinstance(metric, DerivedMetric):
            values.update(metric.derive(values))
        else:
            metric.reset()
            for first, images, outputs in chunks:
                metric.update(StylizedSample(outputs, images, style, stylize, first))
            values.update(metric.compute())
        _synchronize(device)
        seconds = time.perf_counter() - start
        total += seconds
        print(f"{spec.name:38} {args.images:6d} images {seconds:8.1f} s {args.images / seconds:8.1f} img/s", flush=True)
    print(f"{'all metrics':38} {args.images:6d} images {total:8.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
