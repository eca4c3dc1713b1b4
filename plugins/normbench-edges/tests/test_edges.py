"""The edge-agreement metric against closed forms, and its update/compute/reset cycle."""

import pytest
import torch
from normbench_edges import EdgeAgreement, edge_agreement, gradient_magnitude

import normbench
from normbench import StylizedSample
from normbench.testing import MetricContract


def photos(count=3, size=32, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(count, 3, size, size, generator=generator)


def test_an_image_agrees_with_itself_and_with_a_brighter_lower_contrast_copy():
    content = photos()
    assert torch.allclose(edge_agreement(content, content), torch.ones(3), atol=1e-6)
    # NOTE: a*x + b scales every gradient by a: the same edges, a new palette
    assert torch.allclose(edge_agreement(0.5 * content + 0.25, content), torch.ones(3), atol=1e-5)


def test_a_flat_image_keeps_no_structure_and_an_unrelated_one_little():
    content = photos()
    assert torch.equal(edge_agreement(torch.full_like(content, 0.5), content), torch.zeros(3))
    assert edge_agreement(photos(seed=1), content).abs().max() < 0.2


def test_gradient_magnitude_of_a_vertical_step_is_the_sobel_response():
    image = torch.zeros(1, 3, 5, 5)
    image[..., 3:] = 1.0  # a step of 1 between columns 2 and 3
    magnitude = gradient_magnitude(image)
    assert magnitude.shape == (1, 3, 3)
    assert torch.allclose(magnitude[0, :, 0], torch.zeros(3), atol=1e-6)  # away from the step
    assert torch.allclose(magnitude[0, :, 1:], torch.full((3, 2), 4.0), atol=1e-5)  # 1 + 2 + 1 across the step


def test_the_metric_averages_over_chunks_and_resets():
    content = photos(4)
    metric = EdgeAgreement()
    for first in (0, 2):
        chunk = content[first : first + 2]
        metric.update(StylizedSample(chunk, chunk, content[:1], lambda images, statistics="eval": images, first))
    assert metric.compute() == {"edge_agreement": pytest.approx(1.0, abs=1e-5)}
    metric.reset()
    assert metric.compute()["edge_agreement"] != metric.compute()["edge_agreement"]  # NaN: nothing measured


def test_the_plugin_registers_its_metric_through_the_entry_point():
    from normbench.plugins import load_plugins

    loaded = load_plugins()
    spec = loaded.metrics.get("edges")
    assert [column.name for column in spec.columns] == ["edge_agreement"]
    assert spec.columns[0].higher_is_better is True and spec.columns[0].axis == "content"
    assert loaded.metrics.plugin_of("edges") == "edges"
    assert normbench.Metric in EdgeAgreement.__mro__


class TestEdgesKeepsTheMetricContract(MetricContract):
    """normbench's metric kit: built through its factory with a MetricContext, exactly its declared columns."""

    metric = "edges"
