"""The fingernail segmenter: a small U-Net, sized for the live budget (one fingertip crop in ~1.5 ms).

A stride-2 stem brings the 64 x 64 crop to 32 x 32, where a nail is about 7 cells wide, and the U-Net
works there (four times cheaper than at full size); a thin full-size branch (8 channels) joins it before
the head, so the outline is drawn at the crop's own resolution, not upsampled from half of it (measured:
outlines upsampled from 32 x 32 spilled a pixel around small nails). Batch norm (folded into the
convolutions by ONNX Runtime) and ReLU only, so the export is plain ONNX.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ("NailNet",)

#: Channels per level (32, 16, 8 and 4 cells at a 64 px crop), and of the full-size branch.
WIDTHS = (16, 32, 48, 64)
FINE = 8


def _conv(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(*_conv(cin, cout), *_conv(cout, cout))


class NailNet(nn.Module):
    """RGB in 0-1 (N x 3 x H x W, H and W multiples of 16) -> nail logits (N x 1 x H x W)."""

    def __init__(self, widths: tuple[int, ...] = WIDTHS) -> None:
        super().__init__()
        self.stem = nn.Sequential(*_conv(3, widths[0], stride=2))
        self.fine = nn.Sequential(*_conv(3, FINE))
        pairs = list(itertools.pairwise(widths))
        self.down = nn.ModuleList([_block(widths[0], widths[0])] + [_block(a, b) for a, b in pairs])
        self.up = nn.ModuleList([_block(b + a, a) for a, b in pairs][::-1])
        self.join = nn.Sequential(*_conv(widths[0] + FINE, FINE))
        self.head = nn.Conv2d(FINE, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        x = x - 0.5
        fine = self.fine(x)
        h = self.stem(x)
        skips = []
        for i, block in enumerate(self.down):
            if i:
                h = F.max_pool2d(h, 2)
            h = block(h)
            skips.append(h)
        for block, skip in zip(self.up, skips[-2::-1], strict=True):
            h = F.interpolate(h, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            h = block(torch.cat([h, skip], dim=1))
        h = F.interpolate(h, size=size, mode="bilinear", align_corners=False)
        logits: torch.Tensor = self.head(self.join(torch.cat([h, fine], dim=1)))
        return logits
