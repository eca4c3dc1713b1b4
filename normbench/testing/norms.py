"""The norm contract: what every normalization layer, built-in or third-party, must satisfy (see
:mod:`normbench.testing`). Each check runs on small CPU tensors with the conditioning the norm declares."""

from __future__ import annotations

import pytest

#: The layers' size in every check: channels, styles of a style_id layer, batch, height and width.
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


#: Inputs with no variation where a layer divides by it: one value everywhere, the same map in every channel.
DEGENERATE = ("a constant image", "equal channels")


def _degenerate(x, case: str):
    """``x`` made degenerate: every value its mean, or every channel its first."""
    if case == "a constant image":
        return x.detach().mean().expand_as(x).clone()
    return x.detach()[:, :1].expand_as(x).clone()


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
        actual = sum(p.numel() for p in build(norm_spec).parameters())
        per = f" x {styles} styles" if styles > 1 else ""
        assert actual == expected, (
            f"{norm_spec.name}: {actual} learned parameters, expected {expected} (params_per_channel "
            f"{norm_spec.params_per_channel} x {CHANNELS} channels{per}); fix the layer or its params_per_channel"
        )

    @pytest.mark.parametrize("case", DEGENERATE)
    def test_degenerate_inputs_stay_finite(self, norm_spec, case):
        """A flat patch of sky, a grey image: a channel whose variance is 0 must not divide by 0 (an epsilon)."""
        import torch

        x, cond = _inputs(norm_spec)
        x = _degenerate(x, case).requires_grad_(True)
        cond = tuple(_degenerate(c, case) if c.is_floating_point() else c for c in cond)
        for mode in ("train", "eval"):
            layer = build(norm_spec).train(mode == "train")
            y = layer(x, *cond)
            assert torch.isfinite(y).all(), (
                f"{norm_spec.name} ({mode} mode): non-finite output for {case}; does it divide by a standard "
                "deviation without an epsilon?"
            )
            (y * torch.linspace(-1, 1, y.numel()).view_as(y)).sum().backward()
            assert torch.isfinite(x.grad).all(), f"{norm_spec.name} ({mode} mode): non-finite gradient for {case}"
            x.grad = None
