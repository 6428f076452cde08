"""`--data` sources by prefix: `folder:PATH` (image folders, CSV manifests) and `hf:` (Hugging Face
datasets, see `fakebench.data.hf_datasets`); both give a `LabelledDataset` of real and fake image sets."""
from __future__ import annotations

from fakebench.data.folders import LabelledDataset, load_folder_dataset

SOURCE_HELP = ("folder:PATH (real/ + fake/, 0_real/1_fake, GenImage, or a CSV manifest), hf:OWNER/NAME[:SPLIT] "
               "(local Hugging Face cache) or hf:PATH[:SPLIT] (save_to_disk folder); hf columns by query: "
               "?image=COL&label=COL&generator=COL")


def load_data_source(spec: str, name: str | None = None) -> LabelledDataset:
    """The dataset a `--data` spec names; `hf:` imports the optional `datasets` library only when used."""
    if str(spec).startswith("hf:"):
        from fakebench.data.hf_datasets import load_hf_dataset

        return load_hf_dataset(spec, name)
    return load_folder_dataset(spec, name)
