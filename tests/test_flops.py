"""FLOPs per image counted from the models' configs on the meta device (fakebench.generators.flops): the
count claim C5 reads, checked against hand counts and `fakebench bench cost --flops`."""
import pytest
import torch


def test_the_flop_counter_matches_a_hand_count_on_the_meta_device():
    from fakebench.generators.flops import count_flops, meta

    with torch.device("meta"):
        conv, linear = torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.Linear(16, 32)
    # a convolution: 2 FLOPs (multiply + add) per weight per output pixel; a linear layer likewise per row
    assert count_flops(conv, meta(1, 3, 10, 10)) == 2 * 8 * 3 * 3 * 3 * 10 * 10
    assert count_flops(linear, meta(5, 16)) == 2 * 5 * 16 * 32


def test_a_tiny_unet_counts_attention_and_guidance_doubles_the_calls():
    from fakebench.generators.flops import DenoiserCall, build_on_meta

    config = {"_class_name": "UNet2DConditionModel", "block_out_channels": [8, 16],
              "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
              "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "layers_per_block": 1,
              "norm_num_groups": 4, "cross_attention_dim": 12, "attention_head_dim": 2, "sample_size": 8}
    model = build_on_meta(config)
    assert next(model.parameters()).device.type == "meta"
    short, long = (DenoiserCall(8, tokens).flops(model) for tokens in (4, 40))
    assert 0 < short < long  # cross-attention over more text tokens costs more: attention is counted
    # by hand: each cross-attention layer (C channels over H x W) adds, per extra text token, the K and V
    # projections (2 x 2 x 12 x C) and the Q.K^T and A.V products (2 x 2 x HW x C); the layers are the
    # down block's (8 x 8, C 8), the up block's two (8 x 8, C 8) and the mid block's (4 x 4, C 16)
    per_token = sum(4 * c * (12 + hw) for c, hw in ((8, 64), (8, 64), (8, 64), (16, 16)))
    assert long - short == 36 * per_token


def test_count_generator_counts_the_mini_world_and_says_why_others_are_missing():
    from fakebench.generators.flops import count_generator

    mini = count_generator("mini-sd")
    assert not mini.error and mini.denoiser_calls == mini.steps == 20
    assert mini.generate_flops == pytest.approx(20 * mini.denoiser_flops + mini.decode_flops)
    assert mini.reconstruct_flops == mini.encode_flops + mini.decode_flops and mini.ratio > 1
    assert "not obtained" in count_generator("pixart-alpha").error
    assert "no autoencoder" in count_generator("deepfloyd-if").error
    assert count_generator("some-plugin").error


def test_bench_cost_flops_prints_every_row_and_writes_the_record(tmp_path, capsys):
    import json

    from fakebench.cli import main

    out = tmp_path / "cost.json"
    assert main(["bench", "cost", "--flops", "--generators", "mini-sd,pixart-alpha", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "mini-sd" in printed and "not counted:" in printed and "pixart-alpha: transformer config" in printed
    record = json.loads(out.read_text())
    assert set(record["flops"]) == {"mini-sd", "pixart-alpha"} and record["counted_with"]["device"] == "meta"
    assert record["flops"]["pixart-alpha"]["ratio"] is None and record["flops"]["mini-sd"]["ratio"] > 1
