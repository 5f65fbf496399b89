#!/usr/bin/env python3
"""Writes tests/data/parity/pipeline.safetensors: end-to-end reference runs of
diffusers' AnimateDiffPipeline on the tiny fixtures (sd15_tiny_diffusers +
motion_adapter_tiny_v2_diffusers), four scheduler cases, every intermediate
the C++ video pipeline has to reproduce (token ids, prompt embeddings, initial
latents, guided noise prediction and latents after every step, final latents,
decoded video).

Run from the repository root with the throwaway reference environment:

    "$(bash tests/reference/make_env.sh)" tests/reference/make_pipeline_reference.py

Float32 on the CPU, one thread, deterministic algorithms; every random number
comes from `torch.Generator("cpu").manual_seed(seed)` passed to the pipeline.
Rerunning gives a byte-identical file. The case settings (scheduler class and
full config, prompts, seed, sizes, ...) are stored as JSON in the file's
`__metadata__`, so the C++ test needs no numbers of its own.
tests/data/parity/README.md describes every tensor.
"""

import copy
import functools
import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch
from safetensors.torch import save_file

import diffusers
import transformers
from diffusers import (AnimateDiffPipeline, AutoencoderKL, DDIMScheduler,
                       DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler,
                       EulerDiscreteScheduler, MotionAdapter, UNet2DConditionModel)
from transformers import CLIPTextModel, CLIPTokenizer

REPO = Path(__file__).resolve().parents[2]
FIX = REPO / "tests" / "data" / "fixtures"
OUT = REPO / "tests" / "data" / "parity" / "pipeline.safetensors"
PIPE_DIR = FIX / "sd15_tiny_diffusers"
ADAPTER_DIR = FIX / "motion_adapter_tiny_v2_diffusers"

# AnimateDiff's training / inference beta schedule (diffusers "linear").
LINEAR_BETAS = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="linear",
                    num_train_timesteps=1000, steps_offset=1)

SEED_CHECK = {"seed": 1234, "shape": [1, 4, 16, 8, 8]}

# video_frames: which frames of the decoded video are saved (None = all). Only
# "ddim" keeps every frame; the others keep a few to hold the file under 2 MB.
# The VAE decodes every frame independently, so a subset tests the same code.
CASES = [
    dict(name="ddim",
         scheduler=DDIMScheduler(**LINEAR_BETAS, clip_sample=False, set_alpha_to_one=True,
                                 timestep_spacing="leading", prediction_type="epsilon"),
         prompt="a photo of a cat", negative_prompt="blurry, low quality", seed=42,
         num_inference_steps=3, guidance_scale=7.5, num_frames=8, width=64, height=64,
         num_videos_per_prompt=1, clip_skip=None, video_frames=None),
    dict(name="euler_a",
         scheduler=EulerAncestralDiscreteScheduler(**LINEAR_BETAS, timestep_spacing="linspace"),
         prompt="a red car driving on a road", negative_prompt=None, seed=7,
         num_inference_steps=3, guidance_scale=5.0, num_frames=8, width=128, height=64,
         num_videos_per_prompt=2, clip_skip=None, video_frames=[0, 7]),
    dict(name="dpmpp_2m_karras",
         scheduler=DPMSolverMultistepScheduler(**LINEAR_BETAS, algorithm_type="dpmsolver++",
                                               solver_order=2, use_karras_sigmas=True),
         prompt="a dog", negative_prompt=None, seed=3,
         num_inference_steps=4, guidance_scale=1.0, num_frames=16, width=64, height=64,
         num_videos_per_prompt=1, clip_skip=1, video_frames=[0, 5, 10, 15]),
    dict(name="euler_vpred",
         scheduler=EulerDiscreteScheduler(**LINEAR_BETAS, prediction_type="v_prediction",
                                          timestep_spacing="trailing"),
         prompt="a photo of a cat", negative_prompt="", seed=11,
         num_inference_steps=3, guidance_scale=7.5, num_frames=8, width=64, height=64,
         num_videos_per_prompt=1, clip_skip=None, video_frames=[0, 7]),
]

