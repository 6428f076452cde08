"""Which photos an img2img sample may start from, and its start crop: a pure function of (seed, index).

A fake started from a photo carries that photo's content, so it belongs to that photo's split. The
benchmark draws its fakes by seed range (`fakebench.benchmark.session.TEST_FAKE_SEED`: test fakes use
seeds 0.., the training recipes 10_000 + seed for training fakes and 20_000 + seed for validation
fakes, both set beside the training reals, which come from the train split). The rule below routes
those ranges to the train photos and every other seed to the test photos, so no test fake shares a
photo with a training real (the corpus keeps whole photos, scenes even, in one split). Start crops
are cut the corpus's way (`fakebench.data.corpus.crop_specs`: JPEG-stored, varied scale) at
the generators' one size.
"""
from __future__ import annotations

import hashlib
from functools import cache

from fakebench.data.corpus import CorpusConfig, CropSpec, crop_specs
from fakebench.generators.taef2ldm.architectures import IMAGE_SIDE

# the recipes' training fakes (10_000 + training seed) and their validation fakes (20_000 + training seed)
TRAINING_SEEDS = range(10_000, 30_000)
START_CROPS_PER_PHOTO = 80  # start crops per photo of a split; the denoisers train on the train split's


def start_split(seed: int) -> str:
    """The corpus split whose photos a sample of this seed starts from: "train" for the recipes' seed
    ranges, "test" for every other seed (the benchmark's test fakes among them)."""
    return "train" if seed in TRAINING_SEEDS else "test"


def start_corpus(seed: int = 0) -> CorpusConfig:
    """The corpus's crop rule at the generators' one size: every crop IMAGE_SIDE x IMAGE_SIDE."""
    n = START_CROPS_PER_PHOTO
    return CorpusConfig(seed=seed, crops_per_photo={"train": n, "val": n, "test": n},
                        min_side=IMAGE_SIDE, max_side=IMAGE_SIDE)


@cache
def start_crops(split: str) -> tuple[CropSpec, ...]:
    """Every crop a sample whose seed maps to `split` may start from."""
    return tuple(crop_specs(split, start_corpus()))


def start_crop(seed: int, index: int) -> CropSpec:
    """Image `index` of the `seed` stream starts from this crop (hash-drawn, so independent of batching)."""
    crops = start_crops(start_split(seed))
    draw = int.from_bytes(hashlib.sha256(f"start:{seed}:{index}".encode()).digest()[:8], "big")
    return crops[draw % len(crops)]
