"""Image sets a generator makes: fresh generations and aligned reconstructions (every real through the
generator's autoencoder), on disk like any `fakebench.data.imagesets.ImageSet`, cached, resumable, and
sharded across ranks under torchrun."""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import torch
from tqdm.auto import tqdm

from fakebench.core import distributed
from fakebench.core.cache import artifact_dir, bytes_sha256, stable_hash
from fakebench.core.devices import run_in_batches
from fakebench.core.pixels import pil_to_uint8, uint8_to_float
from fakebench.core.pngwriter import PngWriter
from fakebench.core.workunits import default_workers, size_batches, unit_loader
from fakebench.data.imagesets import FAKE, RECON_SUFFIX, ImageRecord, ImageSet, image_size, own_share
from fakebench.generators.base import Generator
from fakebench.generators.output_contract import checked_images

log = logging.getLogger(__name__)


def generated_set(generator: Generator, n: int, seed: int, batch_size: int = 32) -> ImageSet:
    """n fresh fakes from `generator` (PNG at its native size), seeded per image; under torchrun each
    rank generates its own batches."""
    name = generator.info.name
    key = stable_hash("generated", name, generator.fingerprint, n, seed)
    root = artifact_dir("imagesets", f"gen-{name}-s{seed}-{key}")
    cached = ImageSet.load(root)
    if cached is not None:
        return cached
    ids = [f"{name}-s{seed}-{i:05d}" for i in range(n)]
    files = [f"images/{image_id}.png" for image_id in ids]
    units = distributed.shard([range(s, min(n, s + batch_size)) for s in range(0, n, batch_size)])
    failed: dict[str, str] = {}
    with own_share(root, f"fakes of {name}"):
        todo = [idx for _, idx in units if not all((root / files[i]).is_file() for i in idx)]
        with PngWriter() as writer:
            for idx in tqdm(todo, desc=f"generate {name}", unit="batch", leave=False, delay=0.5):
                images, bad = checked_images(lambda idx=idx: generator.generate_indices(seed, idx), len(idx),
                                             f"{name} generate()")
                failed.update({ids[idx[j]]: why for j, why in bad.items()})
                keep = [j for j in range(len(idx)) if j not in bad]
                if keep:
                    writer.submit_batch([root / files[idx[j]] for j in keep], images if not bad else images[keep])
    failed = distributed.gather_merged(failed)
    records = []
    for image_id, f in zip(ids, files):
        if image_id in failed:  # no file: the record stays, so scoring counts it as failed with its reason
            records.append(ImageRecord(image_id, f, "", 0, 0))
            continue
        data = (root / f).read_bytes()
        w, h = image_size(data)
        records.append(ImageRecord(image_id, f, bytes_sha256(data), w, h))
    imageset = ImageSet(f"gen-{name}-s{seed}", key, FAKE, root, records, failed)
    _save_unless_failed(imageset, failed, root, f"generator {name}", n)
    return imageset


def _save_unless_failed(imageset: ImageSet, failed: dict[str, str], manifest_dir: Path, who: str, given: int) -> None:
    """Write the manifest (rank 0) unless images `failed` in this build: a set with such failures is
    never cached, so the next run asks the generator again for the missing images."""
    if failed:
        from collections import Counter

        commonest = Counter(failed.values()).most_common(1)[0][0]
        log.warning("%s failed %d of %d images of %s (commonest: %s); the set is not cached", who,
                    len(failed), given, imageset.name, commonest)
    elif distributed.current().is_main:
        imageset.save(manifest_dir)
    distributed.barrier()


class DecodedImage:
    """Position in `records` -> the image as uint8 H x W x 3 (verified against its sha256);
    picklable, for DataLoader workers."""

    def __init__(self, imageset: ImageSet, records: list[ImageRecord]) -> None:
        self.imageset, self.records = imageset, records

    def __call__(self, pos: int) -> torch.Tensor:
        return pil_to_uint8(self.imageset.read(self.records[pos]))


