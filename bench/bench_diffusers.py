#!/usr/bin/env python3
"""The diffusers side of bench/run_bench.sh: times what AnimateDiffPipeline
does for one denoising step or one VAE decode, on the full-size SD 1.5 UNet +
AnimateDiff v2 motion adapter (random weights from their configs, nothing
downloaded), on the CPU in fp32 or bf16 (the whole pipeline in torch_dtype, as
`.to(torch.bfloat16)` does), and reports the median time and resident memory
with the same fields as `stillmoving-bench --json`.

    PY=$(bash tests/reference/make_env.sh)
    HF_HUB_OFFLINE=1 $PY bench/bench_diffusers.py --what step --threads 2 --json

step: the pipeline itself is called (prompt embeddings given, output_type
"latent", 25 DDIM steps) and interrupted after its first step, so the timed
work is exactly one iteration of its denoising loop: concat [uncond, cond]
latents, unet(...).sample, chunk, guidance 7.5, DDIMScheduler.step. The
pipeline is built as from_pretrained builds it: AnimateDiffPipeline(unet=
UNet2DConditionModel, motion_adapter=MotionAdapter), which makes the
UNetMotionModel with from_unet2d and keeps the adapter as a component.
decode: AnimateDiffPipeline.decode_latents (chunks of decode_chunk_size), under
torch.no_grad as in __call__. Run one measurement per process: peak RSS is per
process.
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
from diffusers import (AnimateDiffPipeline, AutoencoderKL, DDIMScheduler, MotionAdapter,  # noqa: E402
                       UNet2DConditionModel)

# runwayml/stable-diffusion-v1-5 unet/config.json and vae/config.json.
SD15_UNET = dict(
    sample_size=64, in_channels=4, out_channels=4, center_input_sample=False, flip_sin_to_cos=True, freq_shift=0,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    mid_block_type="UNetMidBlock2DCrossAttn",
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(320, 640, 1280, 1280), layers_per_block=2, downsample_padding=1, mid_block_scale_factor=1,
    act_fn="silu", norm_num_groups=32, norm_eps=1e-5, cross_attention_dim=768, attention_head_dim=8)
SD15_VAE = dict(
    in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(128, 256, 512, 512), layers_per_block=2,
    down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, act_fn="silu",
    norm_num_groups=32, sample_size=512, scaling_factor=0.18215)
# guoyww/animatediff-motion-adapter-v1-5-2 config.json.
MOTION_ADAPTER_V2 = dict(
    block_out_channels=(320, 640, 1280, 1280), motion_layers_per_block=2, motion_mid_block_layers_per_block=1,
    motion_num_attention_heads=8, motion_norm_num_groups=32, motion_max_seq_length=32, use_motion_mid_block=True)
# AnimateDiff's inference scheduler (configs/inference/inference-v2.yaml).
DDIM = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="linear", steps_offset=1,
            clip_sample=False, set_alpha_to_one=True)


def max_rss_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024.0 * 1024.0)  # KiB on Linux


def cpu_seconds():
    """User plus system CPU time of the process, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def current_rss_gib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / (1024.0 * 1024.0)
    return -1.0