report = {}


def stats(t):
    t = t.to(torch.float64)
    return {"shape": list(t.shape), "min": round(t.min().item(), 5), "max": round(t.max().item(), 5),
            "mean": round(t.mean().item(), 5), "std": round(t.std().item(), 5) if t.numel() > 1 else 0.0}


def json_safe(v):
    """Strict JSON has no Infinity / NaN (DPMSolver's lambda_min_clipped is
    -inf): write those as the strings "inf", "-inf", "nan"."""
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    return v


def make_pipe(scheduler):
    unet = UNet2DConditionModel.from_pretrained(PIPE_DIR, subfolder="unet")
    adapter = MotionAdapter.from_pretrained(ADAPTER_DIR)
    pipe = AnimateDiffPipeline(
        vae=AutoencoderKL.from_pretrained(PIPE_DIR, subfolder="vae"),
        text_encoder=CLIPTextModel.from_pretrained(PIPE_DIR, subfolder="text_encoder"),
        tokenizer=CLIPTokenizer.from_pretrained(PIPE_DIR, subfolder="tokenizer"),
        unet=unet, motion_adapter=adapter, scheduler=copy.deepcopy(scheduler))
    pipe.set_progress_bar_config(disable=True)
    for m in (pipe.unet, pipe.vae, pipe.text_encoder):
        m.eval()
    return pipe


def call_args(case):
    """Arguments for AnimateDiffPipeline.__call__.

    diffusers 0.35.2's AnimateDiffPipeline.__call__ overwrites its
    num_videos_per_prompt argument with 1 (pipeline_animatediff.py, step 0), so
    n videos of one prompt are requested as a list of n copies of the prompt.
    encode_prompt gives exactly the same embeddings for both (checked below),
    and the noise is one randn call of shape (n, 4, F, h, w) either way.
    """
    n = case["num_videos_per_prompt"]
    prompt = case["prompt"] if n == 1 else [case["prompt"]] * n
    neg = case["negative_prompt"]
    if n > 1 and neg is not None:
        neg = [neg] * n
    return dict(prompt=prompt, negative_prompt=neg, num_frames=case["num_frames"],
                height=case["height"], width=case["width"],
                num_inference_steps=case["num_inference_steps"],
                guidance_scale=case["guidance_scale"], clip_skip=case["clip_skip"],
                generator=torch.Generator("cpu").manual_seed(case["seed"]))


def tokenize(tok, text):
    return tok(text, padding="max_length", max_length=tok.model_max_length, truncation=True,
               return_tensors="pt").input_ids


def check_clip_skip_is_positive_only():
    """encode_prompt applies clip_skip to the prompt only; the negative prompt
    always takes the text encoder's last_hidden_state."""
    pipe = make_pipe(CASES[0]["scheduler"])
    tok, te = pipe.tokenizer, pipe.text_encoder
    pe, ne = pipe.encode_prompt("a dog", "cpu", 1, True, "blurry", clip_skip=1)
    hs = te(tokenize(tok, "a dog"), output_hidden_states=True).hidden_states
    assert torch.equal(pe, te.text_model.final_layer_norm(hs[-2]))
    assert torch.equal(ne, te(tokenize(tok, "blurry")).last_hidden_state)
    report["encode_prompt clip_skip applies to the negative prompt"] = False


