"""Robustness plots of a leaderboard, rendered to PNG bytes (matplotlib, no display needed)."""
from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from fakebench.evaluation.claims import ClaimContext  # noqa: E402
from fakebench.evaluation.metrics import CALIBRATION_FPR  # noqa: E402
from fakebench.evaluation.perturbations import CLEAN, sweep_value  # noqa: E402
from fakebench.evaluation.store import TEST_SPLIT  # noqa: E402
from fakebench.leaderboard.summary import recipe_columns  # noqa: E402

# perturbation name -> (title, x-axis label, the x of the clean images, log x axis)
PLOTS_SCHEMA = 1  # bumped when a change here redraws a plot: cached plots (leaderboard.reports) are redrawn
SWEEPS = {
    "resize": ("balanced accuracy vs resize scale", "scale factor", 1.0, True),
    "jpeg": ("balanced accuracy vs JPEG quality", "JPEG quality (100 = clean)", 100.0, False),
    "webp": ("balanced accuracy vs WebP quality", "WebP quality (100 = clean)", 100.0, False),
}


def sweep_x(perturbation: str, sweep: str) -> float | None:
    """The x of a perturbation id on a sweep: the sweep's clean x for the clean images, its number for a
    one-step id of that perturbation (the id grammar's `sweep_value`), None otherwise."""
    return SWEEPS[sweep][2] if perturbation == CLEAN else sweep_value(perturbation, sweep)


def sweep_points(board: pd.DataFrame, sweep: str) -> pd.DataFrame:
    """Rows of one sweep with their x value; the clean case sits at the sweep's clean x."""
    points = board.assign(x=board["perturbation"].map(lambda p: sweep_x(p, sweep))).dropna(subset=["x"])
    return points.groupby(["generator", "detector", "x"], as_index=False)["bal_acc"].mean()


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def sweep_plot(board: pd.DataFrame, sweep: str) -> bytes | None:
    """One panel per generator, one line per detector, for the (generator, detector) pairs scored under
    this sweep beyond the clean case; None when there are none (no single clean points drawn)."""
    title, xlabel, clean_x, logx = SWEEPS[sweep]
    points = sweep_points(board, sweep)
    swept = points[points["x"] != clean_x][["generator", "detector"]].drop_duplicates()
    points = points.merge(swept, on=["generator", "detector"])
    if points.empty:
        return None
    generators = sorted(points["generator"].unique())
    fig, axes = plt.subplots(1, len(generators), figsize=(4.2 * len(generators), 3.4), squeeze=False, sharey=True)
    for ax, generator in zip(axes[0], generators):
        for detector, line in points[points["generator"] == generator].groupby("detector"):
            line = line.sort_values("x")
            ax.plot(line["x"], line["bal_acc"], marker="o", label=detector)
        ax.axhline(0.5, color="grey", lw=0.8, ls=":")
        ax.set_title(generator)
        ax.set_xlabel(xlabel)
        ax.set_ylim(0.0, 1.02)
        if logx:
            ax.set_xscale("log", base=2)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("balanced accuracy")
    fig.suptitle(title)
    fig.tight_layout()
    _figure_legend(fig, axes[0])
    return _png(fig)


def _figure_legend(fig, axes) -> None:
    """One legend under the panels for every line any panel draws (panels may draw different ones)."""
    handles: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    fig.legend(list(handles.values()), list(handles), loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=min(4, len(handles)), fontsize=8, frameon=False)


def probability_points(scores: pd.DataFrame, detectors: list[str], generator: str) -> pd.DataFrame:
    """Mean fake probability per detector, resize scale and class: fakes of `generator`, and the reals
    (the same reals are scored in every generator's case: each image counts once per scale)."""
    test = scores[(scores["split"] == TEST_SPLIT) & (scores["error"] == "") & scores["detector"].isin(detectors)]
    test = test.assign(x=test["perturbation"].map(lambda p: sweep_x(p, "resize"))).dropna(subset=["x"])
    reals = test[test["label"] == 0].drop_duplicates(["detector", "seed", "x", "image_id"]).assign(kind="reals")
    fakes = test[(test["label"] == 1) & (test["generator"] == generator)].assign(kind=f"fakes ({generator})")
    return pd.concat([reals, fakes]).groupby(["detector", "kind", "x"], as_index=False)["score"].mean()


