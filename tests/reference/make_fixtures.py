#!/usr/bin/env python3
"""Writes the tiny model fixtures (tests/data/fixtures/) and the malformed-file
corpus (tests/data/malformed/) used by the C++ loader tests.

Run once with the throwaway reference environment:

    "$(bash tests/reference/make_env.sh)" tests/reference/make_fixtures.py

Every model is built with the diffusers / transformers classes themselves, so
the diffusers-named files are what those libraries really write. The other
namings (LDM single file, original AnimateDiff, original ControlNet, kohya /
PEFT / old-diffusers LoRA) are produced here from the diffusers state dicts
with the mappings of ARCHITECTURE_FACTS.md sections 2, 3.6, 6.2 and 7.

All weights come from fixed seeds, so rerunning gives the same tensors.
See tests/reference/README.md for what each file is.
"""

import argparse
import gzip
import json
import math
import os
import re
import shutil
import struct
import sys
import zipfile
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

import diffusers
import transformers
from diffusers import (AutoencoderKL, ControlNetModel, MotionAdapter, PNDMScheduler,
                       StableDiffusionPipeline, UNet2DConditionModel)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "data" / "fixtures"
MALFORMED = REPO / "tests" / "data" / "malformed"
BPE_GZ = Path("/work/shared/data/bpe_simple_vocab_16e6.txt.gz")

# Tiny sizes with the SD1.5 STRUCTURE. Channel ratios follow SD1.5's
# (1, 2, 4, 4) so that every resnet whose input and output widths differ in
# SD1.5 also differs here (conv_shortcut keys), making the key names equal the
# full-size lists in /work/shared/keylists.
UNET_CHANNELS = (8, 16, 24, 24)
VAE_CHANNELS = (4, 8, 16, 16)
NORM_GROUPS = 4          # divides every width above
NUM_HEADS = 8            # SD1.5 / AnimateDiff head count (attention_head_dim in diffusers)
TEXT_HIDDEN = 32         # = cross_attention_dim
TEXT_LAYERS = 2
TEXT_HEADS = 4
TEXT_FFN = 64
VOCAB_SIZE = 1000
MAX_POSITIONS = 77
CONTROLNET_COND_CHANNELS = (8, 16, 16, 32)
LORA_RANK = 4
LORA_ALPHA = 2.0         # kohya alpha for linear modules: scale alpha/rank = 0.5
LOCON_ALPHA = 1.0        # kohya alpha for conv modules: scale 0.25

SEEDS = {"unet": 1001, "vae": 1002, "text": 1003, "mm_v1": 1101, "mm_v2": 1102,
         "mm_v3": 1103, "controlnet": 1201, "lora": 1301, "adapter": 1401,
         "unknown": 1501, "malformed": 1601}

DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
               torch.float64: "F64", torch.int64: "I64", torch.int32: "I32",
               torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}


# ----------------------------------------------------------------------------
# Random weights
# ----------------------------------------------------------------------------

def randomize(module, seed):
    """Overwrites every floating parameter with seeded random values.

    Matrices / conv kernels: N(0, 1/fan_in); 1-D weights (only norms have them):
    1 + N(0, 0.1); biases: N(0, 0.05). Zero-initialised layers (ControlNet zero
    convs, motion proj_out) therefore become non-zero too. Buffers are kept.
    """
    gen = torch.Generator().manual_seed(seed)
    params = dict(module.named_parameters())
    with torch.no_grad():
        for name in sorted(params):
            p = params[name]
            if p.dim() >= 2:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(fan_in))
            elif name.endswith(".weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.05 * torch.randn(p.shape, generator=gen))
    return module


def plain(sd):
    """Detached contiguous float32 clones (no shared storages)."""
    return {k: v.detach().clone().contiguous() for k, v in sd.items()}


# ----------------------------------------------------------------------------
# Model builders
# ----------------------------------------------------------------------------

DOWN_TYPES = ("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",)
UP_TYPES = ("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3


def build_unet():
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, block_out_channels=UNET_CHANNELS,
        layers_per_block=2, down_block_types=DOWN_TYPES, up_block_types=UP_TYPES,
        norm_num_groups=NORM_GROUPS, attention_head_dim=NUM_HEADS,
        cross_attention_dim=TEXT_HIDDEN)
    return randomize(unet, SEEDS["unet"]).eval()


def build_vae():
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=VAE_CHANNELS,
        layers_per_block=2, norm_num_groups=NORM_GROUPS, sample_size=64,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        scaling_factor=0.18215)
    return randomize(vae, SEEDS["vae"]).eval()


def build_text_encoder():
    config = CLIPTextConfig(
        vocab_size=VOCAB_SIZE, hidden_size=TEXT_HIDDEN, intermediate_size=TEXT_FFN,
        num_hidden_layers=TEXT_LAYERS, num_attention_heads=TEXT_HEADS,
        max_position_embeddings=MAX_POSITIONS, hidden_act="quick_gelu",
        projection_dim=TEXT_HIDDEN, bos_token_id=0, eos_token_id=2, pad_token_id=1)
    return randomize(CLIPTextModel(config), SEEDS["text"]).eval()


def build_controlnet():
    cn = ControlNetModel(
        in_channels=4, block_out_channels=UNET_CHANNELS, layers_per_block=2,
        down_block_types=DOWN_TYPES, norm_num_groups=NORM_GROUPS,
        attention_head_dim=NUM_HEADS, cross_attention_dim=TEXT_HIDDEN,
        conditioning_embedding_out_channels=CONTROLNET_COND_CHANNELS)
    return randomize(cn, SEEDS["controlnet"]).eval()


