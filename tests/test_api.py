"""The Python API: ``normbench.run`` and ``normbench.load`` return pandas objects and leave the caller's process as
they found it."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from tiny import tiny_options

import normbench
from normbench.errors import UserError

TINY = tiny_options()


def test_run_returns_pandas_results_and_restores_torch_settings(tmp_path, capsys):
    torch.set_num_threads(1)
    result = normbench.run("in,bn", out_dir=tmp_path, run_id="api", deterministic=True, **TINY)
    assert torch.get_num_threads() == 1 and not torch.are_deterministic_algorithms_enabled()
    assert capsys.readouterr().out == ""  # NOTE: nothing printed without progress=True
    assert result.status == "complete" and result.path == tmp_path / "api"
    assert set(result.results["norm"]) == {"in", "bn", "identity"}
    assert result.columns["lpips"]["higher_is_better"] is False
    summary = result.summary().set_index("norm")
    assert summary.loc["in", "lpips"] == pytest.approx(result.results.set_index("norm").loc["in", "lpips"])
    assert summary.loc["identity", "kind"] == "baseline" and (summary["rows"] == 1).all()
    assert not result.train_log.empty
    pd.testing.assert_frame_equal(normbench.load(tmp_path / "api").results, result.results)
    assert result.report().name == "report.html"


def test_run_refuses_an_unknown_option_listing_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown run option 'step'; available: .*steps"):
        normbench.run("in", step=2)


def test_run_refuses_an_unknown_norm_before_writing_anything(tmp_path):
    with pytest.raises(UserError, match="unknown norm 'nope'"):
        normbench.run("nope", out_dir=tmp_path, **TINY)
    assert not any(tmp_path.iterdir())


def test_load_refuses_a_folder_without_a_run(tmp_path):
    with pytest.raises(UserError, match="not a normbench run directory"):
        normbench.load(tmp_path)
