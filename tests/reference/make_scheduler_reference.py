#!/usr/bin/env python3
"""Writes tests/data/parity/schedulers.safetensors: what diffusers' samplers
(DDIM, Euler, Euler ancestral, DPM-Solver++ 2M) and noise schedule compute, for
the C++ schedulers in core/diffusion/ to be compared against.

Run from the repository root with the throwaway reference environment
(diffusers 0.35.2):

    "$(bash tests/reference/make_env.sh)" tests/reference/make_scheduler_reference.py

Everything is float32 on the CPU, on one thread, with fixed seeds; the inputs
are generated here and saved, so the C++ side reads them instead of drawing
them. Rerunning the script gives a byte-identical file.

Each case drives a scheduler the way AnimateDiffPipeline does: set_timesteps(N),
latents = noise * init_noise_sigma, then for every timestep t_i
scale_model_input(latents, t_i) and latents = step(model_output[i], t_i, latents)
(with a CPU generator for the samplers that add noise). The model output of step
i is the fixed tensor inputs/model_output[i], whatever the sample: a scheduler
only combines numbers, so random "predictions" test it as well as a UNet's.

The list of cases (one JSON document in the single __metadata__ key "cases"; a
single key because the safetensors writer orders several keys differently on
every run) is described in tests/data/parity/README.md.
"""

import json
import os
from pathlib import Path

os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")

import diffusers
import torch
from diffusers import (DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler,
                       EulerAncestralDiscreteScheduler, EulerDiscreteScheduler)
from safetensors.torch import save_file

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "data" / "parity" / "schedulers.safetensors"

SAMPLE_SHAPE = (2, 4, 2, 3, 3)  # (batch, channels, frames, height, width), as AnimateDiff's latents
STEP_COUNTS = [3, 7, 25]
SPACINGS = ["leading", "linspace", "trailing"]
PREDICTIONS = ["epsilon", "v_prediction"]
INPUT_SEED = 3001
TRAINING_SEED = 3002
NOISE_SEED_BASE = 4000  # + case number, for the samplers that draw noise

# AnimateDiff's schedule (ARCHITECTURE_FACTS §3.8); a few cases use SD's.
SCHEDULE = {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012}

# Each diffusers class's default spacing, as animateDiffSchedulerConfig() uses.
DEFAULT_SPACING = {"ddim": "leading", "euler": "linspace", "euler-a": "linspace", "dpmpp-2m": "linspace"}


def saved_steps(n):
    """Every step of the short runs; the first two and the last of the long ones."""
    return list(range(n)) if n <= 7 else [0, 1, n - 1]


def make_cases():
    cases = []

    def add(sampler, spacing, prediction, n, beta="linear", offset=1, karras=False, alpha_one=True,
            clip=False, eta=0.0):
        name = f"{sampler}/{spacing}/{prediction}/{beta}/offset{offset}/n{n}"
        if sampler in ("euler", "euler-a", "dpmpp-2m"):
            name += "/karras" if karras else ""
        if sampler == "ddim":
            name += f"/alpha_one_{int(alpha_one)}/eta{eta:g}" + ("/clip" if clip else "")
        seed = None
        if sampler == "euler-a" or (sampler == "ddim" and eta > 0):
            seed = NOISE_SEED_BASE + len(cases)
        cases.append({"name": name, "prefix": f"c{len(cases):03d}/", "sampler": sampler, "beta_schedule": beta, **SCHEDULE,
                      "prediction_type": prediction, "timestep_spacing": spacing, "steps_offset": offset,
                      "use_karras_sigmas": karras, "set_alpha_to_one": alpha_one, "clip_sample": clip,
                      "eta": eta, "num_steps": n, "seed": seed, "saved_steps": saved_steps(n)})

    for n in STEP_COUNTS:
        for spacing in SPACINGS:
            for pred in PREDICTIONS:
                add("ddim", spacing, pred, n)
                for karras in (False, True):
                    for sampler in ("euler", "euler-a", "dpmpp-2m"):
                        add(sampler, spacing, pred, n, karras=karras)
            # DDIM's options: the last step's alpha, noise (eta), clipping.
            add("ddim", spacing, "epsilon", n, alpha_one=False)
            add("ddim", spacing, "epsilon", n, eta=0.5)
            add("ddim", spacing, "v_prediction", n, alpha_one=False, eta=1.0)
        add("ddim", "leading", "epsilon", n, clip=True)
    # SD's training schedule and diffusers' default steps_offset 0, once per sampler.
    for sampler in ("ddim", "euler", "euler-a", "dpmpp-2m"):
        add(sampler, DEFAULT_SPACING[sampler], "epsilon", 7, beta="scaled_linear")
        add(sampler, "leading", "epsilon", 7, offset=0)
    return cases