def float64_gap(case, t):
    """Reruns the case in float64 from the saved float32 inputs (embeddings,
    initial latents, and for Euler ancestral the same per-step noise) and
    reports how far float32 rounding alone moves the outputs: a guide for the
    C++ test tolerance. The text encoder is skipped (its float64 causal mask
    overflows in transformers), so prompt_embeds are passed in."""
    import diffusers.schedulers.scheduling_euler_ancestral_discrete as ea
    name = case["name"]
    pipe = make_pipe(case["scheduler"]).to(torch.float64)
    ref_sched = copy.deepcopy(case["scheduler"])
    ref_sched.set_timesteps(case["num_inference_steps"])
    lat = t[f"{name}.initial_latents"]
    args = call_args(case)
    for k in ("prompt", "negative_prompt", "clip_skip"):
        args.pop(k)
    args["prompt_embeds"] = t[f"{name}.prompt_embeds"].double()
    if f"{name}.negative_prompt_embeds" in t:
        args["negative_prompt_embeds"] = t[f"{name}.negative_prompt_embeds"].double()
    # prepare_latents multiplies given latents by init_noise_sigma again.
    args["latents"] = lat.double() / float(ref_sched.init_noise_sigma)
    g = args["generator"]
    torch.randn(lat.shape, generator=g)
    noise = iter([torch.randn(lat.shape, generator=g).double()
                  for _ in range(case["num_inference_steps"])])
    randn_tensor = ea.randn_tensor
    ea.randn_tensor = lambda *a, **k: next(noise)
    try:
        final = pipe(**args, output_type="latent").frames
    finally:
        ea.randn_tensor = randn_tensor
    video = pipe.video_processor.postprocess_video(pipe.decode_latents(final, 16), output_type="pt")
    frames = case["video_frames"] or list(range(case["num_frames"]))
    ref = t[f"{name}.final_latents"].double()
    return {"final_latents max |f64 - f32|": float(f"{(final - ref).abs().max().item():.3g}"),
            "final_latents max |ref|": round(ref.abs().max().item(), 3),
            "video max |f64 - f32|": float(f"{(video[:, frames] - t[f'{name}.video']).abs().max().item():.3g}")}


def check_num_videos_is_ignored(case):
    """Documents the diffusers quirk call_args works around."""
    pipe = make_pipe(case["scheduler"])
    args = call_args(dict(case, num_videos_per_prompt=1))
    out = pipe(**args, num_videos_per_prompt=2, output_type="latent").frames
    assert out.shape[0] == 1, "diffusers now honours num_videos_per_prompt: drop the workaround"
    report["AnimateDiffPipeline(num_videos_per_prompt=2) batch"] = out.shape[0]


