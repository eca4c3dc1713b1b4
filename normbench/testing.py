"""The norm and architecture contracts as a pytest kit: what every plugin, built-in or third-party, must satisfy.

Installed as a pytest plugin (``pytest11`` entry point), so in a plugin's own tests::

    from normbench.testing import ArchitectureContract, NormContract

    class TestGroupNorm(NormContract):
        norm = "gn"          # a registered name (found through installed plugins)

    class TestUNet(ArchitectureContract):
        architecture = "unet"

Each check runs on small CPU tensors with the conditioning the norm declares (every conditioning the
architecture supports).
Top-level imports stay light: pytest imports this module in every session.
"""

from __future__ import annotations

import pytest

CHANNELS, STYLES, BATCH, SIZE = 8, 3, 2, 12


def _inputs(spec, seed: int = 0):
    import torch

    from normbench.registry import Conditioning

    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(BATCH, CHANNELS, SIZE, SIZE, generator=generator) * 2 + 0.5
    if spec.conditioning is Conditioning.STYLE_ID:
        return x, (torch.tensor([1, 2]),)
    if spec.conditioning is Conditioning.STYLE_FEAT:
        return x, (torch.randn(BATCH, CHANNELS, SIZE - 4, SIZE + 2, generator=generator) * 3 - 1,)
    return x, ()


def build(spec):
    """The layer for ``CHANNELS`` channels (and ``STYLES`` styles where it is style-conditioned)."""
    from normbench.registry import Conditioning

    kwargs = {"num_styles": STYLES} if spec.conditioning is Conditioning.STYLE_ID else {}
    return spec.factory(CHANNELS, **kwargs)


def _required_after_input(layer) -> list[str]:
    """Names of the positional parameters of ``layer.forward`` after the input that have no default."""
    import inspect

    parameters = list(inspect.signature(layer.forward).parameters.values())[1:]
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in parameters if p.kind in positional and p.default is inspect.Parameter.empty]


def _perturb(layer) -> None:
    import torch

    with torch.no_grad():
        for parameter in layer.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.5)


@pytest.fixture
def normbench_registry():
    """Every norm of the built-ins and the installed plugins (strict: a broken plugin fails the test)."""
    from normbench.plugins import load_norms

    return load_norms()


class NormContract:
    """Subclass and set ``norm`` to a registered name, or override the ``norm_spec`` fixture."""

    norm = ""

    @pytest.fixture
    def norm_spec(self, normbench_registry):
        if not self.norm:
            pytest.fail(f"{type(self).__name__} must set `norm` or override the `norm_spec` fixture")
        return normbench_registry.get(self.norm)

    def test_forward_and_backward_keep_shape_and_stay_finite(self, norm_spec):
        import torch

        layer = build(norm_spec).train()
        x, cond = _inputs(norm_spec)
        x.requires_grad_(True)
        y = layer(x, *cond)
        assert y.shape == x.shape, f"{norm_spec.name}: output {tuple(y.shape)} != input {tuple(x.shape)}"
        assert torch.isfinite(y).all(), f"{norm_spec.name}: non-finite output"
        (y * torch.linspace(-1, 1, y.numel()).view_as(y)).sum().backward()
        assert torch.isfinite(x.grad).all(), f"{norm_spec.name}: non-finite input gradient"
        for name, parameter in layer.named_parameters():
            assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), f"{name}: bad gradient"

    def test_state_dict_round_trip(self, norm_spec):
        import torch

        first, second = build(norm_spec), build(norm_spec)
        _perturb(first)
        first.train()(*(_inputs(norm_spec)[0], *_inputs(norm_spec)[1]))  # fill any running statistics
        second.load_state_dict(first.state_dict())
        x, cond = _inputs(norm_spec, seed=1)
        assert torch.allclose(first.eval()(x, *cond), second.eval()(x, *cond))

    def test_eval_mode_is_deterministic(self, norm_spec):
        import torch

        layer = build(norm_spec).eval()
        x, cond = _inputs(norm_spec)
        with torch.no_grad():
            assert torch.equal(layer(x, *cond), layer(x, *cond))

    def test_declared_conditioning_is_honoured(self, norm_spec):
        import torch

        from normbench.registry import Conditioning

        layer = build(norm_spec).eval()
        _perturb(layer)
        x, cond = _inputs(norm_spec)
        if norm_spec.conditioning is Conditioning.NONE:
            # NOTE: generators call a `none` norm with the input alone: a forward that needs more is misdeclared
            needed = _required_after_input(layer)
            assert not needed, (
                f"{norm_spec.name} declares none conditioning, but its forward also needs {', '.join(needed)}: "
                "declare style_id or style_feat"
            )
            with torch.no_grad():
                assert layer(x).shape == x.shape, f"{norm_spec.name}: layer(x) changes the shape"
            return
        other = (torch.tensor([0, 0]),) if norm_spec.conditioning is Conditioning.STYLE_ID else (cond[0] * 2 + 3,)
        with torch.no_grad():
            assert not torch.allclose(layer(x, *cond), layer(x, *other)), (
                f"{norm_spec.name} declares {norm_spec.conditioning!r} conditioning but ignores it"
            )

    def test_parameter_count_is_as_declared(self, norm_spec):
        if norm_spec.params_per_channel is None:
            pytest.skip(f"{norm_spec.name} declares no params_per_channel")
        from normbench.registry import Conditioning

        styles = STYLES if norm_spec.conditioning is Conditioning.STYLE_ID else 1
        expected = norm_spec.params_per_channel * CHANNELS * styles
        assert sum(p.numel() for p in build(norm_spec).parameters()) == expected


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
                output = model(torch.rand(BATCH, 3, 32, 40), cond)
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