def scheduler_for(case):
    common = {"num_train_timesteps": case["num_train_timesteps"], "beta_start": case["beta_start"],
              "beta_end": case["beta_end"], "beta_schedule": case["beta_schedule"],
              "prediction_type": case["prediction_type"], "timestep_spacing": case["timestep_spacing"],
              "steps_offset": case["steps_offset"]}
    sampler = case["sampler"]
    if sampler == "ddim":
        return DDIMScheduler(**common, clip_sample=case["clip_sample"], set_alpha_to_one=case["set_alpha_to_one"])
    if sampler == "euler":
        return EulerDiscreteScheduler(**common, use_karras_sigmas=case["use_karras_sigmas"])
    if sampler == "euler-a":
        return EulerAncestralDiscreteScheduler(**common)
    if sampler == "dpmpp-2m":
        return DPMSolverMultistepScheduler(**common, algorithm_type="dpmsolver++", solver_order=2,
                                           solver_type="midpoint", lower_order_final=True, final_sigmas_type="zero",
                                           use_karras_sigmas=case["use_karras_sigmas"])
    raise ValueError(sampler)


def set_timesteps(scheduler, case):
    n = case["num_steps"]
    scheduler.set_timesteps(n)
    if case["sampler"] == "euler-a" and case["use_karras_sigmas"]:
        # EulerAncestralDiscreteScheduler 0.35.2 has no use_karras_sigmas. "Euler a
        # Karras" (k-diffusion's sample_euler_ancestral on Karras sigmas, A1111's
        # sampler of that name) is its step on EulerDiscreteScheduler's Karras
        # schedule; init_noise_sigma follows from the sigmas it is given.
        euler = EulerDiscreteScheduler(**{k: v for k, v in scheduler.config.items() if not k.startswith("_")},
                                       use_karras_sigmas=True)
        euler.set_timesteps(n)
        scheduler.sigmas = euler.sigmas.clone()
        scheduler.timesteps = euler.timesteps.clone()


def run_case(case, noise, model_output):
    scheduler = scheduler_for(case)
    set_timesteps(scheduler, case)
    n = case["num_steps"]
    assert len(scheduler.timesteps) == n, (case["name"], scheduler.timesteps)
    prefix = case["prefix"]
    out = {prefix + "timesteps": scheduler.timesteps.clone()}
    sigma = scheduler.init_noise_sigma
    out[prefix + "init_noise_sigma"] = torch.as_tensor(sigma, dtype=torch.float32).reshape(())
    if hasattr(scheduler, "sigmas") and case["sampler"] != "ddim":
        out[prefix + "sigmas"] = scheduler.sigmas.clone()
    generator = torch.Generator().manual_seed(case["seed"]) if case["seed"] is not None else None
    kwargs = {"generator": generator} if generator is not None else {}
    if case["sampler"] == "ddim":
        kwargs["eta"] = case["eta"]

    latents = noise * sigma  # AnimateDiffPipeline.prepare_latents
    euler_family = case["sampler"] in ("euler", "euler-a")
    for i, t in enumerate(scheduler.timesteps):
        scaled = scheduler.scale_model_input(latents, t)
        if not euler_family:
            assert scaled is latents, "DDIM / DPM scale_model_input is the identity"
        latents = scheduler.step(model_output[i], t, latents, **kwargs).prev_sample
        if hasattr(scheduler, "step_index") and scheduler.step_index is not None:
            assert scheduler.step_index == i + 1, (case["name"], i, scheduler.step_index)
        assert torch.isfinite(latents).all(), (case["name"], i)
        if i in case["saved_steps"]:
            if euler_family:
                out[prefix + f"step{i}/scaled"] = scaled
            out[prefix + f"step{i}/out"] = latents
    return out


def training_tensors():
    gen = torch.Generator().manual_seed(TRAINING_SEED)
    x0 = torch.randn(4, 4, 2, 4, 4, generator=gen)
    eps = torch.randn(4, 4, 2, 4, 4, generator=gen)
    timesteps = torch.tensor([0, 17, 499, 999], dtype=torch.int64)
    out = {"training/x0": x0, "training/noise": eps, "training/timesteps": timesteps}
    for beta in ("linear", "scaled_linear"):
        ddpm = DDPMScheduler(**SCHEDULE, beta_schedule=beta)
        out[f"alphas_cumprod/{beta}"] = ddpm.alphas_cumprod.clone()
        out[f"training/{beta}/noisy"] = ddpm.add_noise(x0, eps, timesteps)
        out[f"training/{beta}/velocity"] = ddpm.get_velocity(x0, eps, timesteps)
    return out


def main():
    diffusers.utils.logging.disable_progress_bar()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(INPUT_SEED)
    noise = torch.randn(SAMPLE_SHAPE, generator=gen)
    model_output = torch.randn((max(STEP_COUNTS),) + SAMPLE_SHAPE, generator=gen)
    tensors = {"inputs/noise": noise, "inputs/model_output": model_output}
    cases = make_cases()
    with torch.no_grad():
        for case in cases:
            tensors.update(run_case(case, noise, model_output))
        tensors.update(training_tensors())
    tensors = {k: v.detach().contiguous().clone() for k, v in tensors.items()}
    for k, v in tensors.items():
        assert v.dtype in (torch.float32, torch.int64), (k, v.dtype)
    meta = {"generator": f"tests/reference/make_scheduler_reference.py (diffusers {diffusers.__version__}, "
                         f"torch {torch.__version__})",
            "sample_shape": list(SAMPLE_SHAPE), "cases": cases}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(OUT), metadata={"cases": json.dumps(meta, sort_keys=True)})
    print(f"{OUT.relative_to(REPO)}: {len(cases)} cases, {len(tensors)} tensors, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
