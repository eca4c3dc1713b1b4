"""The smallest end-to-end run, which every test that runs one starts from (see the ``tiny_run`` fixture)."""

from __future__ import annotations


def tiny_args(
    *extra: str,
    steps: int = 2,
    metrics: str | None = "lpips",
    styles: str | None = "waves",
    baselines: str | None = "identity",
) -> list[str]:
    """``normbench run`` arguments: ``steps`` steps at 32 px, batch 2, on the CPU, random features, then ``extra``
    (a flag given again there wins). A keyword set to None leaves its flag out: every metric, style or baseline."""
    args = ["--steps", str(steps), "--image-size", "32", "--eval-size", "32", "--batch-size", "2"]
    args += ["--device", "cpu", "--weights", "random"]
    for flag, value in (("--metrics", metrics), ("--styles", styles), ("--baselines", baselines)):
        args += [flag, value] if value is not None else []
    return [*args, *extra]


def tiny_options(**overrides) -> dict:
    """The same run as keywords of ``normbench.run`` (the Python API), ``overrides`` on top."""
    options = dict(steps=2, image_size=32, eval_size=32, batch_size=2, device="cpu", weights="random")
    return {**options, "metrics": ["lpips"], "styles": ["waves"], "baselines": ["identity"], **overrides}


def run_tiny(tmp_path, *flags: str, run_id: str = "r", **keywords) -> int:
    """``normbench run`` with :func:`tiny_args` (``keywords``) and ``flags`` into ``tmp_path/runs/<run_id>``; the
    exit code. The ``tiny_run`` fixture is this with the test's ``tmp_path``."""
    from normbench import cli

    out = ["--out-dir", str(tmp_path / "runs"), "--run-id", run_id]
    return cli.main(["run", *tiny_args(**keywords), *out, *flags])
