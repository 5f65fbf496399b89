#!/usr/bin/env python3
"""Writes the parity reference data (tests/data/parity/) that the C++ tests
compare against: inputs and outputs of the diffusers / transformers models
built from the tiny fixtures in tests/data/fixtures/.

Run from the repository root with the throwaway reference environment
(diffusers 0.35.2, transformers 4.57.1, plus peft 0.17.1 for the LoRA part,
which make_env.sh does not install yet):

    "$(bash tests/reference/make_env.sh)" tests/reference/make_parity.py

Everything runs in float32 on the CPU, in eval mode under torch.no_grad, on one
thread, with fixed seeds. Every input is generated here and saved next to the
outputs, so the C++ side feeds exactly the same numbers. Rerunning the script
gives byte-identical files. tests/data/parity/README.md describes every tensor.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch
from safetensors.torch import load_file, save_file

try:
    import peft  # noqa: F401  (diffusers' load_lora_weights needs the PEFT backend)
except ImportError:
    sys.exit("make_parity.py needs peft in the reference environment: "
             "<ref-env>/bin/pip install peft==0.17.1")

import diffusers
import transformers
from diffusers import (AutoencoderKL, ControlNetModel, MotionAdapter, StableDiffusionPipeline,
                       UNet2DConditionModel, UNetMotionModel)
from diffusers.models.unets.unet_motion_model import AnimateDiffTransformer3D
from transformers import CLIPTextModel, CLIPTokenizer

REPO = Path(__file__).resolve().parents[2]
FIX = REPO / "tests" / "data" / "fixtures"
OUT = REPO / "tests" / "data" / "parity"
PIPE_DIR = FIX / "sd15_tiny_diffusers"

PROMPTS = ["a photo of a cat", "a red car driving on a road, best quality"]
UNET_TIMESTEPS = [999, 17]
MOTION_TIMESTEP = 421
NUM_FRAMES = 16
LORA_SCALE = 0.7
SEEDS = {"unet2d": 2001, "motion": 2002, "vae": 2003}

# Candidate modules for the fused-LoRA reference. Only those whose weight the
# file really changes are saved (checked below), so each format keeps its own
# subset.
LORA_MODULES = [
    ("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"),
    ("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k"),
    ("unet", "down_blocks.1.attentions.1.transformer_blocks.0.attn1.to_out.0"),
    ("unet", "mid_block.attentions.0.transformer_blocks.0.attn2.to_v"),
    ("unet", "up_blocks.3.attentions.2.transformer_blocks.0.ff.net.0.proj"),
    ("unet", "down_blocks.0.attentions.0.proj_in"),
    ("unet", "down_blocks.0.resnets.0.conv1"),
    ("unet", "up_blocks.3.resnets.2.conv1"),
    ("text_encoder", "text_model.encoder.layers.0.self_attn.q_proj"),
    ("text_encoder", "text_model.encoder.layers.1.self_attn.out_proj"),
    ("text_encoder", "text_model.encoder.layers.1.mlp.fc1"),
]
LORA_FILES = {"kohya": "lora_tiny_kohya.safetensors", "peft": "lora_tiny_peft.safetensors",
              "diffusers_old": "lora_tiny_diffusers_old.safetensors"}

# One metadata key only: the safetensors writer keeps __metadata__ in a hash
# map, so several keys would come out in a different order on every run.
META = {"generator": f"tests/reference/make_parity.py (diffusers {diffusers.__version__}, "
                     f"transformers {transformers.__version__}, torch {torch.__version__})"}

report = {}


def save(name, tensors):
    out = {}
    for k, v in tensors.items():
        v = v.detach().to("cpu")
        if v.is_floating_point():
            v = v.to(torch.float32)
        out[k] = v.contiguous().clone()
        if v.is_floating_point():
            assert torch.isfinite(out[k]).all(), f"{name}:{k} not finite"
    save_file(out, str(OUT / name), metadata=META)
    report.setdefault("files", {})[name] = {k: list(v.shape) for k, v in out.items()}


def load_unet():
    return UNet2DConditionModel.from_pretrained(PIPE_DIR, subfolder="unet").eval()


def v3_adapter():
    ad = MotionAdapter(block_out_channels=(8, 16, 24, 24), motion_layers_per_block=2,
                       motion_norm_num_groups=4, motion_num_attention_heads=8,
                       use_motion_mid_block=False, motion_max_seq_length=32)
    sd = load_file(str(FIX / "mm_tiny_v3_diffusers.safetensors"))
    ad.load_state_dict(sd, strict=True)
    return ad.eval()


def v1_config_dir(tmp):
    ad = MotionAdapter(block_out_channels=(8, 16, 24, 24), motion_layers_per_block=2,
                       motion_norm_num_groups=4, motion_num_attention_heads=8,
                       use_motion_mid_block=False, motion_max_seq_length=24)
    ad.save_config(tmp)
    return tmp


# ----------------------------------------------------------------------------
# 1. CLIP text encoder
# ----------------------------------------------------------------------------

def make_clip():
    tok = CLIPTokenizer.from_pretrained(PIPE_DIR, subfolder="tokenizer")
    te = CLIPTextModel.from_pretrained(PIPE_DIR, subfolder="text_encoder").eval()
    ids = tok(PROMPTS, padding="max_length", max_length=tok.model_max_length, truncation=True,
              return_tensors="pt").input_ids
    assert ids.shape == (2, 77) and ids.dtype == torch.int64
    out = te(ids, output_hidden_states=True)
    hs = out.hidden_states
    assert len(hs) == te.config.num_hidden_layers + 1
    skip1 = te.text_model.final_layer_norm(hs[-2])
    skip2 = te.text_model.final_layer_norm(hs[-3])
    # Check the definition against the pipeline's own encode_prompt.
    pipe = StableDiffusionPipeline.from_pretrained(PIPE_DIR)
    for k, ref in ((None, out.last_hidden_state), (1, skip1), (2, skip2)):
        pe, _ = pipe.encode_prompt(PROMPTS, "cpu", 1, False, clip_skip=k)
        assert torch.equal(pe, ref), f"encode_prompt clip_skip={k} differs"
    report["clip"] = {"ids_row0_first12": ids[0, :12].tolist(), "pad_id": tok.pad_token_id,
                      "encode_prompt agrees for clip_skip None/1/2": True}
    save("clip_text.safetensors", {
        "input_ids": ids, "last_hidden_state": out.last_hidden_state,
        "hidden_state_clip_skip_1": skip1, "hidden_state_clip_skip_2": skip2,
        "embeddings_out": hs[0]})


# ----------------------------------------------------------------------------
# 2. UNet2DConditionModel
# ----------------------------------------------------------------------------

def make_unet2d():
    unet = load_unet()
    torch.manual_seed(SEEDS["unet2d"])
    sample = torch.randn(2, 4, 8, 8)
    ehs = torch.randn(2, 77, 32)
    t = torch.tensor(UNET_TIMESTEPS, dtype=torch.int64)
    out = unet(sample, t, encoder_hidden_states=ehs).sample
    save("unet2d.safetensors", {"sample": sample, "timestep": t, "encoder_hidden_states": ehs,
                                "out": out})


# ----------------------------------------------------------------------------
# 3. UNetMotionModel (v2, v3)
# ----------------------------------------------------------------------------

def motion_forward(self, hidden_states, encoder_hidden_states=None, timestep=None,
                   class_labels=None, num_frames=1, cross_attention_kwargs=None):
    """AnimateDiffTransformer3D.forward with a switchable GroupNorm.

    PER_FRAME["on"] False: diffusers' behaviour (norm on the (B, C, F, H, W)
    view, statistics across all frames). True: the original AnimateDiff
    behaviour, the same GroupNorm applied to (B*F, C, H, W), one frame at a
    time. Every other step is diffusers' own.
    """
    bf, c, h, w = hidden_states.shape
    b = bf // num_frames
    residual = hidden_states
    if PER_FRAME["on"]:
        x = self.norm(hidden_states)                                   # (B*F, C, H, W)
        x = x.reshape(b, num_frames, c, h, w).permute(0, 1, 3, 4, 2)    # (B, F, H, W, C)
        x = x.permute(0, 2, 3, 1, 4).reshape(b * h * w, num_frames, c)
    else:
        x = hidden_states.reshape(b, num_frames, c, h, w).permute(0, 2, 1, 3, 4)
        x = self.norm(x)                                               # (B, C, F, H, W)
        x = x.permute(0, 3, 4, 2, 1).reshape(b * h * w, num_frames, c)
    x = self.proj_in(x)
    for block in self.transformer_blocks:
        x = block(hidden_states=x, encoder_hidden_states=encoder_hidden_states, timestep=timestep,
                  cross_attention_kwargs=cross_attention_kwargs, class_labels=class_labels)
    x = self.proj_out(x)
    x = x.reshape(b, h, w, num_frames, c).permute(0, 3, 4, 1, 2).contiguous()
    return x.reshape(bf, c, h, w) + residual


PER_FRAME = {"on": False}


def run_motion(model, sample, t, ehs):
    frames = sample.shape[2]
    ehs_rep = ehs.repeat_interleave(frames, dim=0)   # (B*F, 77, 32), rows b*F + f
    return model(sample, t, encoder_hidden_states=ehs_rep).sample


def original_motion_to_diffusers(sd):
    out, pes = {}, {}
    for k, v in sd.items():
        if "pos_encoder" in k:
            pes[k] = v
            continue
        nk = (k.replace(".temporal_transformer", "").replace(".norms.0", ".norm1")
              .replace(".norms.1", ".norm2").replace(".ff_norm", ".norm3")
              .replace(".attention_blocks.0", ".attn1").replace(".attention_blocks.1", ".attn2"))
        out[nk] = v
    return out, pes


def compare_original(label, orig_sd, diff_sd):
    renamed, pes = original_motion_to_diffusers(orig_sd)
    dparams = {k: v for k, v in diff_sd.items() if not k.endswith("pos_embed.pe")}
    same_keys = set(renamed) == set(dparams)
    equal = same_keys and all(torch.equal(renamed[k], dparams[k]) for k in dparams)
    pe_max = 0.0
    for k, v in pes.items():
        base = k.split(".temporal_transformer.")[0]
        ref = diff_sd[base + ".transformer_blocks.0.pos_embed.pe"]
        n = min(ref.shape[1], v.shape[1])
        pe_max = max(pe_max, (ref[:, :n] - v[:, :n]).abs().max().item())
    report[f"{label} original == diffusers after renaming"] = {
        "same key set": same_keys, "all tensors equal": equal,
        "original tensors": len(orig_sd), "diffusers tensors": len(diff_sd),
        "pos_encoder.pe max |diff| vs diffusers pos_embed.pe": pe_max}
    return equal


def make_motion():
    v2 = MotionAdapter.from_pretrained(FIX / "motion_adapter_tiny_v2_diffusers").eval()
    v3 = v3_adapter()
    v2_orig = torch.load(FIX / "mm_tiny_v2_original.ckpt", map_location="cpu", weights_only=True)
    v3_orig = load_file(str(FIX / "mm_tiny_v3_original.safetensors"))
    v2_same = compare_original("v2", v2_orig, v2.state_dict())
    v3_same = compare_original("v3", v3_orig, v3.state_dict())

    torch.manual_seed(SEEDS["motion"])
    sample = torch.randn(1, 4, NUM_FRAMES, 8, 8)
    ehs = torch.randn(1, 77, 32)
    t = torch.tensor([MOTION_TIMESTEP], dtype=torch.int64)
    sample2 = sample[:, :, :2].clone()

    AnimateDiffTransformer3D.forward_diffusers = AnimateDiffTransformer3D.forward
    for label, adapter, same, orig in (("v2", v2, v2_same, v2_orig), ("v3", v3, v3_same, v3_orig)):
        model = UNetMotionModel.from_unet2d(load_unet(), adapter).eval()
        out = run_motion(model, sample, t, ehs)
        out2 = run_motion(model, sample2, t, ehs)
        tensors = {"sample": sample, "timestep": t, "encoder_hidden_states": ehs,
                   "encoder_hidden_states_repeated": ehs.repeat_interleave(NUM_FRAMES, dim=0),
                   "out": out, "sample_2frames": sample2, "out_2frames": out2}
        # The reimplemented forward (norm across frames) must equal diffusers' exactly.
        AnimateDiffTransformer3D.forward = motion_forward
        try:
            PER_FRAME["on"] = False
            assert torch.equal(run_motion(model, sample, t, ehs), out), "patched forward differs"
            if label == "v2":
                PER_FRAME["on"] = True
                tensors["out_per_frame_norm"] = run_motion(model, sample, t, ehs)
                report["v2 per-frame norm max |diff| vs diffusers"] = \
                    (tensors["out_per_frame_norm"] - out).abs().max().item()
        finally:
            PER_FRAME["on"] = False
            AnimateDiffTransformer3D.forward = AnimateDiffTransformer3D.forward_diffusers
        # Diffusers' own single-file conversion of the original-named file.
        src = FIX / ("mm_tiny_v2_original.ckpt" if label == "v2" else "mm_tiny_v3_original.safetensors")
        with tempfile.TemporaryDirectory() as tmp:
            adapter.save_config(tmp)
            conv = MotionAdapter.from_single_file(str(src), config=tmp, local_files_only=True).eval()
        m2 = UNetMotionModel.from_unet2d(load_unet(), conv).eval()
        out_orig = run_motion(m2, sample, t, ehs)
        report[f"{label} from_single_file(original) output == diffusers output"] = \
            torch.equal(out_orig, out)
        if not (same and torch.equal(out_orig, out)):
            tensors["out_from_original"] = out_orig
        report[f"{label} out abs mean / std"] = [out.abs().mean().item(), out.std().item()]
        save(f"unet_motion_{label}.safetensors", tensors)


# ----------------------------------------------------------------------------
# 4. VAE
# ----------------------------------------------------------------------------

def make_vae():
    vae = AutoencoderKL.from_pretrained(PIPE_DIR, subfolder="vae").eval()
    torch.manual_seed(SEEDS["vae"])
    image = torch.rand(2, 3, 32, 32) * 2 - 1
    z = torch.randn(2, 4, 4, 4)
    dist = vae.encode(image).latent_dist
    decoded = vae.decode(dist.mean).sample
    decoded_z = vae.decode(z).sample
    save("vae.safetensors", {"image": image, "latent_mean": dist.mean, "latent_logvar": dist.logvar,
                             "decoded": decoded, "z": z, "decoded_from_z": decoded_z})


# ----------------------------------------------------------------------------
# 5. LoRA, fused with diffusers' own loader
# ----------------------------------------------------------------------------

def check_lora_by_hand(base_w, fused_all):
    """Fused weight == W + LORA_SCALE * (alpha / rank) * up @ down, from the raw files."""
    kohya = load_file(str(FIX / LORA_FILES["kohya"]))
    peft_sd = load_file(str(FIX / LORA_FILES["peft"]))
    worst = 0.0
    for (tag, c, m), w in fused_all.items():
        if tag == "kohya":
            name = ("lora_unet_" if c == "unet" else "lora_te_") + m.replace(".", "_")
            up, down = kohya[name + ".lora_up.weight"], kohya[name + ".lora_down.weight"]
            scale = kohya[name + ".alpha"].item() / down.shape[0]
        elif tag == "peft":
            up, down = peft_sd[f"{c}.{m}.lora_B.weight"], peft_sd[f"{c}.{m}.lora_A.weight"]
            scale = 1.0
        else:
            continue
        delta = (up.flatten(1) @ down.flatten(1)).reshape(w.shape)
        expected = base_w[(c, m)] + LORA_SCALE * scale * delta
        err = (expected - w).abs().max().item()
        assert err < 1e-6, f"{tag} {c}/{m}: fused weight differs from hand computation ({err})"
        worst = max(worst, err)
    return worst


def make_lora():
    base = StableDiffusionPipeline.from_pretrained(PIPE_DIR)
    base_w = {(c, m): getattr(base, c).get_submodule(m).weight.detach().clone()
              for c, m in LORA_MODULES}
    tensors = {"lora_scale": torch.tensor(LORA_SCALE, dtype=torch.float32)}
    covered = {}
    fused_all = {}
    for tag, fname in LORA_FILES.items():
        pipe = StableDiffusionPipeline.from_pretrained(PIPE_DIR)
        pipe.load_lora_weights(str(FIX), weight_name=fname)
        pipe.fuse_lora(components=["unet", "text_encoder"], lora_scale=LORA_SCALE)
        fused_before_unload = {}
        for c, m in LORA_MODULES:
            mod = getattr(pipe, c).get_submodule(m)
            w = mod.base_layer.weight if hasattr(mod, "base_layer") else mod.weight
            fused_before_unload[(c, m)] = w.detach().clone()
        pipe.unload_lora_weights()
        covered[tag] = []
        for c, m in LORA_MODULES:
            w = getattr(pipe, c).get_submodule(m).weight.detach().clone()
            assert torch.equal(w, fused_before_unload[(c, m)]), "unload changed fused weights"
            if torch.equal(w, base_w[(c, m)]):
                continue
            tensors[f"{tag}/{c}/{m}.weight"] = w
            fused_all[(tag, c, m)] = w
            covered[tag].append(f"{c}/{m}")
    report["lora modules saved"] = covered
    report["lora max |fused - hand-computed|"] = check_lora_by_hand(base_w, fused_all)
    cross = {}
    for c, m in LORA_MODULES:
        for a, b in (("kohya", "peft"), ("peft", "diffusers_old")):
            if (a, c, m) in fused_all and (b, c, m) in fused_all:
                d = (fused_all[(a, c, m)] - fused_all[(b, c, m)]).abs().max().item()
                cross[f"{a} vs {b} {c}/{m}"] = d
    report["lora cross-format max |diff|"] = cross
    report["lora max |fused - base| per module"] = {
        f"{t}/{c}/{m}": (w - base_w[(c, m)]).abs().max().item() for (t, c, m), w in fused_all.items()}
    save("lora.safetensors", tensors)


# ----------------------------------------------------------------------------
# 6. Parameter counts
# ----------------------------------------------------------------------------

def make_param_counts():
    counts = {}

    def add(name, model):
        counts[name] = {"num_parameters": int(model.num_parameters()),
                        "state_dict_tensors": len(model.state_dict()),
                        "state_dict_elements": int(sum(v.numel() for v in model.state_dict().values()))}

    add("unet", load_unet())
    add("vae", AutoencoderKL.from_pretrained(PIPE_DIR, subfolder="vae"))
    add("text_encoder", CLIPTextModel.from_pretrained(PIPE_DIR, subfolder="text_encoder"))
    with tempfile.TemporaryDirectory() as tmp:
        v1 = MotionAdapter.from_single_file(str(FIX / "mm_tiny_v1_original.ckpt"),
                                            config=v1_config_dir(tmp), local_files_only=True)
    add("motion_adapter_v1", v1)
    add("motion_adapter_v2", MotionAdapter.from_pretrained(FIX / "motion_adapter_tiny_v2_diffusers"))
    add("motion_adapter_v3", v3_adapter())
    add("controlnet", ControlNetModel.from_pretrained(FIX / "controlnet_tiny_diffusers"))
    add("unet_motion_v2", UNetMotionModel.from_unet2d(load_unet(), MotionAdapter.from_pretrained(
        FIX / "motion_adapter_tiny_v2_diffusers")))
    (OUT / "param_counts.json").write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n")
    report["param_counts"] = counts


def main():
    diffusers.utils.logging.disable_progress_bar()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    OUT.mkdir(parents=True, exist_ok=True)
    # Only this script's files: schedulers.safetensors and pipeline.safetensors
    # belong to make_scheduler_reference.py and make_pipeline_reference.py.
    for name in ("clip_text", "unet2d", "unet_motion_v2", "unet_motion_v3", "vae", "lora"):
        (OUT / f"{name}.safetensors").unlink(missing_ok=True)
    with torch.no_grad():
        make_clip()
        make_unet2d()
        make_motion()
        make_vae()
        make_lora()
        make_param_counts()
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
