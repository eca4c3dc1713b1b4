"""The architecture contract: what every generator family, built-in or third-party, must satisfy (see
:mod:`normbench.testing`), checked with every conditioning it supports."""

from __future__ import annotations

import pytest

from normbench.testing.norms import BATCH, STYLES


class _Recorder:
    """A norm factory whose layers pass their input through and count the calls that carried conditioning."""

    def __init__(self):
        self.calls: list[int] = []

    def __call__(self, num_features: int, **kwargs):
        import torch
        from torch import nn

        calls = self.calls

        class Passthrough(nn.Module):
            def __init__(self):
                super().__init__()
                self.scale = nn.Parameter(torch.ones(num_features, 1, 1))

            def forward(self, x, *cond):
                calls.append(len(cond))
                return x * self.scale

        return Passthrough()


@pytest.fixture
def normbench_architectures():
    """Every architecture of the built-ins and the installed plugins (strict: a broken plugin fails the test)."""
    from normbench.plugins import collect_architectures, get_plugin_manager

    return collect_architectures(get_plugin_manager())


class ArchitectureContract:
    """Subclass and set ``architecture`` to a registered name: the generator must keep the content's size, give
    images in [0, 1], pass conditioning to exactly the conditioned norms, and train through its criterion."""

    architecture = ""

    @pytest.fixture
    def architecture_spec(self, normbench_architectures):
        if not self.architecture:
            pytest.fail(f"{type(self).__name__} must set `architecture`")
        return normbench_architectures.get(self.architecture)

    @pytest.fixture
    def feature_nets(self, architecture_spec):
        from normbench.models.vgg import load_vgg

        return {name: load_vgg(name, "random") for name in architecture_spec.feature_nets}

    def _generator(self, spec, conditioning, nets, recorder):
        import torch

        from normbench.registry import Conditioning
        from normbench.training.harness import style_bank

        factory = recorder if conditioning is not Conditioning.STYLE_ID else (lambda c: recorder(c, num_styles=STYLES))
        model = spec.build(factory, conditioning, nets)
        bank = style_bank(spec, nets, torch.rand(STYLES, 3, 32, 32))
        return model, bank.conditioning(conditioning, torch.tensor([1, 2]))

    def test_every_supported_conditioning_builds_keeps_size_and_gives_images(self, architecture_spec, feature_nets):
        import torch

        from normbench.registry import Conditioning

        for conditioning in architecture_spec.supports:
            recorder = _Recorder()
            model, cond = self._generator(architecture_spec, conditioning, feature_nets, recorder)
            with torch.no_grad():
                # NOTE: in eval mode, as the benchmark stylizes: a training-mode output only feeds the loss, and may
                # leave [0, 1] (Huang & Belongie's decoder is unbounded in training)
                output = model.eval()(torch.rand(BATCH, 3, 32, 40), cond)
            assert output.shape == (BATCH, 3, 32, 40), f"{conditioning}: output {tuple(output.shape)}"
            assert 0 <= float(output.min()) and float(output.max()) <= 1, f"{conditioning}: output outside [0, 1]"
            assert recorder.calls, f"{conditioning}: the generator has no norm slot"
            wanted = 0 if conditioning is Conditioning.NONE else 1
            assert set(recorder.calls) == {wanted}, (
                f"{conditioning}: norm layers were called with {sorted(set(recorder.calls))} conditioning inputs"
            )

    def test_the_criterion_trains_the_generator(self, architecture_spec, feature_nets):
        import torch

        from normbench.config import PROFILES

        conditioning = architecture_spec.supports[0]
        model, cond = self._generator(architecture_spec, conditioning, feature_nets, _Recorder())
        styles = torch.rand(STYLES, 3, 32, 32)
        loss = architecture_spec.criterion(feature_nets, styles, architecture_spec.training, PROFILES["quick"])
        terms = loss(model, torch.rand(BATCH, 3, 32, 32), torch.tensor([1, 2]), cond)
        assert torch.isfinite(terms["total"]), "the criterion's total is not finite"
        terms["total"].backward()
        grads = [p.grad for p in model.parameters() if p.requires_grad]
        assert grads and all(g is not None and torch.isfinite(g).all() for g in grads), "a parameter got no gradient"
