"""`fakebench list ...`: registered detectors, generators, perturbations and the built-in worlds."""
from __future__ import annotations

import argparse


def describe(factory) -> str:
    return ((factory.__doc__ or "").strip().splitlines() or [""])[0]


def policy_text(policy) -> str:
    """An input policy as the listing writes it (`fakebench.detectors.catalog` declares the built-ins' so)."""
    return (policy.mode + (f" {policy.size}" if policy.size else "") + f", min side {policy.min_side}"
            + (f", JPEG {policy.jpeg} first" if policy.jpeg is not None else ""))


def parameters_text(count: int | None) -> str:
    return f"{count / 1e6:.2f} M" if count is not None else "-"


def detector_rows(pattern: str | None) -> list[list]:
    """One row per detector: a built-in from its declared metadata (nothing built, no torch); a plugin,
    whose metadata only its product knows, built as it comes."""
    from fakebench.detectors import DETECTORS
    from fakebench.detectors.recipes import RECIPES

    rows = []
    for name in DETECTORS.names(pattern):
        info = DETECTORS.info(name)
        if info is not None:
            rows.append([name, DETECTORS.origin(name), ", ".join(RECIPES) if info.trainable else "no", info.policy,
                         parameters_text(info.parameters), info.description])
            continue
        from fakebench.detectors.trainable import Trainable

        try:
            det = DETECTORS.create(name)
        except Exception as exc:  # a plugin that cannot be built is listed with why, not fatal
            if name in DETECTORS:  # not left out (a product outside the protocol is): show why here
                rows.append([name, DETECTORS.origin(name), "?", "?", "?",
                             f"cannot be built: {type(exc).__name__}: {exc}"])
            continue
        rows.append([name, DETECTORS.origin(name), ", ".join(RECIPES) if isinstance(det, Trainable) else "no",
                     policy_text(det.policy), parameters_text(det.parameter_count()),
                     describe(DETECTORS.factory(name))])
    return rows


def generator_rows(pattern: str | None) -> list[list]:
    """One row per generator: a built-in from its declared `GeneratorInfo` (nothing built, no torch); a
    plugin, whose metadata only its product knows, built as it comes."""
    from fakebench.generators import GENERATORS

    rows = []
    for name in GENERATORS.names(pattern):
        info = GENERATORS.info(name)
        if info is None:
            try:
                info = GENERATORS.create(name).info
            except Exception as exc:  # a plugin that cannot be built is listed with why, not fatal
                if name in GENERATORS:  # not left out (a product outside the protocol is): show why here
                    rows.append([name, GENERATORS.origin(name), "", "", "", f"cannot be built: {exc}"])
                continue
        rows.append([name, GENERATORS.origin(name), info.autoencoder, info.denoiser, info.resolution, info.family])
    return rows


def training_options() -> str:
    """What `fakebench train` (and a world's config) can choose besides the detector."""
    from fakebench.detectors.augment import PRESETS
    from fakebench.detectors.recipes import RECIPES
    from fakebench.detectors.train_config import SCHEDULE_DEFAULTS, train_config

    def probs(cfg) -> str:
        ops = [("resized crop", cfg.resized_crop_prob), ("jitter", cfg.jitter_prob), ("gray", cfg.grayscale_prob),
               ("cutout", cfg.cutout_prob), ("noise", cfg.noise_prob), ("blur", cfg.blur_prob),
               ("JPEG", cfg.jpeg_prob), ("WebP", cfg.webp_prob)]
        return ", ".join(f"{op} p {p:g}" for op, p in ops if p) + (", rot90" if cfg.rot90 else "") + \
            f", flip, crop {cfg.crop}"

    lines = [f"recipes (--recipe): {', '.join(RECIPES)}; reals (--real): a folder, procedural:N, corpus, "
             "photos:N, hf:NAME or a mixture ('corpus + procedural:700')"]
    lines += [f"augmentation preset {name} (--augment): {probs(cfg)}" for name, cfg in PRESETS.items()]
    for name in SCHEDULE_DEFAULTS:
        cfg = train_config(name)
        rule = ("Adam, lr / 10 after a plateau, early stop, best epoch kept" if name == "paper"
                else "AdamW, warm-up cosine")
        lines.append(f"schedule {name} (--schedule): {rule}; lr {cfg.lr:g}, weight decay {cfg.weight_decay:g}, "
                     f"epochs {cfg.epochs}")
    return "\n" + "\n".join(lines)


def cmd_list(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    if args.what == "generators":
        print(tabulate(generator_rows(args.pattern),
                       headers=["generator", "source", "autoencoder", "denoiser", "resolution", "family"]))
    elif args.what == "detectors":
        print(tabulate(detector_rows(args.pattern),
                       headers=["detector", "source", "recipes", "input policy", "parameters", "description"]))
        print(training_options())
    elif args.what == "worlds":
        from fakebench.benchmark.world_files import world_lines

        print("\n".join(world_lines(args.pattern)))
    else:
        from fakebench.evaluation.perturbations import PERTURBATIONS

        examples = {"identity": "identity", "resize": "resize0.5", "short": "short128", "jpeg": "jpeg75",
                    "webp": "webp50", "blur": "blur1"}
        print(tabulate([[n, PERTURBATIONS.origin(n), examples.get(n, n)] for n in PERTURBATIONS.names(args.pattern)],
                       headers=["perturbation", "source", "example id"]))
    print_left_out()
    return 0


def print_left_out() -> None:
    """Plugins that failed to load, to build or to meet their protocol: one line each, after the table."""
    from fakebench.core.registry import plugin_failures

    failures = plugin_failures()
    if failures:
        print("\nplugins left out:")
        for f in failures:
            print(f"  {f.line()}")
