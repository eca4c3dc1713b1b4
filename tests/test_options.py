"""Run options are declared once, on RunOptions: the command line, a study file, resuming and the Python API all
take exactly those, with the same names, types and defaults."""

from __future__ import annotations

import argparse
from dataclasses import fields

import pytest

from normbench import cli
from normbench.lifecycle.options import RunOptions, default_of, flag_name, flags
from normbench.reuse.reopen import RESUMABLE

#: What ``normbench run`` takes besides the options of a run: a file to read, a run to resume, an output format.
COMMAND_ONLY = {"help", "json", "config", "resume"}


def run_parser() -> argparse.ArgumentParser:
    commands = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices["run"]


def test_every_option_but_the_study_files_own_is_a_flag_of_normbench_run():
    declared = {item.name for item, _ in flags()}
    assert declared == {item.name for item in fields(RunOptions)} - {"profile_fields", "study_file"}
    actions = {action.dest: action for action in run_parser()._actions}
    assert set(actions) - declared == COMMAND_ONLY
    for item, flag in flags():
        action = actions[item.name]
        assert action.option_strings == [flag_name(item)] and action.help == flag.help
        assert action.default == default_of(item), item.name


def test_the_parser_gives_the_declared_types_and_defaults():
    args = run_parser().parse_args(["--seeds", "0-2", "--lr", "adain=3e-5", "--disable-plugin", "a"])
    options = RunOptions.of(args)
    assert options.seeds == [0, 1, 2] and options.lr == {"adain": 3e-5} and options.disable_plugin == ["a"]
    assert options.device == "auto" and options.weights == "auto" and options.deterministic is False
    with pytest.raises(SystemExit):
        run_parser().parse_args(["--seeds", "0", "--seed", "1"])  # NOTE: one group: they exclude each other


def test_resume_takes_only_the_options_that_change_where_and_how_fast():
    assert RESUMABLE == {"device", "speed", "disable_plugin", "executor", "ray_address", "cpus_per_task"}


def test_python_keywords_are_the_same_names():
    options = RunOptions.from_keywords(norms=["in"], lr=1e-3, out_dir="x")
    assert options.lr == {"*": 1e-3} and str(options.out_dir) == "x"
    with pytest.raises(ValueError, match="unknown run option 'image_sizes'; available: baselines, batch_size"):
        RunOptions.from_keywords(image_sizes=64)
