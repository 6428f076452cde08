"""What a training step sees: augmented images with their labels, one by one or in synced pairs.

Every image's random choices come from (seed, epoch, index) through `fakebench.detectors.augment`, so an epoch's
samples are the same whatever the worker or process count. For paired data (the `aligned-sync` recipe)
the sampling unit is the pair: item i is real i and its reconstruction, augmented with one draw of
params, so a pair is never split across batches, DDP ranks or loader workers, and a global batch of B
images holds B / 2 pairs.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from fakebench.core.errors import FakebenchError
from fakebench.core.pixels import pil_to_tensor
from fakebench.data.imagesets import ImageSet, reencoded
from fakebench.detectors.augment import AugmentConfig, AugmentParams, apply, sample_params
from fakebench.detectors.base import InputPolicy
from fakebench.detectors.recipes import TrainingData

AS_DECODED = InputPolicy()  # a policy whose `prepare` leaves every decoded image as it is


class LabeledImages(Dataset):
    """Reals (label 0) and fakes (label 1), each augmented with its own params."""

    def __init__(self, sets: list[ImageSet], cfg: AugmentConfig, seed: int) -> None:
        self.items = [(s, r) for s in sets for r in s.records]
        self.cfg, self.seed, self.epoch = cfg, seed, 0

    def __len__(self) -> int:
        return len(self.items)

    def params(self, i: int, size: tuple[int, int]) -> AugmentParams:
        return sample_params(np.random.default_rng([self.seed, self.epoch, i]), size, self.cfg)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        imageset, record = self.items[i]
        image = imageset.read(record)
        return pil_to_tensor(apply(image, self.params(i, image.size))), torch.tensor(float(imageset.label))


class PairedImages(Dataset):
    """Item i: real i and its reconstruction (2 x 3 x S x S) augmented with the same params, labels (0, 1)."""

    def __init__(self, reals: ImageSet, fakes: ImageSet, cfg: AugmentConfig, seed: int) -> None:
        if len(reals) != len(fakes):
            raise ValueError(f"{len(reals)} reals but {len(fakes)} reconstructions: pair them first (recipes.pair_up)")
        self.reals, self.fakes = reals, fakes
        self.cfg, self.seed, self.epoch = cfg, seed, 0

    def __len__(self) -> int:
        return len(self.reals)

    def params(self, i: int, size: tuple[int, int]) -> AugmentParams:
        """The pair's one draw (drawn for the real's size, which its reconstruction shares)."""
        return sample_params(np.random.default_rng([self.seed, self.epoch, i]), size, self.cfg)

    def pair(self, i: int) -> tuple[AugmentParams, object, object]:
        """The pair's params and its two decoded images (PIL), before augmentation."""
        real = self.reals.read(self.reals.records[i])
        fake = self.fakes.read(self.fakes.records[i])
        if real.size != fake.size:
            raise FakebenchError(f"reconstruction {self.fakes.records[i].image_id} is {fake.size}, its real "
                                 f"{real.size}", fix="rebuild the reconstructions (they are cropped back to the "
                                                     "real's size)")
        return self.params(i, real.size), real, fake

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        params, real, fake = self.pair(i)
        return (torch.stack([pil_to_tensor(apply(real, params)), pil_to_tensor(apply(fake, params))]),
                torch.tensor([0.0, 1.0]))


def pair_collate(batch: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of pairs as one batch of images: real, its reconstruction, next real, ..."""
    return torch.cat([x for x, _ in batch]), torch.cat([y for _, y in batch])


def prepared(data: TrainingData, policy: InputPolicy) -> TrainingData:
    """The training sets as the detector takes its images (`InputPolicy.prepare`): with a JPEG input, each
    set re-encoded once and kept (`reencoded`, the same bits as preparing every image at every epoch, at
    the cost of one pass). The validation sets stay as stored: scoring prepares them, as it prepares every
    image it scores."""
    if policy.jpeg is None:
        return data
    return replace(data, real=reencoded(data.real, policy.jpeg), fake=reencoded(data.fake, policy.jpeg))


def training_samples(data: TrainingData, cfg: AugmentConfig, seed: int) -> LabeledImages | PairedImages:
    return (PairedImages(data.real, data.fake, cfg, seed) if data.paired
            else LabeledImages([data.real, data.fake], cfg, seed))


def training_loader(data: TrainingData, cfg: AugmentConfig, seed: int, batch_size: int, world: int = 1,
                    rank: int = 0, num_workers: int = 0, shuffle: bool = True, drop_last: bool = True,
                    policy: InputPolicy = AS_DECODED) -> tuple[LabeledImages | PairedImages, DistributedSampler,
                                                               DataLoader]:
    """Dataset, sampler (seeded per epoch with `set_epoch`) and loader of one process's share of each
    global batch of `batch_size` images; with pairs every process takes whole pairs. `policy`: the
    detector's input policy, whose `prepare` every training image passes before its augmentation
    (`prepared`)."""
    per_item = 2 if data.paired else 1
    if batch_size % (world * per_item):
        what = "pairs of a synced batch" if data.paired else "images of a batch"
        raise FakebenchError(f"batch size {batch_size} does not split into the {what} over {world} processes",
                             fix=f"use a multiple of {world * per_item}")
    dataset = training_samples(prepared(data, policy), cfg, seed)
    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=shuffle, seed=seed,
                                 drop_last=drop_last)
    loader = DataLoader(dataset, batch_size=batch_size // world // per_item, sampler=sampler,
                        num_workers=num_workers, drop_last=drop_last, persistent_workers=False,
                        collate_fn=pair_collate if data.paired else None)
    return dataset, sampler, loader
