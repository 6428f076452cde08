"""An example fakebench detector plugin, in ten lines of detector."""
import torch
import torch.nn.functional as F

from fakebench import InputPolicy

LAPLACIAN = torch.tensor([[[[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]]])


class HighFrequencyEnergy:
    """Mean Laplacian energy through a sigmoid: decoders smooth fine detail (training-free)."""

    name = "myplugin"
    policy = InputPolicy("center_crop", size=64)

    def score(self, images: torch.Tensor) -> torch.Tensor:
        energy = F.conv2d(images.mean(dim=1, keepdim=True), LAPLACIAN).abs().mean(dim=(1, 2, 3))
        return torch.sigmoid(40 * (0.06 - energy))  # less high-frequency energy -> more likely fake
