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
    summary = result.summary()
    means = summary.means.set_index("norm")
    assert means.loc["in", "lpips"] == pytest.approx(result.results.set_index("norm").loc["in", "lpips"])
    assert means.loc["identity", "kind"] == "baseline" and (means["rows"] == 1).all()
    assert summary.answer.startswith("Nothing is separated at 1 seed: LPIPS is ")
    assert summary.table.loc[("in", "train"), "lpips"] == pytest.approx(means.loc["in", "lpips"])
    assert summary.verdicts[0].startswith("bn vs in, 1 paired seed")
    html = result._repr_html_()
    assert summary.answer in html and "<svg" in html  # NOTE: a notebook shows the answer and the chart
    with pytest.warns(DeprecationWarning, match=r"RunResult.summary\(\).means"):
        assert summary.set_index("norm").equals(means)  # NOTE: the old DataFrame form works, with a warning
    model = result.generator("in", "waves")
    images = torch.rand(2, 3, 32, 32)
    assert isinstance(model, torch.nn.Module) and model(images).shape == images.shape
    assert not result.train_log.empty
    pd.testing.assert_frame_equal(normbench.load(tmp_path / "api").results, result.results)
    assert result.report().name == "report.html"


def test_what_can_be_benchmarked_is_listed_like_timm_list_models():
    assert {"in", "bn", "adain", "none"} <= set(normbench.list_norms())
    assert normbench.list_norms("*in") == sorted(n for n in normbench.list_norms() if n.endswith("in"))
    assert "lpips" in normbench.list_metrics() and "transformer" in normbench.list_architectures()


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