def build_motion_adapter(version):
    mid = version == "v2"
    max_len = 24 if version == "v1" else 32
    adapter = MotionAdapter(
        block_out_channels=UNET_CHANNELS, motion_layers_per_block=2,
        motion_norm_num_groups=NORM_GROUPS, motion_num_attention_heads=NUM_HEADS,
        use_motion_mid_block=mid, motion_max_seq_length=max_len)
    return randomize(adapter, SEEDS["mm_" + version]).eval(), max_len


def build_tokenizer(tmp_dir):
    """A CLIP BPE tokenizer with the first merges of the real CLIP vocabulary.

    ids 0-255 bytes, 256-511 bytes + '</w>', then one id per merge, then
    <|startoftext|>, <|endoftext|>: VOCAB_SIZE ids in all (facts section 5.2).
    """
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    extra = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + extra)
            extra += 1
    byte_chars = [chr(c) for c in cs]
    num_merges = VOCAB_SIZE - 512 - 2
    with gzip.open(BPE_GZ, "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")[1:1 + num_merges]
    merges = [tuple(line.split()) for line in lines]
    tokens = byte_chars + [c + "</w>" for c in byte_chars] + ["".join(m) for m in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    assert len(tokens) == VOCAB_SIZE and len(set(tokens)) == VOCAB_SIZE
    vocab_path = tmp_dir / "vocab.json"
    merges_path = tmp_dir / "merges.txt"
    vocab_path.write_text(json.dumps({t: i for i, t in enumerate(tokens)}, ensure_ascii=False))
    merges_path.write_text("#version: 0.2\n" + "\n".join(lines) + "\n", encoding="utf-8")
    tok = CLIPTokenizer(str(vocab_path), str(merges_path), pad_token="<|endoftext|>",
                        model_max_length=MAX_POSITIONS)
    return tok


def build_scheduler():
    return PNDMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                         num_train_timesteps=1000, set_alpha_to_one=False, skip_prk_steps=True,
                         steps_offset=1, prediction_type="epsilon", timestep_spacing="leading")


# ----------------------------------------------------------------------------
# diffusers -> LDM (CompVis) naming, facts section 2
# ----------------------------------------------------------------------------

RESNET_TO_LDM = {"norm1": "in_layers.0", "conv1": "in_layers.2", "time_emb_proj": "emb_layers.1",
                 "norm2": "out_layers.0", "conv2": "out_layers.3", "conv_shortcut": "skip_connection"}


def _ldm_resnet(rest):
    part, tail = rest.split(".", 1)
    return RESNET_TO_LDM[part] + "." + tail


def unet_key_to_ldm(key):
    """Diffusers UNet / ControlNet-encoder key -> LDM key (no prefix)."""
    p = key.split(".")
    if p[0] == "time_embedding":
        return {"linear_1": "time_embed.0", "linear_2": "time_embed.2"}[p[1]] + "." + p[2]
    if p[0] == "conv_in":
        return "input_blocks.0.0." + p[1]
    if p[0] == "conv_norm_out":
        return "out.0." + p[1]
    if p[0] == "conv_out":
        return "out.2." + p[1]
    if p[0] == "down_blocks":
        b, kind, j, rest = int(p[1]), p[2], int(p[3]), ".".join(p[4:])
        if kind == "resnets":
            return f"input_blocks.{3 * b + j + 1}.0.{_ldm_resnet(rest)}"
        if kind == "attentions":
            return f"input_blocks.{3 * b + j + 1}.1.{rest}"
        if kind == "downsamplers":          # rest = conv.weight
            return f"input_blocks.{3 * b + 3}.0.op.{rest.split('.', 1)[1]}"
    if p[0] == "mid_block":
        kind, j, rest = p[1], int(p[2]), ".".join(p[3:])
        if kind == "resnets":
            return f"middle_block.{2 * j}.{_ldm_resnet(rest)}"
        if kind == "attentions":
            return f"middle_block.1.{rest}"
    if p[0] == "up_blocks":
        b, kind, j, rest = int(p[1]), p[2], int(p[3]), ".".join(p[4:])
        if kind == "resnets":
            return f"output_blocks.{3 * b + j}.0.{_ldm_resnet(rest)}"
        if kind == "attentions":
            return f"output_blocks.{3 * b + j}.1.{rest}"
        if kind == "upsamplers":            # rest = conv.weight; UpBlock2D (b=0) has no attention
            slot = 1 if b == 0 else 2
            return f"output_blocks.{3 * b + 2}.{slot}.{rest}"
    raise KeyError(key)


VAE_RESNET_TO_LDM = {"conv_shortcut": "nin_shortcut"}
VAE_ATTN_TO_LDM = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out": "proj_out"}


def vae_key_to_ldm(key):
    p = key.split(".")
    if p[0] in ("quant_conv", "post_quant_conv"):
        return key
    side = p[0]
    q = p[1:]
    if q[0] in ("conv_in", "conv_out"):
        return key
    if q[0] == "conv_norm_out":
        return f"{side}.norm_out.{q[1]}"
    if q[0] == "mid_block":
        kind, j = q[1], int(q[2])
        if kind == "resnets":
            inner = ".".join(q[3:])
            return f"{side}.mid.block_{j + 1}.{inner}"
        name = q[3]
        tail = q[-1]
        return f"{side}.mid.attn_1.{VAE_ATTN_TO_LDM[name]}.{tail}"
    if q[0] == "down_blocks":
        i, kind = int(q[1]), q[2]
        if kind == "resnets":
            j, part, tail = q[3], q[4], q[5]
            return f"{side}.down.{i}.block.{j}.{VAE_RESNET_TO_LDM.get(part, part)}.{tail}"
        return f"{side}.down.{i}.downsample.conv.{q[-1]}"
    if q[0] == "up_blocks":
        i, kind = int(q[1]), q[2]
        k = 3 - i
        if kind == "resnets":
            j, part, tail = q[3], q[4], q[5]
            return f"{side}.up.{k}.block.{j}.{VAE_RESNET_TO_LDM.get(part, part)}.{tail}"
        return f"{side}.up.{k}.upsample.conv.{q[-1]}"
    raise KeyError(key)