def resize_probability_plot(scores: pd.DataFrame, recipes: list[tuple[str, str]], generator: str) -> bytes | None:
    """The paper's resize sweep (the picture of C2): one panel per recipe, side by side, the mean fake
    probability of fakes and of reals against the scale factor. `recipes`: (header, detector label);
    only recipes scored at some scale other than 1 get a panel; None when none is."""
    points = probability_points(scores, [label for _, label in recipes], generator)
    swept = set(points.loc[points["x"] != SWEEPS["resize"][2], "detector"])
    shown = [(header, label) for header, label in recipes if label in swept]
    if not shown:
        return None
    fig, axes = plt.subplots(1, len(shown), figsize=(4.0 * len(shown), 3.4), squeeze=False, sharey=True)
    for ax, (header, label) in zip(axes[0], shown):
        for kind, line in points[points["detector"] == label].groupby("kind"):
            line = line.sort_values("x")
            ax.plot(line["x"], line["score"], marker="o", label=kind,
                    color="tab:red" if kind.startswith("fakes") else "tab:blue")
        ax.axhline(0.5, color="grey", lw=0.8, ls=":")
        ax.set_title(f"{header} ({label})", fontsize=9)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("resize scale factor (1 = clean)")
        ax.set_ylim(0.0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("mean fake probability")
    fig.suptitle("fake probability against resize scale, by training recipe")
    fig.tight_layout()
    return _png(fig)


def real_fpr_plot(board: pd.DataFrame, target: float = CALIBRATION_FPR) -> bytes | None:
    """Real FPR at the calibrated threshold per perturbation and detector. Reals do not depend on the
    generator, so each (detector, perturbation) is one bar."""
    data = board.dropna(subset=["real_fpr_cal"])
    if data.empty:
        return None
    table = data.pivot_table(index="perturbation", columns="detector", values="real_fpr_cal", aggfunc="mean")
    table = table.reindex(list(dict.fromkeys(data["perturbation"])))  # the board's (grid) order
    fig, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(table) + 2), 3.6))
    table.plot.bar(ax=ax, width=0.8)
    ax.axhline(target, color="black", lw=0.8, ls="--", label=f"calibrated FPR ({target:.0%})")
    ax.set_ylabel("real FPR at calibrated threshold")
    ax.set_xlabel("")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title("reals flagged as fake under each perturbation")
    ax.set_xlabel("perturbation")
    return _png(fig)


def claims_plot(results) -> bytes | None:
    """One small panel per claim: our value with its 95% interval against the claim's margin."""
    shown = [r for r in results if r.verdict != "no data"]
    if not shown:
        return None
    fig, axes = plt.subplots(1, len(shown), figsize=(2.3 * len(shown), 2.8), squeeze=False)
    for ax, r in zip(axes[0], shown):
        err = None if math.isnan(r.lo) else [[r.value - r.lo], [r.hi - r.value]]
        colour = "tab:green" if r.outcome in ("holds", "limit shown") else "tab:red"
        colour = colour if r.judged else "tab:gray"  # indicative: fewer training seeds than a verdict needs
        ax.errorbar([0], [r.value], yerr=err, fmt="o", color=colour, capsize=6)
        ax.axhline(r.margin, color="black", ls="--", lw=0.8)
        ax.set_xticks([])
        ax.set_title(f"{r.id}: {r.outcome}" + ("" if r.judged else "\n(indicative)"), fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("our value, 95% interval (--: margin)")
    fig.suptitle("claims: our value against each margin (grey: indicative)")
    fig.tight_layout()
    return _png(fig)


def all_plots(board: pd.DataFrame, scores: pd.DataFrame | None = None,
              roles: ClaimContext | None = None) -> dict[str, bytes]:
    """Every plot the run has data for, by name (fakebench.leaderboard.html titles and captions them);
    the resize sweep by recipe needs the per-image `scores` and the paper detector's `roles`."""
    plots: dict[str, bytes | None] = {}
    if scores is not None and roles is not None:
        plots["resize_probability"] = resize_probability_plot(scores, recipe_columns(roles), roles.trained_on)
    plots.update({name: sweep_plot(board, name) for name in SWEEPS})
    plots["real_fpr"] = real_fpr_plot(board)
    return {name: png for name, png in plots.items() if png is not None}
