"""Training-free detectors that read an image's round trip through a generator's autoencoder (RT).

- `aeroblade` (Ricker et al., "AEROBLADE: Training-Free Detection of Latent Diffusion Images Using
  Autoencoder Reconstruction Error", CVPR 2024): an image that autoencoder decoded lies close to its own
  round trip. The paper measures the distance with LPIPS (a VGG's second layer); LPIPS's backbone weights
  cannot be had offline, so here it is the mean squared error in [0, 1] pixels (L2), as PSNR:
  `psnr = -10 log10 |x - RT(x)|^2`.
- `rt-ratio`: the same distance normalised by the image's own content: `-ln(|x - RT(x)|^2 /
  |RT(x) - RT(RT(x))|^2)`. Busy content reconstructs worse whether real or fake; the second round trip
  measures how hard this content is for the autoencoder, so the ratio keeps only "was x already decoded".

Both need no training and no recipe: they are scored like a plugin and calibrated on the clean held-out
reals like every detector. The score is a fixed monotone map of the statistic to (0, 1), a logistic
`sigmoid((stat - centre) / scale)` in float64 (so the calibrated threshold keeps its resolution in the
tails). The map changes no ranking, AUC or calibrated metric; its centre only places the uncalibrated
0.5 threshold, and was set from the TAEF2 round trips of *training* crops (never test photos), between
the reals' and the round trips' medians.

Scores are cached: `checkpoint_hash` hashes the detector, its map and the generator's reconstruction
fingerprint (its autoencoder weights and how they run). Within a process the round trips of each scored
batch are kept too (`RoundTripMemo`): aeroblade's error is rt-ratio's first one, so a run that scores
both pays the first round trip once (a third of their autoencoder time), in either order.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch

from fakebench.core.cache import stable_hash
from fakebench.core.errors import FakebenchError
from fakebench.detectors.base import Detector, InputPolicy
from fakebench.generators.registry import create_generator

EPS = 1e-10  # added to squared errors: an exact fixed point of RT gives a finite score (8-bit noise is ~1e-6)


@dataclass(frozen=True)
class ScoreMap:
    """`sigmoid((stat - centre) / scale)`: the monotone map from a statistic to a probability of "fake"."""

    centre: float
    scale: float

    def __call__(self, stat: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid((stat.double() - self.centre) / self.scale)


# statistic per kind, and its map (centres: between the medians of TAEF2 train-crop reals and round trips)
# (21 train crops of 128 px: reals' medians -0.61 / 32.1 dB, round trips' -0.10 / 34.3 dB)
MAPS = {"aeroblade": ScoreMap(centre=33.2, scale=1.0),  # PSNR in dB of x against RT(x)
        "rt-ratio": ScoreMap(centre=-0.35, scale=0.25)}  # -ln(|x - RT(x)|^2 / |RT(x) - RT(RT(x))|^2)
FORMAT = 1  # bump when a statistic or map changes: cached scores are keyed on it


def _mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image mean squared error in float64, N."""
    return (a.double() - b.double()).pow(2).flatten(1).mean(1)


