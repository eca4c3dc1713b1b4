"""The metric contract: what every metric, built-in or third-party, must satisfy (see :mod:`normbench.testing`).

The metric is built through its factory with a :class:`~normbench.MetricContext`, as a run builds it, and measured
on a tiny CPU sample in two chunks; ``compute()`` must give exactly the declared columns, each a number (a
derived metric's ``derive()`` likewise, from made-up values of the columns it requires).
"""

from __future__ import annotations

import pytest

#: The sample every check measures: images per chunk, chunks, and their side.
SAMPLE_IMAGES, SAMPLE_CHUNKS, SAMPLE_SIZE = 2, 2, 32


@pytest.fixture
def normbench_metrics():
    """Every metric of the built-ins and the installed plugins (strict: a broken plugin fails the test)."""
    from normbench.plugins import collect_metrics, get_plugin_manager

    return collect_metrics(get_plugin_manager())


def _stylize(images, statistics: str = "eval"):
    """A stand-in model: a fixed, content-dependent change of colour."""
    return (images.flip(1) * 0.8 + 0.1).clamp(0, 1)


def samples():
    """The chunks a row of the tiny sample is measured in: :class:`~normbench.StylizedSample` values."""
    import torch

    from normbench.metrics.base import StylizedSample

    generator = torch.Generator().manual_seed(0)
    style = torch.rand(1, 3, SAMPLE_SIZE, SAMPLE_SIZE, generator=generator)
    chunks = []
    for index in range(SAMPLE_CHUNKS):
        content = torch.rand(SAMPLE_IMAGES, 3, SAMPLE_SIZE, SAMPLE_SIZE, generator=generator)
        chunks.append(StylizedSample(_stylize(content), content, style, _stylize, index * SAMPLE_IMAGES))
    return chunks


class MetricContract:
    """Subclass and set ``metric`` to a registered name, or override the ``metric_spec`` fixture (and
    ``metric_context`` for a context of your own)."""

    metric = ""

    @pytest.fixture
    def metric_spec(self, normbench_metrics):
        if not self.metric:
            pytest.fail(f"{type(self).__name__} must set `metric` or override the `metric_spec` fixture")
        return normbench_metrics.get(self.metric)

    @pytest.fixture
    def metric_context(self, tmp_path):
        import torch

        from normbench.metrics.base import MetricContext

        images = SAMPLE_IMAGES * SAMPLE_CHUNKS
        return MetricContext(
            torch.device("cpu"), "random", fid_samples=16, cache_dir=tmp_path, num_images=images, eval_draws=1
        )

    @pytest.fixture
    def built(self, metric_spec, metric_context):
        """The metric as a run builds it: ``factory(context)``, checked."""
        from normbench.metrics.contract import built_metric

        return built_metric(metric_spec.name, metric_spec.factory, metric_context)

    def test_columns_are_declared_once_with_a_direction_that_fits_their_axis(self, metric_spec):
        names = [column.name for column in metric_spec.columns]
        assert names, f"metric {metric_spec.name!r} declares no columns"
        assert len(set(names)) == len(names), f"metric {metric_spec.name!r} declares a column twice: {names}"
        for column in metric_spec.columns:
            assert column.ranked or column.axis == "info", (
                f"column {column.name!r} has axis {column.axis!r} but no direction (higher_is_better None): "
                "give it one, or axis 'info'"
            )

    def test_results_are_exactly_the_declared_columns_as_numbers(self, metric_spec, built):
        """``compute()`` after ``update`` on the sample (``derive(values)`` for a derived metric, given made-up values
        of the columns it requires)."""
        from normbench.metrics.base import DerivedMetric
        from normbench.metrics.contract import checked_values, metric_label

        if isinstance(built, DerivedMetric):
            values = {column: 0.5 for column in metric_spec.requires}
            checked_values(metric_spec.columns, built.derive(values), metric_label(metric_spec.name), "derive")
            return
        assert self._measure(metric_spec, built, samples()).keys() == {c.name for c in metric_spec.columns}

    def test_reset_forgets_what_was_measured(self, metric_spec, metric_context, built):
        """A metric measures one row after another: after ``reset()`` it gives what a fresh one gives (a derived
        metric keeps nothing between rows)."""
        from normbench.metrics.base import DerivedMetric
        from normbench.metrics.contract import built_metric

        if isinstance(built, DerivedMetric):
            return
        chunks = samples()
        self._measure(metric_spec, built, [_other(chunk) for chunk in chunks])
        again = self._measure(metric_spec, built, chunks)
        fresh = self._measure(metric_spec, built_metric(metric_spec.name, metric_spec.factory, metric_context), chunks)
        assert _same(again, fresh), (
            f"metric {metric_spec.name!r}: after reset() it gave {again}, a fresh one {fresh}; reset() must clear "
            "every accumulated value"
        )

    def test_provenance_is_a_dict(self, metric_spec, built):
        provenance = built.provenance()
        assert isinstance(provenance, dict), f"metric {metric_spec.name!r}: provenance() must return a dict"

    @staticmethod
    def _measure(metric_spec, metric, chunks) -> dict:
        """reset, update per chunk, compute; the values checked against the declared columns."""
        import math

        from normbench.metrics.contract import checked_values, metric_label

        metric.reset()
        for chunk in chunks:
            metric.update(chunk)
        values = checked_values(metric_spec.columns, metric.compute(), metric_label(metric_spec.name))
        for name, value in values.items():
            assert not (isinstance(value, float) and math.isinf(value)), f"column {name!r} is infinite"
        return values


def _other(sample):
    """``sample`` with other outputs (what a different row would measure): darker, flatter, mirrored."""
    from dataclasses import replace

    return replace(sample, stylized=sample.stylized.flip(-1) * 0.5)


def _same(a: dict, b: dict) -> bool:
    """Equal values, NaN equal to NaN, floats to 1e-6."""
    import math

    def same(x, y) -> bool:
        if isinstance(x, float) and isinstance(y, float):
            return (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9)
        return x == y

    return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