def reconstruct_into(generator: Generator, source: ImageSet, target: Callable[[ImageRecord], Path],
                     batch_size: int = 16, desc: str = "reconstruct") -> dict[str, str]:
    """Write the reconstruction of every usable record of `source` to `target(record)` (PNG, atomic),
    skipping those already written; returns image_id -> reason for the images that failed.

    Images are batched only with others of exactly the same size, in a fixed order, so an output
    never depends on its batch; under torchrun each rank reconstructs its own batches."""
    # units come from every usable record, never from what happens to be missing now: ranks look at
    # the disk at different moments, and must still agree on the units
    usable = [r for r in source.records if r.image_id not in source.failed]
    units = [u for _, u in distributed.shard(size_batches(usable, lambda r: (r.height, r.width), batch_size))]
    units = [u for u in units if not all(target(usable[p]).is_file() for p in u)]
    failed: dict[str, str] = {}
    bar = tqdm(total=sum(len(u) for u in units), desc=desc, leave=False, delay=0.5)
    device = torch.device(generator.device)
    with PngWriter() as writer:
        for unit in unit_loader(units, DecodedImage(source, usable), default_workers(),
                                pin_memory=device.type == "cuda"):
            failed.update({usable[pos].image_id: err for pos, err in unit.failed})
            for positions, pixels in unit.batches:  # one batch per decoded size (it can differ from the header's)
                x = uint8_to_float(pixels, device)
                out, bad = checked_images(
                    lambda x=x: run_in_batches(lambda a, b: generator.reconstruct(x[a:b]), len(x), len(x),
                                               what=f"reconstruction with {generator.info.name}"),
                    len(x), f"{generator.info.name} reconstruct()", shape=tuple(x.shape))
                failed.update({usable[positions[j]].image_id: why for j, why in bad.items()})
                keep = [j for j in range(len(x)) if j not in bad]
                if keep:
                    writer.submit_batch([target(usable[positions[j]]) for j in keep], out if not bad else out[keep])
            bar.update(len(unit))
    bar.close()
    return distributed.gather_merged(failed)


def reconstructed_set(generator: Generator, source: ImageSet) -> ImageSet:
    """Aligned fakes: every usable image of `source` through the generator's autoencoder, same size, PNG.

    Reconstructions are cached per image by (autoencoder, input bytes), so generators that share an
    autoencoder, and sets that share images, reuse them. Images that fail (undecodable, too small)
    are left out and listed in the set's `failed`, with their reason."""
    ae = generator.reconstruction_fingerprint
    key = stable_hash("reconstructed", ae, source.key)
    manifest_dir = artifact_dir("imagesets", f"recon-{generator.info.name}-{source.name}-{key}")
    cached = ImageSet.load(manifest_dir)
    if cached is not None:
        return cached
    cache_root = artifact_dir("reconstructions", ae)
    with own_share(manifest_dir, f"reconstructions of {source.name}"):
        failed = reconstruct_into(generator, source, lambda r: cache_root / f"{r.sha256}.png",
                                  desc=f"reconstruct {source.name} with {generator.info.name}")
    distributed.barrier()
    records = []
    for rec in source.records:
        if rec.image_id in source.failed:
            continue
        if rec.image_id in failed:  # kept as a failed record, so scoring counts it with its reason
            records.append(ImageRecord(f"{rec.image_id}{RECON_SUFFIX}", "", "", rec.width, rec.height))
            continue
        data = (cache_root / f"{rec.sha256}.png").read_bytes()
        records.append(ImageRecord(f"{rec.image_id}{RECON_SUFFIX}", f"{rec.sha256}.png", bytes_sha256(data),
                                   rec.width, rec.height))
    # `failed` names the source images left out, so training drops their reals too, and the failed
    # reconstructions' own records (`<id>-recon`), so scoring fails them
    imageset = ImageSet(f"recon-{generator.info.name}-{source.name}", key, FAKE, cache_root, records,
                        {**source.failed, **failed, **{f"{i}{RECON_SUFFIX}": why for i, why in failed.items()}})
    _save_unless_failed(imageset, failed, manifest_dir, f"generator {generator.info.name}",
                        len(source.records) - len(source.failed))
    return imageset
