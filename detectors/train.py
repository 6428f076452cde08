"""Training a detector by a recipe, in one import: the public names of the modules that do it.

- recipes (`detectors.recipes`): which sets a detector learns from (baseline, aligned, aligned-sync);
- augmentations (`detectors.augment`) and batches (`detectors.batches`, synced pairs);
- the loop and its schedules (`detectors.training_loop`), validation (`detectors.validation`);
- the spec (`detectors.spec`) and the checkpoint cache (`detectors.trained`), ImageNet initialisation
  (`detectors.imagenet`).
"""
from __future__ import annotations

from detectors.augment import PRESETS, AugmentConfig, augment_preset
from detectors.batches import LabeledImages, PairedImages
from detectors.imagenet import imagenet_weights, init_pretrained
from detectors.recipes import RECIPES, TrainingData, corpus_reals, holdout_split, training_data
from detectors.spec import DetectorSpec, is_trainable
from detectors.trained import load_trained, trained_detector
from detectors.training_loop import TrainConfig, fit_network, train_config
from detectors.validation import validate

__all__ = ["PRESETS", "RECIPES", "AugmentConfig", "DetectorSpec", "LabeledImages", "PairedImages", "TrainConfig",
           "TrainingData", "augment_preset", "corpus_reals", "fit_network", "holdout_split", "imagenet_weights",
           "init_pretrained", "is_trainable", "load_trained", "train_config", "trained_detector", "training_data",
           "validate"]
