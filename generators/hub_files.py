"""Where a real model's files are, and what to say when they are not: the source folder or Hugging
Face repo of a diffusers model, its autoencoder subfolder, the pipeline roots generation reads, and
the one-line errors (with the command that fetches the weights) for everything missing."""
from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fakebench.core.errors import FakebenchError, WeightsMissingError, first_line
from fakebench.data.hf_cache import hf_hub_cache
from fakebench.generators.autoencoders import AUTOENCODER_CLASSES
from fakebench.generators.hub_models import (
    GENERATION_EXCLUDE,
    GENERATION_INCLUDE,
    MODELS_DIR_ENV,
    HubModelSpec,
    ModelSource,
    download_command,
    weights_files,
)

log = logging.getLogger(__name__)


@dataclass
class ModelFiles:
    """The files of one model: `source` (its main repo or folder) and `connected` (other repos that
    generation needs: priors, super-resolution stages). Nothing is downloaded unless
    `local_files_only` is False."""

    spec: HubModelSpec
    source: ModelSource
    connected: Sequence[ModelSource] = field(default_factory=list)
    local_files_only: bool = True

    def require_autoencoder(self) -> None:
        if self.spec.pixel_space:
            raise FakebenchError(
                f"{self.spec.name} is a pixel-space model with no autoencoder: alignment by "
                "reconstruction does not apply to it",
                fix="train aligned detectors on a latent diffusion generator; use "
                    f"{self.spec.name} only as a source of generated fakes",
            )

    def check_folder(self, folder: Path) -> None:
        """A folder source must be a saved pipeline, or hold the autoencoder this model reconstructs with."""
        if (folder / "model_index.json").is_file() or self.autoencoder_dir(folder) is not None:
            return
        wanted = "model_index.json" + (f" or {self.spec.autoencoder_subfolder}/config.json"
                                       if not self.spec.pixel_space else "")
        raise FakebenchError(
            f"folder {str(folder)!r} is not a diffusers pipeline for {self.spec.name} (no {wanted})",
            fix=f"pass a folder written by {self.spec.pipeline_class}.save_pretrained, "
                f"or a Hugging Face repo id such as {self.spec.hub_id}",
        )

    def autoencoder_dir(self, root: Path) -> Path | None:
        """<root>/<subfolder> of a pipeline, or root itself when it is a bare autoencoder folder."""
        if self.spec.pixel_space:
            return None
        sub = root / self.spec.autoencoder_subfolder
        if (sub / "config.json").is_file():
            return sub
        config = root / "config.json"
        if config.is_file():
            try:
                cls = json.loads(config.read_text(encoding="utf-8")).get("_class_name")
            except (OSError, ValueError):
                return None
            if cls == AUTOENCODER_CLASSES[self.spec.autoencoder_kind]:
                return root
        return None

    def missing(self, purpose: str, repos: Sequence[str], detail: str = "") -> WeightsMissingError:
        if purpose == "reconstruction":
            sub = self.spec.autoencoder_subfolder
            cmd = download_command(repos[0], include=(f"{sub}/*",), exclude=())
        else:
            cmd = " && ".join(download_command(r) for r in repos)
        gated = (f"; the repo is gated: accept its licence at https://huggingface.co/{repos[0]} and run "
                 "`hf auth login` first" if self.spec.gated else "")
        what = "autoencoder" if purpose == "reconstruction" else "pipeline"
        message = (f"{self.spec.name}: the {what} weights ({', '.join(repos)}) are not in the Hugging Face "
                   f"cache {str(hf_hub_cache())!r} and downloads are off")
        if detail:
            message += f" ({detail})"
        return WeightsMissingError(
            message,
            fix=f"run `{cmd}`{gated}; or put a save_pretrained folder at ${MODELS_DIR_ENV}/{self.spec.name}; "
                "or pass local_files_only=False to download on first use",
        )

    def local_root(self, src: ModelSource, purpose: str) -> Path:
        """A local folder holding `src`'s files, fetching them first if downloads are allowed."""
        if src.kind == "folder":
            return Path(src.location)
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import (
            GatedRepoError,
            LocalEntryNotFoundError,
            RepositoryNotFoundError,
        )

        if purpose == "reconstruction":
            sub = self.spec.autoencoder_subfolder
            include, exclude = [f"{sub}/*.json", f"{sub}/*.safetensors"], None
        else:
            include, exclude = list(GENERATION_INCLUDE), list(GENERATION_EXCLUDE)
        try:
            if self.local_files_only:
                folder = snapshot_download(src.location, cache_dir=hf_hub_cache(), local_files_only=True)
            else:
                log.info("downloading %s (%s) into %s", src.location, purpose, hf_hub_cache())
                folder = snapshot_download(src.location, cache_dir=hf_hub_cache(), allow_patterns=include,
                                           ignore_patterns=exclude)
        except GatedRepoError:
            raise FakebenchError(f"{self.spec.name}: the repo {src.location!r} is gated",
                                 fix=f"accept its licence at https://huggingface.co/{src.location} and run "
                                     "`hf auth login`") from None
        except RepositoryNotFoundError:
            raise FakebenchError(f"{self.spec.name}: no Hugging Face repo {src.location!r} (or it is private)",
                                 fix=f"check the repo id; the default is {self.spec.hub_id}") from None
        except (LocalEntryNotFoundError, FileNotFoundError):
            repos = self.generation_repos() if purpose == "generation" else [src.location]
            detail = f"{src.location} is not cached" if len(repos) > 1 else ""
            raise self.missing(purpose, repos, detail) from None
        except OSError as exc:  # network errors (HfHubHTTPError is an OSError)
            raise FakebenchError(f"{self.spec.name}: cannot fetch {src.location!r}: {first_line(exc)}",
                                 fix="check the network, or download it beforehand with: "
                                     + download_command(src.location)) from None
        return Path(folder)

    def autoencoder_folder(self) -> Path:
        self.require_autoencoder()
        root = self.local_root(self.source, "reconstruction")
        folder = self.autoencoder_dir(root)
        if folder is None or not weights_files(folder):
            if self.source.kind == "hub":
                raise self.missing("reconstruction", [self.source.location], "partial download")
            raise FakebenchError(
                f"folder {str(root)!r} has no {self.spec.autoencoder_subfolder}/ autoencoder weights for "
                f"{self.spec.name}",
                fix=f"save the whole pipeline there with {self.spec.pipeline_class}.save_pretrained")
        return folder

    def generation_repos(self) -> list[str]:
        """Hub repos generation reads, main one first (what a missing-weights message lists)."""
        sources = [self.source, *self.connected]
        return list(dict.fromkeys(s.location for s in sources if s.kind == "hub"))

    def generation_root(self, src: ModelSource) -> Path:
        root = self.local_root(src, "generation")
        if not (root / "model_index.json").is_file():
            if src.kind == "hub":
                raise self.missing("generation", self.generation_repos(),
                                    f"{src.location} has no model_index.json: only part of it is cached")
            raise FakebenchError(f"folder {str(root)!r} holds no model_index.json, so {self.spec.name} "
                                 "cannot generate from it (it may hold only the autoencoder)",
                                 fix=f"save the whole pipeline with {self.spec.pipeline_class}.save_pretrained")
        return root

    def load_error(self, exc: BaseException, purpose: str) -> FakebenchError:
        detail = first_line(exc)
        if self.source.kind == "hub" and self.local_files_only and isinstance(exc, OSError):
            repos = self.generation_repos() if purpose == "generation" else [self.source.location]
            return self.missing(purpose, repos, detail)
        return FakebenchError(f"cannot load {self.spec.name} for {purpose} from {self.source.describe()}: {detail}",
                              fix="check that the folder was written by save_pretrained for "
                                  f"{self.spec.pipeline_class} and is complete")

    def generation_roots(self) -> list[Path]:
        return [self.generation_root(self.source)] + [self.generation_root(s) for s in self.connected]
