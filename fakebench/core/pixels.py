"""Pixel containers and the conversions between them: PIL images, uint8 H x W x 3 tensors (what
loader workers hand over), float N x 3 x H x W tensors in [0, 1] (what models take)."""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image


def pil_to_uint8(im: Image.Image) -> torch.Tensor:
    """PIL RGB -> uint8 tensor H x W x 3, in one copy: what DataLoader workers stack and hand over
    (a quarter of the bytes of floats; stacked as N x H x W x 3, a batch is channels-last already)."""
    return torch.from_numpy(np.array(im if im.mode == "RGB" else im.convert("RGB"), dtype=np.uint8))


def uint8_to_float(x: torch.Tensor, device: torch.device | str | None = None) -> torch.Tensor:
    """uint8 pixels (any shape) -> float in [0, 1], converted on `device` (so only bytes travel)."""
    if device is not None:
        x = x.to(device, non_blocking=True)
    return x.float().div_(255.0)


def pil_to_tensor(im: Image.Image) -> torch.Tensor:
    """PIL RGB -> float tensor 3 x H x W in [0, 1] (a view of H x W x 3 memory)."""
    return uint8_to_float(pil_to_uint8(im).permute(2, 0, 1))


def to_uint8_hwc(batch: torch.Tensor) -> np.ndarray:
    """N x 3 x H x W floats in [0, 1] -> N x H x W x 3 uint8 (rounded, clamped), for a whole batch at
    once."""
    x = batch.detach().clamp(0, 1).mul(255).round().to(torch.uint8).permute(0, 2, 3, 1)
    return x.contiguous().cpu().numpy()
