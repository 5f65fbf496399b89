#!/usr/bin/env python3
"""Writes the CLIP evaluator's parity data (tests/data/clip/): a tiny random
transformers CLIPModel folder, the pictures it is given, and what transformers
computes from them, so the C++ evaluator (core/models/clip/clip_model.h and
clip_preprocess.h) can be checked against it without Python at test time.

    "$(bash tests/reference/make_env.sh)" tests/reference/make_clip_reference.py

Everything is float32 on the CPU, one thread, fixed seeds: two runs give the
same bytes. tests/data/clip/README.md describes every file.
"""

import os
import shutil
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np
import torch
import transformers
from PIL import Image
from safetensors.torch import save_file
from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPTokenizer

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "data" / "clip"
MODEL_DIR = OUT / "clip_model_tiny"
TOKENIZER_DIR = REPO / "tests" / "data" / "fixtures" / "sd15_tiny_diffusers" / "tokenizer"

PROMPTS = ["a red star on a gray background", "a photo of a cat"]
SIZE = 32  # the tiny model's image_size (the crop CLIP's processor makes)


def pictures():
    """Three sizes, so the resize meets a portrait, a landscape and an exact square:
    random bytes (the bicubic filter's negative lobes must clip exactly as
    Pillow's) and a smooth gradient."""
    rng = np.random.default_rng(31)
    noise_portrait = rng.integers(0, 256, size=(53, 41, 3), dtype=np.uint8)   # h, w
    noise_landscape = rng.integers(0, 256, size=(40, 77, 3), dtype=np.uint8)
    y, x = np.mgrid[0:32, 0:32]
    gradient = np.stack([x * 8, y * 8, (x + y) * 4], axis=-1).clip(0, 255).astype(np.uint8)
    return {"portrait": noise_portrait, "landscape": noise_landscape, "square": gradient}


def main():
    torch.set_num_threads(1)
    torch.manual_seed(1234)
    if MODEL_DIR.exists():
        shutil.rmtree(MODEL_DIR)  # README.md beside it is kept
    OUT.mkdir(parents=True, exist_ok=True)

    tokenizer = CLIPTokenizer.from_pretrained(TOKENIZER_DIR)
    config = CLIPConfig(
        text_config=dict(vocab_size=tokenizer.vocab_size, hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=77,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                           image_size=SIZE, patch_size=8),
        projection_dim=16)
    model = CLIPModel(config).eval()
    # transformers' own initialisation (std 0.02) gives near-constant outputs:
    # wider weights make every layer matter to the comparison.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "logit_scale":
                continue
            if p.dim() >= 2:
                p.normal_(0.0, 1.0 / p.shape[-1] ** 0.5 if p.dim() == 2 else 0.2)
            else:
                p.add_(torch.randn_like(p) * 0.1)
    model.save_pretrained(MODEL_DIR, safe_serialization=True)
    tokenizer.save_pretrained(MODEL_DIR)
    processor = CLIPImageProcessor(size={"shortest_edge": SIZE}, crop_size={"height": SIZE, "width": SIZE})
    processor.save_pretrained(MODEL_DIR)

    tensors = {}
    for name, array in pictures().items():
        Image.fromarray(array).save(OUT / f"{name}.png")
        h, w = array.shape[:2]
        short, long = (w, h) if w <= h else (h, w)
        new_long = int(SIZE * long / short)
        size = (SIZE, new_long) if w <= h else (new_long, SIZE)  # PIL: (width, height)
        tensors[f"resized_{name}"] = torch.from_numpy(
            np.asarray(Image.fromarray(array).resize(size, resample=Image.BICUBIC)).copy())
        tensors[f"pixel_values_{name}"] = processor(images=Image.fromarray(array), return_tensors="pt")["pixel_values"][0]
    with torch.no_grad():
        pixels = torch.stack([tensors[f"pixel_values_{n}"] for n in ("portrait", "landscape", "square")])
        tensors["image_features"] = model.get_image_features(pixel_values=pixels)
        ids = tokenizer(PROMPTS, padding="max_length", max_length=77, truncation=True, return_tensors="pt")["input_ids"]
        tensors["input_ids"] = ids
        tensors["text_features"] = model.get_text_features(input_ids=ids)
    meta = {"generator": f"tests/reference/make_clip_reference.py transformers {transformers.__version__} "
                         f"torch {torch.__version__}"}
    save_file({k: v.contiguous() for k, v in tensors.items()}, OUT / "reference.safetensors", metadata=meta)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