def to_ldm_checkpoint(unet_sd, vae_sd, text_sd):
    out = {}
    for k, v in unet_sd.items():
        out["model.diffusion_model." + unet_key_to_ldm(k)] = v.clone()
    for k, v in vae_sd.items():
        nk = vae_key_to_ldm(k)
        if ".mid.attn_1." in nk and nk.endswith(".weight") and not nk.endswith("norm.weight"):
            v = v.reshape(*v.shape, 1, 1)       # Linear [C, C] -> 1x1 conv [C, C, 1, 1]
        out["first_stage_model." + nk] = v.clone().contiguous()
    for k, v in text_sd.items():
        out["cond_stage_model.transformer." + k] = v.clone()
    out["cond_stage_model.transformer.text_model.embeddings.position_ids"] = \
        torch.arange(MAX_POSITIONS, dtype=torch.int64).unsqueeze(0)
    return out


# ----------------------------------------------------------------------------
# AnimateDiff diffusers -> original naming, facts section 3.6
# ----------------------------------------------------------------------------

MM_INNER_TO_ORIGINAL = {"norm1": "norms.0", "norm2": "norms.1", "norm3": "ff_norm",
                        "attn1": "attention_blocks.0", "attn2": "attention_blocks.1"}


def motion_key_to_original(key):
    p = key.split(".")
    m = p.index("motion_modules")
    head, rest = p[:m + 2], p[m + 2:]
    if rest[0] == "transformer_blocks":
        rest = rest[:2] + [MM_INNER_TO_ORIGINAL.get(rest[2], rest[2])] + rest[3:]
    return ".".join(head + ["temporal_transformer"] + rest)


def sinusoid_table(length, channels):
    """pe[0, p, 2i] = sin(p * w_i), pe[0, p, 2i+1] = cos(p * w_i), w_i = 10000^(-2i/C)."""
    pos = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(torch.arange(0, channels, 2, dtype=torch.float32) * (-math.log(10000.0) / channels))
    pe = torch.zeros(1, length, channels)
    pe[0, :, 0::2] = torch.sin(pos * div)
    pe[0, :, 1::2] = torch.cos(pos * div)
    return pe


def to_original_motion(adapter_sd, max_len):
    out = {}
    for k, v in adapter_sd.items():
        if k.endswith("pos_embed.pe"):
            continue
        out[motion_key_to_original(k)] = v.clone()
        if k.endswith("transformer_blocks.0.norm1.weight"):
            base = motion_key_to_original(k).rsplit(".norms.0.weight", 1)[0]
            channels = v.shape[0]
            for a in (0, 1):
                out[f"{base}.attention_blocks.{a}.pos_encoder.pe"] = sinusoid_table(max_len, channels)
    return out


# ----------------------------------------------------------------------------
# ControlNet diffusers -> original (cldm) naming, facts section 6
# ----------------------------------------------------------------------------

def controlnet_key_to_original(key):
    p = key.split(".")
    if p[0] == "controlnet_cond_embedding":
        if p[1] == "conv_in":
            idx = 0
        elif p[1] == "conv_out":
            idx = 2 * (2 * (len(CONTROLNET_COND_CHANNELS) - 1)) + 2
        else:
            idx = 2 * int(p[2]) + 2
        return f"input_hint_block.{idx}.{p[-1]}"
    if p[0] == "controlnet_down_blocks":
        return f"zero_convs.{p[1]}.0.{p[2]}"
    if p[0] == "controlnet_mid_block":
        return f"middle_block_out.0.{p[1]}"
    return unet_key_to_ldm(key)


# ----------------------------------------------------------------------------
# LoRA, facts section 7
# ----------------------------------------------------------------------------

def lora_targets(unet, text_encoder):
    """(component, module path, module) for every LoRA target, in a fixed order."""
    targets = []
    attn_leaf = ("proj_in", "proj_out", "attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0",
                 "attn2.to_q", "attn2.to_k", "attn2.to_v", "attn2.to_out.0", "ff.net.0.proj", "ff.net.2")
    modules = dict(unet.named_modules())
    for name in modules:
        if re.fullmatch(r"(down_blocks\.\d+|up_blocks\.\d+|mid_block)\.attentions\.\d+", name):
            for leaf in attn_leaf:
                path = f"{name}.{leaf}" if leaf.startswith("proj") else f"{name}.transformer_blocks.0.{leaf}"
                targets.append(("unet", path, modules[path]))
    for path in ("down_blocks.0.resnets.0.conv1", "mid_block.resnets.0.conv1", "up_blocks.3.resnets.2.conv1"):
        targets.append(("unet", path, modules[path]))
    te_modules = dict(text_encoder.named_modules())
    for layer in range(TEXT_LAYERS):
        for leaf in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj",
                     "mlp.fc1", "mlp.fc2"):
            path = f"text_model.encoder.layers.{layer}.{leaf}"
            targets.append(("text_encoder", path, te_modules[path]))
    return targets


