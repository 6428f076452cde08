"""Small in-process plugins that misbehave the ways research code does, installed as a package would
be (a module and a .dist-info on sys.path), for the run-time contract tests (issue 28).

Detectors: `contract-good` and one per misbehaviour of its score() (short batch, long batch, NaN, inf,
out of range, wrong dtype, 2-D output, exception on some batches, exception on every batch), plus
`contract-logit`, which declares logits. Generators: a good reconstruct-and-generate plugin and one per
misbehaviour of its output."""
from __future__ import annotations

import textwrap
from pathlib import Path

from tests.installed_plugins import activate, install_dist

MODULE = "fakebench_contract_plugins"

SOURCE = '''
    import torch

    from fakebench.detectors import InputPolicy
    from fakebench.generators.base import GeneratorInfo


    def good(images):
        """A deterministic score in (0, 1): brightness through a sigmoid."""
        return torch.sigmoid(8 * (images.mean(dim=(1, 2, 3)) - 0.5))


    class Good:
        name, policy = "contract-good", InputPolicy("center_crop", size=32)

        def score(self, images):
            return good(images)


    def _misbehaving(name, fn, **extra):
        return type(name, (Good,), {"name": f"contract-{name}", "score": lambda self, x: fn(x), **extra})


    def _first(value):
        def fn(x):
            s = good(x).clone()
            s[0] = value
            return s
        return fn


    def _raise_on_batches(x):
        if len(x) > 2:
            raise RuntimeError("batch too big for this detector\\nsecond line never shown")
        return good(x)


    def _raise(x):
        raise ValueError("weights not found")


    Short = _misbehaving("short", lambda x: good(x)[:-1])
    Long = _misbehaving("long", lambda x: torch.cat([good(x), good(x[:1])]))
    NaN = _misbehaving("nan", _first(float("nan")))
    Inf = _misbehaving("inf", _first(float("inf")))
    Range = _misbehaving("range", _first(1.7))
    Dtype = _misbehaving("dtype", lambda x: (good(x) * 100).long())
    TwoD = _misbehaving("twod", lambda x: torch.stack([1 - good(x), good(x)], dim=1))
    RaiseSome = _misbehaving("raisesome", _raise_on_batches)
    RaiseAll = _misbehaving("raiseall", _raise)
    Logit = _misbehaving("logit", lambda x: torch.logit(good(x).double()), score_kind="logit")


    class GoodGenerator:
        """Reconstructs by a slight blur of brightness, generates flat grey-ish images per index."""
        info = GeneratorInfo("contract-gen-good", family="test", autoencoder="contract", denoiser="none",
                             resolution=32)
        fingerprint = "contract-gen-good-v1"

        def __init__(self, device="cpu", **kwargs):
            pass

        def reconstruct(self, images):
            return (images * 0.9 + 0.05).float()

        def generate_indices(self, seed, indices):
            g = torch.Generator().manual_seed(seed)
            base = torch.rand(max(indices) + 1, 3, 32, 32, generator=g)
            return base[list(indices)]


    def _generator(name, reconstruct=None, generate=None):
        info = GeneratorInfo(f"contract-gen-{name}", family="test", autoencoder="contract", denoiser="none",
                             resolution=32)
        body = {"info": info, "fingerprint": f"contract-gen-{name}-v1", "__init__": GoodGenerator.__init__}
        if reconstruct:
            body["reconstruct"] = lambda self, x: reconstruct(GoodGenerator.reconstruct(self, x), x)
        if generate:
            body["generate_indices"] = lambda self, seed, idx: generate(GoodGenerator.generate_indices(self, seed, idx))
        return type(name, (), body)


    def _nan_first(y, x=None):
        y = y.clone()
        y[0, 0, 0, 0] = float("nan")
        return y


    def _boom(y, x=None):
        raise RuntimeError("decoder exploded")


    def _boom_pairs(y, x=None):
        if len(y) == 2:
            raise RuntimeError("decoder exploded on a pair")
        return y


    MISBEHAVIOURS = {
        "short": lambda y, x=None: y[:-1],
        "long": lambda y, x=None: torch.cat([y, y[:1]]),
        "nan": _nan_first,
        "inf": lambda y, x=None: torch.where(torch.arange(len(y)).view(-1, 1, 1, 1) == 0, float("inf"), y),
        "range": lambda y, x=None: y * 2 - 1,
        "dtype": lambda y, x=None: (y * 255).to(torch.uint8),
        "shape": lambda y, x=None: y.permute(0, 2, 3, 1),
        "raisesome": _boom_pairs,
        "raiseall": _boom,
    }
    RECONSTRUCTORS = {k: _generator(f"r-{k}", reconstruct=f) for k, f in MISBEHAVIOURS.items()}
    GENERATORS = {k: _generator(f"g-{k}", generate=f) for k, f in MISBEHAVIOURS.items()}
    for _k in MISBEHAVIOURS:  # entry points name module attributes
        globals()[f"R_{_k}"], globals()[f"G_{_k}"] = RECONSTRUCTORS[_k], GENERATORS[_k]
'''

DETECTORS = {"good": "Good", "short": "Short", "long": "Long", "nan": "NaN", "inf": "Inf", "range": "Range",
             "dtype": "Dtype", "twod": "TwoD", "raisesome": "RaiseSome", "raiseall": "RaiseAll", "logit": "Logit"}
MISBEHAVIOURS = ("short", "long", "nan", "inf", "range", "dtype", "shape", "raisesome", "raiseall")


def install(site: Path, monkeypatch) -> None:
    """Write the plugin module and its distribution into `site` and make the registries see it."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{MODULE}.py").write_text(textwrap.dedent(SOURCE))
    generators = {"contract-gen-good": f"{MODULE}:GoodGenerator"}
    for k in MISBEHAVIOURS:
        generators.update({f"contract-gen-r-{k}": f"{MODULE}:R_{k}", f"contract-gen-g-{k}": f"{MODULE}:G_{k}"})
    install_dist(site, "fakebench-contract-plugins", "0.1.0",
                 {"fakebench.detectors": {f"contract-{k}": f"{MODULE}:{v}" for k, v in DETECTORS.items()},
                  "fakebench.generators": generators})
    activate(monkeypatch, site)
