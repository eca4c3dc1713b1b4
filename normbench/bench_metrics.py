"""How long normbench's quality metrics take for N stylized images: a benchmark script, not a test.

    python -m normbench.bench_metrics --images 1000 --size 256

It stylizes N crops of the built-in photographs with an untrained IN
transformer net (the metrics' cost does not depend on training), then times
each metric stage as a run performs it and prints one line per stage.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from normbench import data, samples
from normbench.metrics import functional
from normbench.metrics.base import MetricContext
from normbench.metrics.distribution import InceptionDistance, random_patches
from normbench.metrics.perceptual import CONTRAST_FACTORS, lpips_distance, scale_contrast, shared_lpips
from normbench.models.transformer import TransformerNet


def _timed(label: str, count: int, fn, results: list):
    start = time.perf_counter()
    value = fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    results.append((label, count, seconds))
    print(f"{label:38} {count:6d} images {seconds:8.1f} s {count / seconds:8.1f} img/s", flush=True)
    return value


def _chunks(images: torch.Tensor, size: int):
    return [images[i:i + size] for i in range(0, len(images), size)]


def make_content(count: int, size: int, device) -> torch.Tensor:
    photos = [image for _, image in samples.builtin_content()[0] + samples.builtin_content()[1]]
    pool = torch.stack([data.center_square(photo, size * 2) for photo in photos])
    return random_patches(pool, count, size, seed=0).to(device)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--features", choices=("random", "pretrained"), default="random")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    print(f"device {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else 'CPU'}), "
          f"{torch.get_num_threads()} threads, features={args.features}")
    torch.manual_seed(0)
    generator = TransformerNet(lambda c: torch.nn.InstanceNorm2d(c, affine=True)).to(device).eval()
    content = make_content(args.images, args.size, device)
    results: list = []
    with torch.inference_mode():
        stylize = lambda images: torch.cat([generator(chunk) for chunk in _chunks(images, args.batch)])
        stylized = _timed("generator (not a metric)", args.images, lambda: stylize(content), results)
        lpips = shared_lpips(args.features, str(device))
        _timed("lpips(stylized, content)", args.images,
               lambda: torch.cat([lpips_distance(lpips, a, b) for a, b in zip(_chunks(stylized, args.batch),
                                                                             _chunks(content, args.batch))]), results)
        fid = InceptionDistance(MetricContext(device, args.features, fid_samples=args.images))
        patch = args.size // 2
        fake = _timed(f"inception {fid.dims}-d, stylized patches", args.images, lambda: np.concatenate(
            [fid.features(c) for c in _chunks(random_patches(stylized, args.images, patch, 0), args.batch)]), results)
        style = data.center_square(samples.builtin_styles()[0][1], args.size)[None].to(device)
        real = _timed(f"inception {fid.dims}-d, reference patches", args.images, lambda: np.concatenate(
            [fid.features(c) for c in _chunks(random_patches(style, args.images, patch, 1), args.batch)]), results)
        _timed(f"frechet distance ({fid.dims}-d, float64)", args.images, lambda: functional.frechet_distance(
            *functional.gaussian_stats(fake), *functional.gaussian_stats(real)), results)
        _timed("kid (100 subsets of N/2)", args.images, lambda: functional.kid(fake, real, 100, args.images // 2), results)
        for factor in CONTRAST_FACTORS:
            _timed(f"contrast x{factor}: generator + lpips", args.images, lambda: torch.cat([
                lpips_distance(lpips, s, stylize(scale_contrast(c, factor)))
                for s, c in zip(_chunks(stylized, args.batch), _chunks(content, args.batch))]), results)
    metric_seconds = sum(seconds for label, _, seconds in results if not label.startswith("generator"))
    print(f"{'all metrics':38} {args.images:6d} images {metric_seconds:8.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