def make_loras(unet, text_encoder):
    """Returns (kohya, peft, diffusers_old) state dicts with identical weight deltas.

    kohya stores down/up and alpha (scale alpha/rank); PEFT and old-diffusers
    files carry no alpha (scale 1), so their B/up matrices are pre-multiplied
    by alpha/rank. The old diffusers format covers attention projections only.
    """
    gen = torch.Generator().manual_seed(SEEDS["lora"])
    kohya, peft, old = {}, {}, {}
    old_proj = {"to_q": "to_q", "to_k": "to_k", "to_v": "to_v", "to_out.0": "to_out",
                "q_proj": "to_q", "k_proj": "to_k", "v_proj": "to_v", "out_proj": "to_out"}
    for component, path, module in lora_targets(unet, text_encoder):
        r = LORA_RANK
        if isinstance(module, torch.nn.Conv2d):
            down_shape = (r, module.in_channels, *module.kernel_size)
            up_shape = (module.out_channels, r, 1, 1)
        else:
            down_shape = (r, module.in_features)
            up_shape = (module.out_features, r)
        is_locon = isinstance(module, torch.nn.Conv2d) and module.kernel_size != (1, 1)
        alpha = LOCON_ALPHA if is_locon else LORA_ALPHA
        down = torch.randn(down_shape, generator=gen) / math.sqrt(math.prod(down_shape[1:]))
        up = 0.1 * torch.randn(up_shape, generator=gen)
        prefix = "lora_unet_" if component == "unet" else "lora_te_"
        kname = prefix + path.replace(".", "_")
        kohya[f"{kname}.lora_down.weight"] = down
        kohya[f"{kname}.lora_up.weight"] = up
        kohya[f"{kname}.alpha"] = torch.tensor(alpha, dtype=torch.float32)
        scaled_up = up * (alpha / r)
        peft[f"{component}.{path}.lora_A.weight"] = down.clone()
        peft[f"{component}.{path}.lora_B.weight"] = scaled_up.clone()
        parent, leaf = path.rsplit(".", 1)
        if leaf == "0" and parent.endswith("to_out"):
            parent, leaf = parent.rsplit(".", 1)[0], "to_out.0"
        if component == "unet" and (".attn1." in path or ".attn2." in path):
            old_name = f"unet.{parent}.processor.{old_proj[leaf]}_lora"
        elif component == "text_encoder" and ".self_attn." in path:
            old_name = f"text_encoder.{parent}.{old_proj[leaf]}_lora"
        else:
            continue
        old[f"{old_name}.down.weight"] = down.clone()
        old[f"{old_name}.up.weight"] = scaled_up.clone()
    return kohya, peft, old


KOHYA_METADATA = {
    "ss_network_module": "networks.lora",
    "ss_network_dim": str(LORA_RANK),
    "ss_network_alpha": str(LORA_ALPHA),
    "ss_network_args": json.dumps({"conv_dim": str(LORA_RANK), "conv_alpha": str(LOCON_ALPHA)}),
    "ss_base_model_version": "sd_v1",
    "ss_v2": "False",
    "ss_resolution": "(64, 64)",
    "ss_output_name": "lora_tiny_kohya",
    "ss_training_comment": "tiny random fixture, not trained",
    "ss_sd_model_name": "sd15_tiny",
}


def make_stillmoving_adapter(adapter_sd):
    gen = torch.Generator().manual_seed(SEEDS["adapter"])
    out = {}
    for k in adapter_sd:
        if not k.endswith("transformer_blocks.0.norm1.weight"):
            continue
        block = k.rsplit(".norm1.weight", 1)[0]
        channels = adapter_sd[k].shape[0]
        for attn in ("attn1", "attn2"):
            for proj in ("to_q", "to_k", "to_v", "to_out.0"):
                name = f"{block}.{attn}.{proj}"
                out[f"{name}.lora_A.weight"] = torch.randn(LORA_RANK, channels, generator=gen) / math.sqrt(channels)
                out[f"{name}.lora_B.weight"] = torch.zeros(channels, LORA_RANK)
    return out


# ----------------------------------------------------------------------------
# Manifest helpers
# ----------------------------------------------------------------------------

def safetensors_stats(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    params = sum(math.prod(e["shape"]) for e in header.values())
    return len(header), params, {e["dtype"] for e in header.values()}


def torch_file_stats(path):
    obj = torch.load(path, map_location="cpu", weights_only=True)
    while isinstance(obj, dict) and "state_dict" in obj:
        obj = obj["state_dict"]
    tensors = [v for v in obj.values() if isinstance(v, torch.Tensor)]
    return len(tensors), sum(t.numel() for t in tensors), {DTYPE_NAMES[t.dtype] for t in tensors}


def stats(path):
    if path.is_dir():
        total = [0, 0, set()]
        for f in sorted(path.rglob("*")):
            if f.suffix in (".safetensors", ".ckpt", ".pth", ".bin", ".pt"):
                t, p, d = stats(f)
                total[0] += t
                total[1] += p
                total[2] |= d
        return tuple(total)
    if path.suffix == ".safetensors":
        return safetensors_stats(path)
    return torch_file_stats(path)


def manifest_entry(rel, kind, variant, naming):
    t, p, d = stats(FIXTURES / rel)
    return {"path": rel, "kind": kind, "variant": variant, "naming": naming,
            "tensors": t, "parameters": p, "dtypes": sorted(d)}


def write_json(path, obj):
    path.write_text(json.dumps(obj, indent=2) + "\n")


def save_st(sd, path, metadata=None):
    save_file({k: v.contiguous() for k, v in sd.items()}, str(path), metadata=metadata)
    canonical_metadata_order(path)


def canonical_metadata_order(path):
    """Rewrites the header with __metadata__ keys sorted.

    The safetensors writer keeps metadata in a hash map, so its key order (and
    the file bytes) would change from run to run.
    """
    data = Path(path).read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    if "__metadata__" not in header:
        return
    header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + data[8 + n:])


