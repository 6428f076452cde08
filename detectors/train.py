"""Training a detector by a recipe, in one import: the public names of the modules that do it.

- recipes (`fakebench.detectors.recipes`): which sets a detector learns from (baseline, aligned, aligned-sync);
- augmentations (`fakebench.detectors.augment`) and batches (`fakebench.detectors.batches`, synced pairs);
- the loop and its schedules (`fakebench.detectors.training_loop`), validation (`fakebench.detectors.validation`);
- the spec (`fakebench.detectors.spec`) and the checkpoint cache (`fakebench.detectors.trained`), ImageNet
  initialisation
  (`fakebench.detectors.imagenet`).
"""
from __future__ import annotations

from fakebench.data.reals import corpus_reals, holdout_split
from fakebench.detectors.augment import PRESETS, AugmentConfig, augment_preset
from fakebench.detectors.batches import LabeledImages, PairedImages
from fakebench.detectors.imagenet import imagenet_weights, init_pretrained
from fakebench.detectors.recipes import RECIPES, TrainingData, training_data
from fakebench.detectors.spec import DetectorSpec, is_trainable
from fakebench.detectors.trained import load_trained, trained_detector
from fakebench.detectors.training_loop import TrainConfig, fit_network, train_config
from fakebench.detectors.validation import validate

__all__ = ["PRESETS", "RECIPES", "AugmentConfig", "DetectorSpec", "LabeledImages", "PairedImages", "TrainConfig",
           "TrainingData", "augment_preset", "corpus_reals", "fit_network", "holdout_split", "imagenet_weights",
           "init_pretrained", "is_trainable", "load_trained", "train_config", "trained_detector", "training_data",
           "validate"]
