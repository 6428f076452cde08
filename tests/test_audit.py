"""`fakebench audit`: shortcut AUC from file headers, on sets these tests build (format-only difference,
identical metadata, unreadable files, known JPEG qualities, folder vs hf, reconstruct outputs)."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fakebench.audit.headers import estimate_jpeg_quality, read_header
from fakebench.audit.report import audit_record, terminal_table
from fakebench.audit.shortcut import audit_source
from fakebench.audit.sources import resolve_source
from fakebench.benchmark.training_audit import resolve_audit_source
from fakebench.cli import main
from fakebench.core.errors import FakebenchError


def _image(rng: np.random.Generator, size: tuple[int, int]) -> Image.Image:
    """Smooth random content (a small noise field upscaled), so JPEG sizes vary as photos' do."""
    w, h = size
    small = (rng.random((max(2, h // 8), max(2, w // 8), 3)) * 255).astype(np.uint8)
    return Image.fromarray(small).resize((w, h), Image.Resampling.BILINEAR)


def _encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _sizes(rng: np.random.Generator, n: int) -> list[tuple[int, int]]:
    return [(int(w), int(h)) for w, h in rng.integers(40, 120, size=(n, 2))]


def _write_set(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def _format_only(n: int = 60, seed: int = 0) -> dict[str, bytes]:
    """Reals JPEG, fakes PNG; the same size distribution and the same kind of content."""
    rng = np.random.default_rng(seed)
    files = {}
    for i, size in enumerate(_sizes(rng, n)):
        files[f"real/{i:03d}.jpg"] = _encode(_image(rng, size), "JPEG", quality=90)
    for i, size in enumerate(_sizes(rng, n)):
        files[f"fake/{i:03d}.png"] = _encode(_image(rng, size), "PNG")
    return files


def _same_metadata(n: int = 80, seed: int = 1) -> dict[str, bytes]:
    """Both classes drawn from one distribution: JPEG quality 85 or 95, varied sizes, alike content."""
    rng = np.random.default_rng(seed)
    files = {}
    for label in ("real", "fake"):
        for i, size in enumerate(_sizes(rng, n)):
            files[f"{label}/{i:03d}.jpg"] = _encode(_image(rng, size), "JPEG", quality=int(rng.choice([85, 95])))
    return files


def test_classes_differing_only_by_format_score_one_and_name_format(tmp_path):
    result = audit_source(resolve_source(f"folder:{_write_set(tmp_path / 'ds', _format_only())}"))
    assert result.shortcut.auc > 0.95 and result.shortcut.lo > 0.9
    assert result.shortcut.leading == "format"
    families = dict(result.shortcut.families)
    assert families["size"] < 0.75  # sizes come from one distribution: no cue there
    assert result.classes["real"]["format"] == {"JPEG": 1.0} and result.classes["fake"]["format"] == {"PNG": 1.0}
    assert result.n_real == result.n_fake == 60 and result.n_unreadable == 0 and not result.notes


def test_identical_metadata_scores_near_one_half(tmp_path):
    result = audit_source(resolve_source(str(_write_set(tmp_path / 'ds', _same_metadata()))))
    s = result.shortcut
    assert s.lo <= 0.5 <= s.hi and abs(s.auc - 0.5) < 0.15, s
    assert s.leading == "none" and "none" in terminal_table([result])


def test_a_fixed_generator_size_is_named(tmp_path):
    """GenImage's second bias: fakes at one size, reals of every size (both JPEG at one quality)."""
    rng = np.random.default_rng(2)
    files = {f"real/{i}.jpg": _encode(_image(rng, s), "JPEG", quality=90) for i, s in enumerate(_sizes(rng, 40))}
    files |= {f"fake/{i}.jpg": _encode(_image(rng, (64, 64)), "JPEG", quality=90) for i in range(40)}
    result = audit_source(resolve_source(str(_write_set(tmp_path / "ds", files))))
    assert result.shortcut.leading == "size" and result.shortcut.auc > 0.95
    assert result.classes["fake"]["most_common_size"] == "64x64"
    assert result.classes["fake"]["most_common_size_share"] == 1.0 and result.classes["real"]["distinct_sizes"] > 30


def test_unreadable_and_truncated_files_are_counted_and_listed_never_dropped(tmp_path):
    files = _format_only(n=30)
    good = files["real/000.jpg"]
    files |= {"real/truncated.jpg": good[: len(good) // 2], "real/text.jpg": b"<html>not found</html>",
              "fake/empty.png": b"", "fake/cut.png": files["fake/000.png"][:-20]}
    result = audit_source(resolve_source(str(_write_set(tmp_path / "ds", files))))
    assert (result.n_real, result.n_fake, result.n_unreadable) == (32, 32, 4)
    reasons = {u["file"]: u["reason"] for u in result.unreadable}
    assert set(reasons) == {"real/truncated.jpg", "real/text.jpg", "fake/empty.png", "fake/cut.png"}
    assert "truncated" in reasons["real/truncated.jpg"] and "truncated" in reasons["fake/cut.png"]
    assert "empty" in reasons["fake/empty.png"] and "identify" in reasons["real/text.jpg"]
    assert result.classes["real"]["unreadable"] == 2 and result.classes["real"]["readable"] == 30
    record = audit_record([result])["sources"][0]
    assert record["n_unreadable"] == 4 and len(record["unreadable"]) == 4
    assert result.shortcut.auc > 0.95  # the readable files are still audited


@pytest.mark.parametrize("quality", [5, 10, 25, 50, 75, 90, 95, 96, 100])
def test_jpeg_quality_estimate_matches_the_quality_files_were_saved_at(tmp_path, quality):
    path = tmp_path / "q.jpg"
    rng = np.random.default_rng(quality)
    path.write_bytes(_encode(_image(rng, (48, 40)), "JPEG", quality=quality, subsampling=0, progressive=True))
    h = read_header(path)
    assert (h.jpeg_quality, h.ijg_tables) == (quality, True)
    assert (h.subsampling, h.progressive, h.format, (h.width, h.height)) == ("4:4:4", True, "JPEG", (48, 40))


def test_non_ijg_tables_get_the_nearest_quality_and_say_so():
    ijg_q80 = {0: [max(1, (v * 40 + 50) // 100) for v in range(1, 65)]}
    flat = {0: [3] * 64, 1: [3] * 64}
    q, exact = estimate_jpeg_quality(flat)
    assert not exact and 90 <= q <= 100
    assert estimate_jpeg_quality({}) [1] is False and not estimate_jpeg_quality(ijg_q80)[1]


def test_folder_and_the_same_images_as_an_hf_dataset_audit_identically(tmp_path, monkeypatch):
    pytest.importorskip("datasets")
    from datasets import ClassLabel, Dataset, Features
    from datasets import Image as HFImage

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    files = _format_only(n=25)
    files |= {f"fake/s{i}.jpg": data for i, data in enumerate(list(_same_metadata(n=10).values())[:10])}
    files["real/broken.jpg"] = b"not an image"
    folder = _write_set(tmp_path / "ds", files)
    rows = [{"image": {"bytes": data, "path": None}, "label": int(rel.startswith("fake"))}
            for rel, data in reversed(list(files.items()))]  # another order than the folder's
    features = Features({"image": HFImage(), "label": ClassLabel(names=["real", "fake"])})
    Dataset.from_list(rows, features=features).save_to_disk(str(tmp_path / "hf"))
    a = audit_source(resolve_source(f"folder:{folder}"))
    b = audit_source(resolve_source(f"hf:{tmp_path / 'hf'}"))
    assert (a.n_real, a.n_fake, a.n_unreadable) == (b.n_real, b.n_fake, b.n_unreadable) == (26, 35, 1)
    assert a.shortcut == b.shortcut and a.classes == b.classes


def test_reconstruct_output_beside_its_reals_is_paired(tmp_path):
    rng = np.random.default_rng(3)
    reals, recon = tmp_path / "reals", tmp_path / "recon"
    for i, size in enumerate(_sizes(rng, 25)):
        im = _image(rng, size)
        _write_set(reals, {f"sub/{i}.jpg": _encode(im, "JPEG", quality=90)})
        noisy = np.clip(np.asarray(im, dtype=np.int16) + rng.integers(-3, 4, (size[1], size[0], 3)), 0, 255)
        _write_set(recon, {f"sub/{i}.png": _encode(Image.fromarray(noisy.astype(np.uint8)), "PNG")})
    (recon / "reconstruct.json").write_text(json.dumps({"input": str(reals), "generator": "x"}))
    result = audit_source(resolve_source(str(recon)))  # a bare reconstruct output: pairs known, audited always
    pairs = result.pairs
    assert pairs["pairs"] == 25 and pairs["size_mismatch"] == 0 and pairs["format_mismatch"] == 1.0
    assert 30 < pairs["psnr_db"]["median"] < 50 and len(pairs["psnr_values"]) == 25
    assert (result.n_real, result.n_fake) == (25, 25) and result.shortcut.leading == "format"


def test_folder_pairs_by_name_on_request(tmp_path):
    folder = _write_set(tmp_path / "ds", _format_only(n=25))
    assert audit_source(resolve_source(str(folder))).pairs is None  # guessed pairs only when asked
    pairs = audit_source(resolve_source(str(folder)), pairs=True).pairs
    assert pairs["pairs"] == 25 and pairs["format_mismatch"] == 1.0


def test_small_class_runs_and_says_its_interval_is_too_wide(tmp_path):
    rng = np.random.default_rng(4)
    files = {f"real/{i}.jpg": _encode(_image(rng, (50, 40)), "JPEG") for i in range(8)}
    files |= {f"fake/{i}.png": _encode(_image(rng, (50, 40)), "PNG") for i in range(30)}
    result = audit_source(resolve_source(str(_write_set(tmp_path / "ds", files))))
    assert result.notes == ["fewer than 20 readable real images: the interval is too wide to read"]
    assert "too wide" in terminal_table([result])


def test_bad_sources_are_one_line_naming_them(tmp_path):
    with pytest.raises(FakebenchError, match="does not exist"):
        resolve_source(str(tmp_path / "nowhere"))
    with pytest.raises(FakebenchError, match="unknown mini-world training set 'mini:bogus'") as err:
        resolve_audit_source("mini:bogus")
    assert "mini:aligned-sync" in err.value.fix
    only_real = _write_set(tmp_path / "ds", {k: v for k, v in _format_only(n=5).items() if k.startswith("real")})
    with pytest.raises(FakebenchError, match="has no fake images"):
        audit_source(resolve_source(str(only_real)))


def test_cli_writes_table_json_and_html_with_pixel_statistics(tmp_path, capsys):
    folder = _write_set(tmp_path / "ds", _format_only(n=25))
    out_json, out_html = tmp_path / "audit.json", tmp_path / "audit.html"
    assert main(["audit", f"folder:{folder}", "--pixels", "--json", str(out_json), "--html", str(out_html)]) == 0
    out = capsys.readouterr().out
    assert "shortcut AUC" in out and "format 1.00" in out and "pixel AUC" in out
    record = json.loads(out_json.read_text())
    source = record["sources"][0]
    assert source["shortcut"]["leading"] == "format" and "IJG" in record["quality_estimator"]
    assert source["pixels"]["families"] and source["classes"]["real"]["jpeg_quality"]["median"] == 90
    page = out_html.read_text()
    assert page.count("data:image/png;base64") >= 8 and "JPEG quality" in page
    assert main(["audit", str(tmp_path / "missing")]) == 2
    assert "audit source" in capsys.readouterr().err


def test_the_benchmark_audits_its_training_sets_into_run_json_and_judges_c0():
    """mini-smoke's baseline and aligned training sets, built through the benchmark's cache: the aligned
    set pairs each real crop (JPEG) with its reconstruction stored like it (JPEG, the same quality and
    subsampling), so format, quality and size say nothing; the toy decoder's blur still shows in the
    files' sizes (a blurred round trip compresses to fewer bytes per pixel), and C0 says so rather than
    holding."""
    from fakebench.benchmark.session import BenchSession
    from fakebench.benchmark.world_files import load_world
    from fakebench.evaluation.claims import CLAIMS_BY_ID, evaluate

    session = BenchSession(load_world("mini-smoke"), calibration=None)
    entries = session.audit_training_sets([("baseline", "corpus"), ("aligned", "corpus")])
    by_recipe = {e["recipe"]: e for e in entries}
    assert set(by_recipe) == {"baseline", "aligned"} and all(e["n_unreadable"] == 0 for e in entries)
    baseline, aligned = by_recipe["baseline"], by_recipe["aligned"]
    assert baseline["n_real"] == baseline["n_fake"] == aligned["n_real"] == aligned["n_fake"] == 21
    assert baseline["auc"] > 0.9 and baseline["families"]["size"] > 0.9  # generated fakes: one fixed size
    assert aligned["families"]["format"] == aligned["families"]["quality"] == aligned["families"]["size"] == 0.5
    assert aligned["format_mismatch"] == 0.0 and aligned["psnr_db_median"] > 5
    assert aligned["leading"] == "mode/metadata"  # bytes per pixel: the blurred round trips compress smaller
    r = evaluate(CLAIMS_BY_ID["C0"], session.claim_context())
    assert r.outcome == "fails" and r.judged and "mode/metadata" in r.detail
    assert session.run_record()["training_audit"] == entries