# ----------------------------------------------------------------------------
# Checks against the full-size key lists
# ----------------------------------------------------------------------------

KEYLISTS = Path("/work/shared/keylists")


def keylist(name):
    lines = (KEYLISTS / name).read_text().splitlines()
    return {l.split("\t")[0] for l in lines if l and not l.startswith("#")}


def check_keys(label, got, listname, keep=None):
    want = keylist(listname)
    if keep:
        want = {k for k in want if keep(k)}
    got = set(got)
    if got != want:
        raise SystemExit(f"{label}: key names differ from {listname}: "
                         f"missing {sorted(want - got)[:5]}, extra {sorted(got - want)[:5]}")
    print(f"  keys ok: {label} == {listname} ({len(got)})")


# ----------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------

def make_fixtures(report):
    if FIXTURES.exists():
        shutil.rmtree(FIXTURES)
    FIXTURES.mkdir(parents=True)
    manifest = []

    # 1. diffusers pipeline folder
    unet, vae, text_encoder = build_unet(), build_vae(), build_text_encoder()
    tmp = FIXTURES / "_tok_tmp"
    tmp.mkdir()
    tokenizer = build_tokenizer(tmp)
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=build_scheduler(), safety_checker=None,
                                   feature_extractor=None, requires_safety_checker=False)
    pipe_dir = FIXTURES / "sd15_tiny_diffusers"
    pipe.save_pretrained(str(pipe_dir), safe_serialization=True)
    shutil.rmtree(tmp)
    ids = tokenizer("a photo of a cat", padding="max_length", max_length=MAX_POSITIONS).input_ids
    report["tokenizer 'a photo of a cat'"] = ids[:8]
    manifest.append(manifest_entry("sd15_tiny_diffusers", "diffusers-pipeline", "sd15", "diffusers"))

    unet_sd, vae_sd, text_sd = plain(unet.state_dict()), plain(vae.state_dict()), plain(text_encoder.state_dict())
    check_keys("unet", unet_sd, "sd15_unet_diffusers.txt")
    check_keys("vae", vae_sd, "sd15_vae_diffusers.txt")
    # the tiny encoder has TEXT_LAYERS of CLIP-L's 12 layers
    check_keys("text encoder", text_sd, "clip_vit_l14_text_hf.txt",
               keep=lambda k: ".layers." not in k or int(k.split(".layers.")[1].split(".")[0]) < TEXT_LAYERS)

    # 2. LDM single file (safetensors, ckpt, fp16)
    ldm = to_ldm_checkpoint(unet_sd, vae_sd, text_sd)
    check_keys("ldm unet", [k for k in ldm if k.startswith("model.diffusion_model.")], "sd15_unet_ldm.txt")
    check_keys("ldm vae", [k for k in ldm if k.startswith("first_stage_model.")], "sd15_vae_ldm.txt")
    save_st(ldm, FIXTURES / "sd15_tiny_ldm.safetensors")
    torch.save({"state_dict": ldm, "epoch": 1, "global_step": 10}, FIXTURES / "sd15_tiny_ldm.ckpt")
    ldm16 = {k: (v.half() if v.is_floating_point() else v) for k, v in ldm.items()}
    save_st(ldm16, FIXTURES / "sd15_tiny_ldm_fp16.safetensors")
    for rel in ("sd15_tiny_ldm.safetensors", "sd15_tiny_ldm.ckpt", "sd15_tiny_ldm_fp16.safetensors"):
        manifest.append(manifest_entry(rel, "sd15-checkpoint", "sd15", "ldm"))

    # 3. AnimateDiff motion modules
    for version in ("v1", "v2", "v3"):
        adapter, max_len = build_motion_adapter(version)
        adapter_sd = plain(adapter.state_dict())
        report[f"MotionAdapter {version} state_dict has pos_embed.pe"] = \
            any(k.endswith("pos_embed.pe") for k in adapter_sd)
        check_keys(f"motion {version} diffusers", adapter_sd,
                   f"animatediff_{version}_motionadapter_diffusers.txt")
        original = to_original_motion(adapter_sd, max_len)
        check_keys(f"motion {version} original", original, f"animatediff_{version}_original_ckpt.txt")
        for k, v in adapter_sd.items():
            if k.endswith("pos_embed.pe"):
                assert torch.allclose(v, sinusoid_table(max_len, v.shape[-1]), atol=1e-6), k
        if version in ("v1", "v2"):
            rel = f"mm_tiny_{version}_original.ckpt"
            torch.save(original, FIXTURES / rel)
        else:
            rel = f"mm_tiny_{version}_original.safetensors"
            save_st(original, FIXTURES / rel)
        manifest.append(manifest_entry(rel, "motion-module", version, "original"))
        if version == "v2":
            d = FIXTURES / "motion_adapter_tiny_v2_diffusers"
            adapter.save_pretrained(str(d), safe_serialization=True)
            saved = safetensors_header_keys(d / "diffusion_pytorch_model.safetensors")
            report["MotionAdapter.save_pretrained file has pos_embed.pe"] = \
                any(k.endswith("pos_embed.pe") for k in saved)
            manifest.append(manifest_entry(d.name, "motion-module", "v2", "diffusers"))
        if version == "v3":
            save_st(adapter_sd, FIXTURES / "mm_tiny_v3_diffusers.safetensors", metadata={"format": "pt"})
            manifest.append(manifest_entry("mm_tiny_v3_diffusers.safetensors", "motion-module", "v3", "diffusers"))
            v3_adapter_sd = adapter_sd

    # 4. ControlNet
    controlnet = build_controlnet()
    cn_sd = plain(controlnet.state_dict())
    check_keys("controlnet diffusers", cn_sd, "sd15_controlnet_diffusers.txt")
    cn_dir = FIXTURES / "controlnet_tiny_diffusers"
    controlnet.save_pretrained(str(cn_dir), safe_serialization=True)
    manifest.append(manifest_entry(cn_dir.name, "controlnet", "sd15", "diffusers"))
    cn_orig = {"control_model." + controlnet_key_to_original(k): v.clone() for k, v in cn_sd.items()}
    assert len(cn_orig) == len(cn_sd)
    torch.save(cn_orig, FIXTURES / "controlnet_tiny_original.pth")
    save_st(cn_orig, FIXTURES / "controlnet_tiny_original.safetensors")
    for rel in ("controlnet_tiny_original.pth", "controlnet_tiny_original.safetensors"):
        manifest.append(manifest_entry(rel, "controlnet", "sd15", "original"))

    # 5. LoRA
    kohya, peft, old = make_loras(unet, text_encoder)
    save_st(kohya, FIXTURES / "lora_tiny_kohya.safetensors", metadata=KOHYA_METADATA)
    save_st(peft, FIXTURES / "lora_tiny_peft.safetensors", metadata={"format": "pt"})
    save_st(old, FIXTURES / "lora_tiny_diffusers_old.safetensors", metadata={"format": "pt"})
    for rel, naming in (("lora_tiny_kohya.safetensors", "kohya"), ("lora_tiny_peft.safetensors", "peft"),
                        ("lora_tiny_diffusers_old.safetensors", "diffusers-old")):
        manifest.append(manifest_entry(rel, "lora", "unet+text-encoder", naming))

    # 6. Still-Moving motion adapter
    ours = make_stillmoving_adapter(v3_adapter_sd)
    save_st(ours, FIXTURES / "stillmoving_motion_adapter_tiny.safetensors", metadata={
        "format": "stillmoving-adapter", "format_version": "1", "kind": "motion-adapter",
        "rank": str(LORA_RANK), "targets": "temporal-attention",
        "base_fingerprint": "5f3a9c0e2b7d4f618a0c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d4f"})
    manifest.append(manifest_entry("stillmoving_motion_adapter_tiny.safetensors", "stillmoving-adapter",
                                   "motion-adapter", "stillmoving"))

    # unknown tensors: valid file, names of no known model
    gen = torch.Generator().manual_seed(SEEDS["unknown"])
    unknown = {"encoder.layer1.dense.weight": torch.randn(6, 4, generator=gen),
               "encoder.layer1.dense.bias": torch.randn(6, generator=gen),
               "head.classifier.weight": torch.randn(3, 6, generator=gen),
               "step_counter": torch.tensor([7], dtype=torch.int64)}
    save_st(unknown, FIXTURES / "unknown_tensors.safetensors", metadata={"format": "pt"})
    manifest.append(manifest_entry("unknown_tensors.safetensors", "unknown", "unknown", "unknown"))

    write_json(FIXTURES / "manifest.json", manifest)
    return pipe_dir, unet_sd, vae_sd, text_sd, cn_sd, peft