def reset_peak_rss():
    """Resets the high-water mark ru_maxrss reports (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def denoising_step(args):
    unet = UNet2DConditionModel(**SD15_UNET)
    adapter = MotionAdapter(**MOTION_ADAPTER_V2)
    pipe = AnimateDiffPipeline(vae=None, text_encoder=None, tokenizer=None, unet=unet, motion_adapter=adapter,
                               scheduler=DDIMScheduler(**DDIM))
    del unet, adapter  # the pipeline holds its UNetMotionModel and the adapter
    pipe.unet.eval()
    pipe.set_progress_bar_config(disable=True)
    pipe.to(dtype=args.torch_dtype)
    negative = torch.randn(1, 77, 768).to(args.torch_dtype)
    positive = torch.randn(1, 77, 768).to(args.torch_dtype)

    def stop_after_first_step(pipeline, i, t, callback_kwargs):
        pipeline._interrupt = True
        return {}

    def run():
        return pipe(prompt_embeds=positive, negative_prompt_embeds=negative, num_frames=args.frames,
                    height=args.height, width=args.width, num_inference_steps=25, guidance_scale=7.5,
                    output_type="latent", callback_on_step_end=stop_after_first_step).frames

    description = "denoising step (AnimateDiffPipeline, CFG, UNetMotionModel, DDIMScheduler, first of 25 steps)"
    return run, description


def vae_decode(args):
    vae = AutoencoderKL(**SD15_VAE)
    pipe = AnimateDiffPipeline(vae=vae, text_encoder=None, tokenizer=None, unet=None, motion_adapter=None,
                               scheduler=DDIMScheduler(**DDIM))
    del vae
    pipe.vae.eval()
    pipe.to(dtype=args.torch_dtype)
    latents = torch.randn(1, 4, args.frames, args.height // 8, args.width // 8).to(args.torch_dtype)

    def run():
        with torch.no_grad():
            return pipe.decode_latents(latents, decode_chunk_size=args.decode_chunk)

    return run, f"VAE decode (AnimateDiffPipeline.decode_latents, chunks of {args.decode_chunk} frames)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--what", choices=["step", "decode"], default="step")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--height", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="0: torch's default")
    parser.add_argument("--decode-chunk", type=int, default=16)
    parser.add_argument("--profile", metavar="TABLE.txt",
                        help="run once more, untimed, under torch.profiler and write its op table")
    parser.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.torch_dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    build_start = time.perf_counter()
    run, description = denoising_step(args) if args.what == "step" else vae_decode(args)
    build_s = time.perf_counter() - build_start
    rss_built = current_rss_gib()
    peak_build = max_rss_gib()
    peak_reset = reset_peak_rss()

    times, cpu_times = [], []
    finite = True
    for i in range(args.warmup + args.repeats):
        start, cpu_start = time.perf_counter(), cpu_seconds()
        out = run()
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
        finite = finite and bool(torch.isfinite(out).all())
        if i >= args.warmup:
            times.append(seconds)
            cpu_times.append(cpu)
        if not args.json:
            print(f"  {'warmup' if i < args.warmup else 'run'} {i + 1}: {seconds:.2f} s (CPU {cpu:.2f} s)",
                  file=sys.stderr)
    peak_run = max_rss_gib() if peak_reset else None
    peak = max(peak_build, max_rss_gib())
    if args.profile:
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            run()
        with open(args.profile, "w") as f:
            f.write(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=60))
    med = statistics.median(times)

    if args.json:
        import diffusers
        print(json.dumps(dict(
            impl="diffusers", what=args.what, frames=args.frames, width=args.width, height=args.height,
            threads=torch.get_num_threads(), warmup=args.warmup, repeats=args.repeats, grad_mode="no-grad", dtype_asked=args.dtype, dtype=args.dtype,
            times_s=times, median_s=med, min_s=min(times), cpu_s=cpu_times, median_cpu_s=statistics.median(cpu_times), build_s=build_s, rss_built_gib=rss_built, peak_rss_build_gib=peak_build,
            peak_rss_run_gib=peak_run, peak_rss_gib=peak, finite=finite, torch=torch.__version__,
            diffusers=diffusers.__version__)))
    else:
        print(f"diffusers {description}, {args.dtype}: {args.frames} frames {args.width}x{args.height}, "
              f"{torch.get_num_threads()} threads, torch {torch.__version__}")
        print(f"  median {med:.2f} s (CPU {statistics.median(cpu_times):.2f} s) over {args.repeats} runs "
              f"(after {args.warmup} warmup)"
              + ("" if finite else "  [output not finite]"))
        print(f"  RSS after build {rss_built:.2f} GiB; peak RSS {peak:.2f} GiB "
              f"(building {peak_build:.2f}, timed part {peak_run if peak_run is not None else -1:.2f})")


if __name__ == "__main__":
    main()