def run_case(case):
    name = case["name"]
    pipe = make_pipe(case["scheduler"])
    sched = pipe.scheduler
    cfg = case["guidance_scale"] > 1.0
    n = case["num_videos_per_prompt"]
    cap = {"steps": [], "noise_pred": []}

    # Wrap the stages to capture what the pipeline really used.
    encode_prompt, prepare_latents, step = pipe.encode_prompt, pipe.prepare_latents, sched.step

    def enc(*a, **k):
        pe, ne = encode_prompt(*a, **k)
        cap["prompt_embeds"], cap["negative_prompt_embeds"] = pe.clone(), ne
        return pe, ne

    def prep(*a, **k):
        lat = prepare_latents(*a, **k)
        cap["initial_latents"] = lat.clone()
        cap["generator_state_after_latents"] = a[7].get_state().clone() if len(a) > 7 else None
        return lat

    # functools.wraps keeps step's signature visible: the pipeline inspects it
    # to decide whether to pass `generator` and `eta`.
    @functools.wraps(step)
    def stp(model_output, timestep, sample, *a, **k):
        cap["noise_pred"].append(model_output.clone())
        return step(model_output, timestep, sample, *a, **k)

    def on_step_end(p, i, t, kw):
        cap["steps"].append((i, t.item(), kw["latents"].clone()))
        return kw

    pipe.encode_prompt, pipe.prepare_latents, sched.step = enc, prep, stp
    args = call_args(case)
    gen = args["generator"]
    final = pipe(**args, output_type="latent", callback_on_step_end=on_step_end,
                 callback_on_step_end_tensor_inputs=["latents"]).frames
    gen_state_end = gen.get_state().clone()

    # --- self-checks --------------------------------------------------------
    tok, te = pipe.tokenizer, pipe.text_encoder
    ids = tokenize(tok, case["prompt"])
    neg_text = "" if case["negative_prompt"] is None else case["negative_prompt"]
    neg_ids = tokenize(tok, neg_text)
    hs = te(ids, output_hidden_states=True)
    pos_ref = (hs.last_hidden_state if case["clip_skip"] is None
               else te.text_model.final_layer_norm(hs.hidden_states[-(case["clip_skip"] + 1)]))
    pe = cap["prompt_embeds"]
    assert pe.shape == (n, 77, te.config.hidden_size)
    assert all(torch.equal(pe[i], pos_ref[0]) for i in range(n)), "prompt embeds"
    # What a working num_videos_per_prompt would have given:
    pe2, ne2 = pipe.encode_prompt(case["prompt"], "cpu", n, cfg, case["negative_prompt"],
                                  clip_skip=case["clip_skip"])
    assert torch.equal(pe2, pe)
    ne = cap["negative_prompt_embeds"]
    if cfg:
        # The negative prompt always uses the last layer: clip_skip is not applied to it.
        neg_ref = te(neg_ids).last_hidden_state
        assert all(torch.equal(ne[i], neg_ref[0]) for i in range(n)), "negative embeds"
        assert torch.equal(ne2, ne)
    else:
        assert ne is None and ne2 is None

    ref_sched = copy.deepcopy(case["scheduler"])
    ref_sched.set_timesteps(case["num_inference_steps"], device="cpu")
    init_sigma = ref_sched.init_noise_sigma
    shape = (n, 4, case["num_frames"], case["height"] // 8, case["width"] // 8)
    g = torch.Generator("cpu").manual_seed(case["seed"])
    noise0 = torch.randn(shape, generator=g)
    assert torch.equal(cap["initial_latents"], noise0 * init_sigma), "initial latents"
    assert torch.equal(cap["generator_state_after_latents"], g.get_state())

    steps = cap["steps"]
    assert [s[0] for s in steps] == list(range(case["num_inference_steps"]))
    assert [s[1] for s in steps] == sched.timesteps.tolist()
    assert torch.equal(sched.timesteps, ref_sched.timesteps)
    assert torch.equal(final, steps[-1][2]), "final latents != last callback latents"

    # Generator use after the initial latents: only Euler ancestral draws, one
    # randn of the latent shape per step (also on the last step, where sigma_up = 0).
    draws = case["num_inference_steps"] if isinstance(ref_sched, EulerAncestralDiscreteScheduler) else 0
    replay_noise = [torch.randn(shape, generator=g) for _ in range(draws)]
    assert torch.equal(gen_state_end, g.get_state()), "generator draw count"
    if draws:
        # Replay Euler ancestral with the captured guided noise predictions and
        # the replayed noise: reproduces the pipeline's latents exactly.
        x, sig = cap["initial_latents"], ref_sched.sigmas
        for i in range(draws):
            s, s_to = sig[i], sig[i + 1]
            x0 = x - s * cap["noise_pred"][i]
            s_up = (s_to**2 * (s**2 - s_to**2) / s**2) ** 0.5
            s_down = (s_to**2 - s_up**2) ** 0.5
            x = x + (x - x0) / s * (s_down - s) + replay_noise[i] * s_up
            assert torch.equal(x, steps[i][2]), f"euler_a replay step {i}"

    # Decode the final latents the way the pipeline does for output_type="pt",
    # and check against a second full run with output_type="pt".
    video = pipe.video_processor.postprocess_video(pipe.decode_latents(final, 16), output_type="pt")
    pipe2 = make_pipe(case["scheduler"])
    video_pt = pipe2(**call_args(case), output_type="pt").frames
    assert torch.equal(video, video_pt), "decode_latents + postprocess != output_type pt"
    assert video.shape == (n, case["num_frames"], 3, case["height"], case["width"])
    assert video.dtype == torch.float32 and video.min() >= 0 and video.max() <= 1

    frames = case["video_frames"] or list(range(case["num_frames"]))
    out = {
        "token_ids": ids,
        "prompt_embeds": pe,
        "initial_latents": cap["initial_latents"],
        "timesteps": sched.timesteps,
    }
    if cfg:
        out["negative_token_ids"] = neg_ids
        out["negative_prompt_embeds"] = ne
    if hasattr(ref_sched, "sigmas"):
        out["sigmas"] = ref_sched.sigmas
    for i, (_, _, lat) in enumerate(steps):
        out[f"noise_pred.{i}"] = cap["noise_pred"][i]
        out[f"latents.{i}"] = lat
    out["final_latents"] = final
    out["video"] = video[:, frames]

    config = {"_class_name": type(sched).__name__}
    config.update({k: v for k, v in sched.config.items() if not k.startswith("_")})
    meta = {
        "name": name,
        "scheduler_class": type(sched).__name__,
        "scheduler_config": config,
        "prompt": case["prompt"],
        "negative_prompt": case["negative_prompt"],
        "negative_prompt_used": neg_text if cfg else None,
        "seed": case["seed"],
        "num_inference_steps": case["num_inference_steps"],
        "guidance_scale": case["guidance_scale"],
        "do_classifier_free_guidance": cfg,
        "num_frames": case["num_frames"],
        "width": case["width"],
        "height": case["height"],
        "num_videos_per_prompt": n,
        "clip_skip": case["clip_skip"],
        "eta": 0.0,
        "decode_chunk_size": 16,
        "init_noise_sigma": float(init_sigma),
        "timesteps": sched.timesteps.tolist(),
        "video_frames": frames,
        "tensors": {f"{name}.{k}": {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", "")}
                    for k, v in out.items()},
    }
    report[name] = {"init_noise_sigma": float(init_sigma), "timesteps": sched.timesteps.tolist(),
                    "sigmas": out["sigmas"].tolist() if "sigmas" in out else None,
                    "video pixels clamped to 0 or 1": round(((video == 0) | (video == 1)).double()
                                                           .mean().item(), 5),
                    **{k: stats(v) for k, v in out.items()
                       if v.is_floating_point() and k not in ("timesteps", "sigmas")}}
    return {f"{name}.{k}": v for k, v in out.items()}, meta


def main():
    diffusers.utils.logging.disable_progress_bar()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    tensors, metas = {}, []
    with torch.no_grad():
        check_num_videos_is_ignored(CASES[1])
        check_clip_skip_is_positive_only()
        for case in CASES:
            t, m = run_case(case)
            tensors.update(t)
            metas.append(m)
            report[case["name"]]["float64 rerun"] = float64_gap(case, t)
    seed_check = torch.randn(SEED_CHECK["shape"],
                             generator=torch.Generator("cpu").manual_seed(SEED_CHECK["seed"]))
    tensors["seed_check"] = seed_check
    report["seed_check"] = stats(seed_check)

    out = {}
    for k, v in tensors.items():
        v = v.detach().to("cpu").contiguous().clone()
        assert v.dtype in (torch.float32, torch.int64), f"{k}: {v.dtype}"
        if v.is_floating_point():
            assert torch.isfinite(v).all(), f"{k} not finite"
        out[k] = v
    # One metadata key only: the safetensors writer keeps __metadata__ in a hash
    # map, so several keys would come out in a different order on every run.
    meta = {
        "generator": f"tests/reference/make_pipeline_reference.py (diffusers {diffusers.__version__}, "
                     f"transformers {transformers.__version__}, torch {torch.__version__})",
        "seed_check": SEED_CHECK,
        "cases": metas,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_file(out, str(OUT), metadata={"pipeline": json.dumps(json_safe(meta), allow_nan=False)})
    report["file"] = {"path": str(OUT.relative_to(REPO)), "bytes": OUT.stat().st_size,
                      "tensors": len(out)}
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
