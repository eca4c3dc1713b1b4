"""Small blocks shared by the generators."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import torch
from torch import nn

NormFactory = Callable[[int], nn.Module]


class NormSlot(nn.Module):
    """Where a generator puts a norm layer; passes the conditioning only to norms that declared one.

    The generator decides nothing by the norm's name: ``conditioned`` comes from
    the spec's declared conditioning.
    """

    #: Content-style interpolation at test time (Huang & Belongie 2017, §7): a conditioned slot returns
    #: ``alpha * layer(x, cond) + (1 - alpha) * x``. Not a parameter: it is never trained or stored.
    alpha: float = 1.0

    def __init__(self, layer: nn.Module, conditioned: bool):
        super().__init__()
        self.layer = layer
        self.conditioned = conditioned

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        if not self.conditioned:
            return self.layer(x)
        output = self.layer(x, cond)
        return output if self.alpha == 1 else torch.lerp(x, output, self.alpha)


def conditioned_slots(model: nn.Module) -> list[NormSlot]:
    """The slots of ``model`` whose norm takes the conditioning: where test-time ``alpha`` applies."""
    return [module for module in model.modules() if isinstance(module, NormSlot) and module.conditioned]


@contextlib.contextmanager
def content_style_alpha(model: nn.Module, alpha: float) -> Iterator[None]:
    """Every conditioned slot of ``model`` at ``alpha`` (:attr:`NormSlot.alpha`) inside the block, then back."""
    slots = conditioned_slots(model)
    saved = [slot.alpha for slot in slots]
    for slot in slots:
        slot.alpha = alpha
    try:
        yield
    finally:
        for slot, value in zip(slots, saved):
            slot.alpha = value


def reflect_conv(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> nn.Sequential:
    """A conv with reflection padding, which avoids the dark borders zero padding leaves."""
    return nn.Sequential(
        nn.ReflectionPad2d(kernel_size // 2),
        nn.Conv2d(in_channels, out_channels, kernel_size, stride),
    )


class ConvNormAct(nn.Module):
    """conv -> norm -> ReLU, optionally preceded by a nearest-neighbour 2x upsample."""

    def __init__(self, conv: nn.Module, norm: NormSlot, upsample: bool = False, act: bool = True):
        super().__init__()
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest") if upsample else nn.Identity()
        self.conv = conv
        self.norm = norm
        self.act = nn.ReLU(inplace=True) if act else nn.Identity()

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        return self.act(self.norm(self.conv(self.upsample(x)), cond))


class ResidualBlock(nn.Module):
    """Two 3x3 conv-norm pairs with an identity shortcut (Johnson et al.'s residual block)."""

    def __init__(self, channels: int, make_norm: Callable[[int], NormSlot]):
        super().__init__()
        self.first = ConvNormAct(reflect_conv(channels, channels, 3), make_norm(channels))
        self.second = ConvNormAct(reflect_conv(channels, channels, 3), make_norm(channels), act=False)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        return x + self.second(self.first(x, cond), cond)