def safetensors_header_keys(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return [k for k in header if k != "__metadata__"]


# ----------------------------------------------------------------------------
# Malformed corpus
# ----------------------------------------------------------------------------

class _RunsShellOnLoad:
    """Pickles as a call to os.system: the file must never be unpickled."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/sm_pwned_fixture",))


def raw_safetensors(header, data=b"", header_len=None):
    h = header if isinstance(header, bytes) else header.encode("utf-8")
    n = len(h) if header_len is None else header_len
    return struct.pack("<Q", n) + h + data


def make_malformed():
    if MALFORMED.exists():
        shutil.rmtree(MALFORMED)
    MALFORMED.mkdir(parents=True)
    entries = []

    def put(rel, data, problem):
        path = MALFORMED / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        entries.append({"path": rel, "problem": problem})

    f32x4 = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)
    one = '{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}'
    valid = raw_safetensors(one, f32x4)

    put("empty.safetensors", b"", "empty file (0 bytes)")
    put("three_bytes.safetensors", b"\x01\x02\x03", "3-byte file, shorter than the 8-byte header length")
    gen = torch.Generator().manual_seed(SEEDS["malformed"])
    blob = {"w": torch.randn(16, 16, generator=gen), "b": torch.randn(16, generator=gen)}
    tmp = MALFORMED / "_tmp.safetensors"
    save_file(blob, str(tmp))
    full = tmp.read_bytes()
    tmp.unlink()
    put("truncated_data.safetensors", full[:len(full) - 500],
        "valid header but the file is cut in the middle of the tensor data")
    put("header_len_huge.safetensors", struct.pack("<Q", 2 ** 60) + valid[8:],
        "header length 2^60")
    put("header_len_past_eof.safetensors", raw_safetensors(one, f32x4, header_len=1000),
        "header length 1000 is larger than the file")
    put("header_not_json.safetensors", raw_safetensors("{this is not json!!}   ", f32x4),
        "header is not valid JSON")
    put("header_array.safetensors", raw_safetensors("[1, 2, 3]", f32x4),
        "header is a JSON array, not an object")
    put("bad_dtype.safetensors",
        raw_safetensors('{"a":{"dtype":"F33","shape":[2,2],"data_offsets":[0,16]}}', f32x4),
        "unknown dtype \"F33\"")
    put("negative_dim.safetensors",
        raw_safetensors('{"a":{"dtype":"F32","shape":[-2,2],"data_offsets":[0,16]}}', f32x4),
        "shape has a negative dimension")
    put("offsets_out_of_range.safetensors",
        raw_safetensors('{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},'
                        '"b":{"dtype":"F32","shape":[4],"data_offsets":[16,32]}}', f32x4),
        "second tensor's end offset (32) is beyond the 16-byte data buffer")
    put("overlapping_offsets.safetensors",
        raw_safetensors('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},'
                        '"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}', f32x4 + f32x4[:8]),
        "tensor offsets overlap ([0,16] and [8,24])")
    put("size_mismatch.safetensors",
        raw_safetensors('{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}', f32x4[:12]),
        "byte count 12 does not match shape [2,2] x F32 = 16")
    put("duplicate_keys.safetensors",
        raw_safetensors('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                        '"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}', f32x4),
        "the header JSON has the key \"a\" twice")
    put("metadata_not_string.safetensors",
        raw_safetensors('{"__metadata__":{"format":"pt","rank":4},'
                        '"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}', f32x4),
        "__metadata__ has a non-string value (\"rank\": 4)")
    put("random_bytes.safetensors", torch.randint(0, 256, (2048,), generator=gen, dtype=torch.uint8)
        .numpy().tobytes(), "2 KiB of random bytes")

    evil = {"state_dict": {"model.diffusion_model.input_blocks.0.0.bias": torch.zeros(4)},
            "callbacks": _RunsShellOnLoad(), "epoch": 1}
    evil_path = MALFORMED / "pickle_os_system.ckpt"
    torch.save(evil, evil_path)
    with zipfile.ZipFile(evil_path) as z:
        pkl = next(n for n in z.namelist() if n.endswith("data.pkl"))
        assert b"system" in z.read(pkl), "payload missing"
    entries.append({"path": "pickle_os_system.ckpt",
                    "problem": "real torch zip checkpoint whose pickle calls os.system (posix.system) "
                               "with 'touch /tmp/sm_pwned_fixture' under the key 'callbacks'; must never "
                               "be executed: reject, or keep it as an inert placeholder outside state_dict"})

    tmp = MALFORMED / "_tmp.ckpt"
    torch.save({"state_dict": blob}, tmp)
    full = tmp.read_bytes()
    tmp.unlink()
    put("truncated_zip.ckpt", full[:len(full) // 2], "torch zip checkpoint cut in half (no central directory)")
    put("model.ckpt", "This is not a checkpoint.\nJust a text file with a .ckpt name.\n",
        "plain text file named model.ckpt")
    put("bad_model_index/model_index.json", '{"_class_name": "StableDiffusionPipeline", "unet": [',
        "folder whose model_index.json is not valid JSON")
    index = {"_class_name": "StableDiffusionPipeline", "_diffusers_version": diffusers.__version__,
             "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"],
             "text_encoder": ["transformers", "CLIPTextModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
             "scheduler": ["diffusers", "PNDMScheduler"]}
    put("missing_unet_config/model_index.json", json.dumps(index, indent=2) + "\n",
        "diffusers folder whose unet/config.json is missing (unet/ holds only a small weights file)")
    tmp = MALFORMED / "missing_unet_config" / "unet" / "diffusion_pytorch_model.safetensors"
    tmp.parent.mkdir(parents=True)
    save_file({"conv_in.weight": torch.randn(8, 4, 3, 3, generator=gen),
               "conv_in.bias": torch.randn(8, generator=gen)}, str(tmp), metadata={"format": "pt"})
    write_json(MALFORMED / "manifest.json", entries)


# ----------------------------------------------------------------------------
# Validation with diffusers itself (reported, not fatal)
# ----------------------------------------------------------------------------

def validate(report, pipe_dir, unet_sd, vae_sd, text_sd, cn_sd, peft):
    def same(a, b):
        return set(a) == set(b) and all(torch.equal(a[k], b[k].to(a[k].dtype)) for k in a)

    try:
        p = StableDiffusionPipeline.from_single_file(
            str(FIXTURES / "sd15_tiny_ldm.safetensors"), config=str(pipe_dir), local_files_only=True,
            safety_checker=None, requires_safety_checker=False)
        report["from_single_file(LDM) weights equal"] = {
            "unet": same(unet_sd, p.unet.state_dict()), "vae": same(vae_sd, p.vae.state_dict()),
            "text_encoder": same(text_sd, p.text_encoder.state_dict())}
        with torch.no_grad():
            gen = torch.Generator().manual_seed(0)
            ids = p.tokenizer("a photo of a cat", padding="max_length", max_length=MAX_POSITIONS,
                              return_tensors="pt").input_ids
            text = p.text_encoder(ids)[0]
            eps = p.unet(torch.randn(1, 4, 8, 8, generator=gen), 500, encoder_hidden_states=text).sample
            image = p.vae.decode(torch.randn(1, 4, 8, 8, generator=gen)).sample
        report["forward std (text, unet eps, vae image)"] = \
            [round(float(t.std()), 3) for t in (text, eps, image)]
    except Exception as e:  # reported, the fixtures stay valid
        report["from_single_file(LDM)"] = f"failed: {type(e).__name__}: {e}"[:400]
    st = load_file(str(FIXTURES / "sd15_tiny_ldm.safetensors"))
    ckpt = torch.load(FIXTURES / "sd15_tiny_ldm.ckpt", map_location="cpu", weights_only=True)["state_dict"]
    fp16 = load_file(str(FIXTURES / "sd15_tiny_ldm_fp16.safetensors"))
    report["ldm .ckpt == .safetensors"] = same(st, ckpt)
    report["ldm fp16 == half(fp32)"] = set(st) == set(fp16) and all(
        torch.equal(fp16[k], st[k].to(fp16[k].dtype)) for k in st)
    try:
        ref = MotionAdapter.from_pretrained(str(FIXTURES / "motion_adapter_tiny_v2_diffusers"))
        m = MotionAdapter.from_single_file(
            str(FIXTURES / "mm_tiny_v2_original.ckpt"),
            config=str(FIXTURES / "motion_adapter_tiny_v2_diffusers"), local_files_only=True)
        report["MotionAdapter from_single_file(v2 original) weights equal"] = same(ref.state_dict(), m.state_dict())
    except Exception as e:
        report["MotionAdapter from_single_file(v2 original)"] = f"failed: {type(e).__name__}: {e}"[:400]
    try:
        c = ControlNetModel.from_single_file(
            str(FIXTURES / "controlnet_tiny_original.safetensors"),
            config=str(FIXTURES / "controlnet_tiny_diffusers"), local_files_only=True)
        report["ControlNet from_single_file(original) weights equal"] = same(cn_sd, c.state_dict())
    except Exception as e:
        report["ControlNet from_single_file(original)"] = f"failed: {type(e).__name__}: {e}"[:400]
    try:
        sd, alphas2 = StableDiffusionPipeline.lora_state_dict(str(FIXTURES / "lora_tiny_kohya.safetensors"))
        delta_ok = lora_deltas_match(sd, alphas2, peft)
        report["kohya via diffusers lora_state_dict matches PEFT deltas"] = \
            f"{delta_ok} ({len(sd)} tensors converted)"
        sd_old, alphas_old = StableDiffusionPipeline.lora_state_dict(
            str(FIXTURES / "lora_tiny_diffusers_old.safetensors"))
        attn_only = {k: v for k, v in peft.items() if ".attn" in k or ".self_attn." in k}
        report["old-diffusers via lora_state_dict matches PEFT attention deltas"] = \
            lora_deltas_match(sd_old, alphas_old, attn_only)
    except Exception as e:
        report["LoRA validation"] = f"failed: {type(e).__name__}: {e}"[:400]


OLD_PROJ_UNET = {"to_q": "to_q", "to_k": "to_k", "to_v": "to_v", "to_out": "to_out.0"}
OLD_PROJ_TE = {"to_q": "q_proj", "to_k": "k_proj", "to_v": "v_proj", "to_out": "out_proj"}


def lora_module_and_side(key):
    """Module path and 'A'/'B' for a PEFT, diffusers-converted or old-diffusers LoRA key."""
    for suffix, side in ((".lora_A.weight", "A"), (".lora_B.weight", "B")):
        if key.endswith(suffix):
            return key[:-len(suffix)], side
    side = "A" if key.endswith(".down.weight") else "B"
    stem = key.rsplit(".", 2)[0]                       # drop .down.weight / .up.weight
    for marker in (".lora_linear_layer", ".lora"):
        if stem.endswith(marker):
            return stem[:-len(marker)], side
    parent, leaf = stem.rsplit(".", 1)                 # ..._lora naming (old processors)
    proj = leaf[:-len("_lora")]
    if parent.endswith(".processor"):
        return parent[:-len(".processor")] + "." + OLD_PROJ_UNET[proj], side
    return parent + "." + OLD_PROJ_TE[proj], side


def lora_deltas(sd, alphas=None):
    pairs = {}
    for k, v in sd.items():
        module, side = lora_module_and_side(k)
        pairs.setdefault(module, {})[side] = (k, v)
    out = {}
    for module, ab in pairs.items():
        (a_key, a), (_, b) = ab["A"], ab["B"]
        scale = 1.0
        alpha_key = next((k for k in (a_key + ".alpha", module + ".alpha") if alphas and k in alphas), None)
        if alpha_key:
            scale = float(alphas[alpha_key]) / a.shape[0]
        out[module] = scale * (b.flatten(1) @ a.flatten(1))
    return out


def lora_deltas_match(sd, alphas, reference):
    got, want = lora_deltas(sd, alphas), lora_deltas(reference)
    if set(got) != set(want):
        return f"module sets differ: {sorted(set(got) ^ set(want))[:4]}"
    return all(torch.allclose(got[k], want[k], atol=1e-6) for k in want)


def folder_size(path):
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-validate", action="store_true", help="skip the diffusers round-trip checks")
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, diffusers {diffusers.__version__}, transformers {transformers.__version__}")
    report = {}
    made = make_fixtures(report)
    make_malformed()
    if not args.no_validate:
        validate(report, *made)
    for k, v in report.items():
        print(f"  {k}: {v}")
    print(f"fixtures: {folder_size(FIXTURES) / 1e6:.2f} MB, malformed: {folder_size(MALFORMED) / 1e6:.3f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
