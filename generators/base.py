"""What a generator is: metadata plus the capabilities it has (generate, reconstruct); the check that
adapts a plugin's generator to that contract where it enters the registry."""
from __future__ import annotations

import inspect
from abc import ABC, abstractmethod

import torch

from fakebench.core.errors import ProtocolError
from fakebench.generators.info import GeneratorInfo  # defined without torch, so listings need none; re-exported


class Generator(ABC):
    """A source of fake images. Subclasses implement the capabilities their model has.

    A plugin object with `info`, `fingerprint` and `generate_indices` and/or `reconstruct` that does not
    subclass it is wrapped into `PluginGenerator` where it enters the registry (`as_generator`)."""

    info: GeneratorInfo
    device: torch.device = torch.device("cpu")  # where its models run: inputs to `reconstruct` go there
    num_inference_steps: int | None = None  # denoising steps per generated image, when it has a sampler

    @property
    @abstractmethod
    def fingerprint(self) -> str:
        """A hash of everything that determines this generator's outputs (weights, sampler)."""

    @property
    def reconstruction_fingerprint(self) -> str:
        """A hash of what determines `reconstruct` (the autoencoder alone, for latent models)."""
        return self.fingerprint

    @property
    def can_generate(self) -> bool:
        return type(self).generate_indices is not Generator.generate_indices

    @property
    def can_reconstruct(self) -> bool:
        return type(self).reconstruct is not Generator.reconstruct

    def generate(self, n: int, seed: int, batch_size: int = 32) -> torch.Tensor:
        """n images, N x 3 x H x W in [0, 1]; image i depends on (seed, i) only, not on batching."""
        return torch.cat([self.generate_indices(seed, range(s, min(n, s + batch_size)))
                          for s in range(0, n, batch_size)])

    def generate_indices(self, seed: int, indices: range) -> torch.Tensor:
        """Images number `indices` of the seeded stream, as one batch."""
        raise NotImplementedError(f"generator {self.info.name!r} cannot generate images")

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        """Autoencoder round trip of a batch N x 3 x H x W in [0, 1]; output has the input's size."""
        raise NotImplementedError(f"generator {self.info.name!r} has no autoencoder to reconstruct with")


class PluginGenerator(Generator):
    """A plugin object with the generator protocol that does not subclass `Generator`, adapted to it:
    its `info`, `fingerprint` (and `reconstruction_fingerprint`, `device` when it has them) and its
    capabilities, forwarded."""

    def __init__(self, plugin: object) -> None:
        self.plugin = plugin
        self.info = plugin.info
        self.device = torch.device(getattr(plugin, "device", "cpu"))
        self._generate = getattr(plugin, "generate_indices", None)
        self._reconstruct = getattr(plugin, "reconstruct", None)

    @property
    def fingerprint(self) -> str:
        return self.plugin.fingerprint

    @property
    def reconstruction_fingerprint(self) -> str:
        return getattr(self.plugin, "reconstruction_fingerprint", None) or self.plugin.fingerprint

    @property
    def can_generate(self) -> bool:
        return callable(self._generate)

    @property
    def can_reconstruct(self) -> bool:
        return callable(self._reconstruct)

    def generate_indices(self, seed: int, indices: range) -> torch.Tensor:
        if not self.can_generate:
            return super().generate_indices(seed, indices)
        return self._generate(seed, indices)

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        if not self.can_reconstruct:
            return super().reconstruct(images)
        return self._reconstruct(images)


GENERATOR_PROTOCOL = ("a generator needs info (fakebench.generators.base.GeneratorInfo), fingerprint (a str naming its "
                      "weights) and generate_indices(seed, indices) and/or reconstruct(images)")


def as_generator(product: object) -> Generator:
    """The check where a generator enters the registry: a `Generator` as it is, a duck-typed plugin
    object wrapped into `PluginGenerator`, anything lacking the protocol refused with what it lacks."""
    missing = []
    info = getattr(product, "info", None)
    if not isinstance(info, GeneratorInfo):
        missing.append("info (a fakebench.generators.base.GeneratorInfo)" if info is None
                       else f"info as a fakebench.generators.base.GeneratorInfo (it is {type(info).__name__})")
    # looked up, not computed: a hub model's fingerprint hashes its weights (absent weights are fine here)
    if inspect.getattr_static(product, "fingerprint", None) is None:
        missing.append("fingerprint (a str naming its weights)")
    if isinstance(product, Generator):
        capable = product.can_generate or product.can_reconstruct
    else:
        capable = any(callable(getattr(product, m, None)) for m in ("generate_indices", "reconstruct"))
    if not capable:
        missing.append("a capability (generate_indices(seed, indices) or reconstruct(images))")
    if missing:
        raise ProtocolError(f"lacks {', '.join(missing)}", fix=GENERATOR_PROTOCOL)
    return product if isinstance(product, Generator) else PluginGenerator(product)