def first_error(x: torch.Tensor, reconstruct: Callable[[torch.Tensor], torch.Tensor]
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """|x - RT(x)|^2 per image (float64, EPS added) and RT(x) itself (for the second error)."""
    rt = reconstruct(x).float()
    return _mse(x, rt) + EPS, rt


def second_error(rt: torch.Tensor, reconstruct: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """|RT(x) - RT(RT(x))|^2 per image (float64, EPS added), from RT(x)."""
    return _mse(rt, reconstruct(rt).float()) + EPS


def round_trip_errors(x: torch.Tensor, reconstruct: Callable[[torch.Tensor], torch.Tensor],
                      second: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
    """|x - RT(x)|^2 and (when `second`) |RT(x) - RT(RT(x))|^2 per image, float64, EPS added."""
    first, rt = first_error(x, reconstruct)
    return first, second_error(rt, reconstruct) if second else None


@dataclass
class _Trips:
    """One batch's errors; `rt` (RT(x)) is kept while the second error is unknown, so that rt-ratio,
    scored after aeroblade, needs one more round trip instead of two."""

    first: torch.Tensor
    second: torch.Tensor | None = None
    rt: torch.Tensor | None = None


class RoundTripMemo:
    """The round-trip errors of recently scored batches, by (autoencoder fingerprint, device, batch bytes).

    Both detectors batch a set the same way (same input policy), and a run scores each (generator,
    perturbation) with every detector in turn, so a batch reaches the second detector with the same
    bytes: aeroblade takes rt-ratio's first error, rt-ratio takes aeroblade's first error and RT(x) and
    adds only the second round trip. Every error is the one `round_trip_errors` gives, bit for bit: a
    score never depends on which detector ran first, only the time does. Errors are two float64 per
    image (`capacity` batches kept); RT(x) tensors are dropped oldest first beyond `tensor_bytes`."""

    def __init__(self, capacity: int = 4096, tensor_bytes: int = 256 * 2**20) -> None:
        self.capacity, self.tensor_bytes = capacity, tensor_bytes
        self._trips: OrderedDict[tuple, _Trips] = OrderedDict()
        self._held = 0  # bytes of the RT(x) tensors kept
        self.hits = 0

    @staticmethod
    def key(fingerprint: str, device: torch.device | None, x: torch.Tensor) -> tuple:
        digest = hashlib.blake2b(x.contiguous().numpy(), digest_size=16).hexdigest()  # the buffer, no copy
        return fingerprint, str(device), str(x.dtype), tuple(x.shape), digest

    def errors(self, key: tuple, x: torch.Tensor, reconstruct: Callable[[torch.Tensor], torch.Tensor],
               second: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The batch's first error and (when `second`) its second, round-tripping only what is not kept."""
        trips = self._trips.get(key)
        if trips is None:
            first, rt = first_error(x, reconstruct)
            trips = self._trips[key] = _Trips(first)
            if second:
                trips.second = second_error(rt, reconstruct)
            else:
                trips.rt = rt
                self._held += rt.nbytes
        else:
            self.hits += 1
            self._trips.move_to_end(key)
            if second and trips.second is None:
                rt = trips.rt if trips.rt is not None else first_error(x, reconstruct)[1]
                trips.second = second_error(rt, reconstruct)
                self._drop_rt(trips)
        self._evict()
        return trips.first, trips.second if second else None

    def _drop_rt(self, trips: _Trips) -> None:
        if trips.rt is not None:
            self._held -= trips.rt.nbytes
            trips.rt = None

    def _evict(self) -> None:
        while len(self._trips) > self.capacity:
            self._drop_rt(self._trips.popitem(last=False)[1])
        for trips in self._trips.values():  # oldest first
            if self._held <= self.tensor_bytes:
                break
            self._drop_rt(trips)

    def __len__(self) -> int:
        return len(self._trips)

    def clear(self) -> None:
        self._trips.clear()
        self._held = 0
        self.hits = 0


ROUND_TRIPS = RoundTripMemo()  # one per process: the scoring loop runs detectors one after another


def statistic_of(kind: str, first: torch.Tensor, second: torch.Tensor | None) -> torch.Tensor:
    """A kind's statistic from the round-trip errors: PSNR (aeroblade) or the log ratio (rt-ratio)."""
    if kind == "aeroblade":
        return -10.0 * torch.log10(first)
    return torch.log(second) - torch.log(first)


class ReconstructionDetector(Detector):
    """`kind` ("aeroblade" or "rt-ratio") through the autoencoder of the registered generator `generator`."""

    def __init__(self, kind: str, generator: str = "taef2", device: str | torch.device = "cpu") -> None:
        if kind not in MAPS:
            raise ValueError(f"unknown reconstruction statistic {kind!r}; known: {', '.join(MAPS)}")
        self.name, self.kind, self.generator = kind, kind, generator
        self.model = create_generator(generator, device=device)
        if not self.model.can_reconstruct:
            raise FakebenchError(f"detector {kind!r} needs a generator that can reconstruct; {generator!r} has no "
                                 "autoencoder round trip",
                                 fix=f"pass generator= one with an autoencoder (e.g. {kind}(generator='taef2'))")
        self.map = MAPS[kind]
        self.policy = InputPolicy("native", min_side=16)
        self.config = {"kind": kind, "generator": generator, "distance": "l2", "map": asdict(self.map)}

    @property
    def checkpoint_hash(self) -> str:
        return stable_hash("reconstruction-detector", FORMAT, self.config, self.model.reconstruction_fingerprint)

    def to(self, device: str | torch.device) -> ReconstructionDetector:
        """Rebuild the generator on `device` (generators take their device when they are built)."""
        if torch.device(device) != self.model.device:
            self.model = create_generator(self.generator, device=device)
        return self

    @property
    def device(self) -> torch.device | None:
        return self.model.device

    def statistic(self, images: torch.Tensor) -> torch.Tensor:
        """The raw statistic per image (float64): PSNR for aeroblade, the log ratio for rt-ratio."""
        x = images.float().cpu()
        key = RoundTripMemo.key(self.model.reconstruction_fingerprint, self.device, x)
        first, second = ROUND_TRIPS.errors(key, x, self.model.reconstruct, self.kind == "rt-ratio")
        return statistic_of(self.kind, first, second)

    @torch.inference_mode()
    def score(self, images: torch.Tensor) -> torch.Tensor:
        return self.map(self.statistic(images))
