// stillmoving-bench: times one denoising step or one VAE decode of the
// full-size SD 1.5 + AnimateDiff v2 architecture with random weights on the
// CPU, in fp32, bf16 or the precision `--dtype auto` picks, and reports the
// median time and the resident memory. Run by hand; bench/run_bench.sh runs it
// beside bench/bench_diffusers.py, which does the same with diffusers'
// AnimateDiffPipeline (bench/README.md).
// ref: diffusers v0.35.2 src/diffusers/pipelines/animatediff/pipeline_animatediff.py:816-839 (denoising loop)
// ref: diffusers v0.35.2 src/diffusers/pipelines/animatediff/pipeline_animatediff.py:409-425 (decode_latents)
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "core/engine/device.h"
#include "core/engine/runtime.h"
#include "core/models/motion/motion_module_config.h"
#include "core/models/unet/unet_3d.h"
#include "core/models/unet/unet_config.h"
#include "core/models/vae/autoencoder_kl.h"
#include "core/models/vae/vae_config.h"

namespace {

constexpr const char* kUsage =
    "usage: stillmoving-bench [--what step|decode] [--frames 16] [--width 256] [--height 256]\n"
    "                         [--repeats 3] [--warmup 1] [--threads N] [--decode-chunk 16]\n"
    "                         [--dtype fp32|bf16|auto] [--grad-mode inference|no-grad]\n"
    "                         [--profile TRACE.json] [--json]\n"
    "  step:   one denoising step of SD 1.5 + motion module v2 (random weights): classifier-free\n"
    "          guidance (batch 2, scale 7.5), UNet forward, guidance, DDIM update\n"
    "  decode: SD 1.5 VAE decode of all frames in chunks of --decode-chunk (AnimateDiff's decode_latents)\n"
    "  --threads 0 (default): one per physical core\n"
    "  --dtype: the UNet's, as the pipeline runs it: latents, guidance and the DDIM update in fp32,\n"
    "          the VAE in fp32 on the CPU whatever the UNet's (engine::dtypeAroundUNet); auto: bf16\n"
    "          where the CPU has AMX or AVX512-BF16, else fp32 (default: fp32)\n"
    "  --profile: run once more, untimed, under the LibTorch profiler and write a chrome trace\n";

struct BenchArgs {
  std::string what = "step";
  int64_t frames = 16;
  int64_t width = 256;
  int64_t height = 256;
  int repeats = 3;
  int warmup = 1;
  int threads = 0;
  int64_t decodeChunk = 16;
  std::string dtype = "fp32";
  bool inferenceMode = true;
  std::string profilePath;
  bool json = false;
  bool help = false;
};

BenchArgs parseArgs(int argc, char** argv) {
  BenchArgs args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
      return argv[++i];
    };
    auto number = [&]() -> int64_t {
      const std::string v = value();
      size_t used = 0;
      const int64_t n = std::stoll(v, &used);
      if (used != v.size() || n < 0) throw std::invalid_argument(flag + ": not a non-negative integer: " + v);
      return n;
    };
    if (flag == "--what") {
      args.what = value();
    } else if (flag == "--frames") {
      args.frames = number();
    } else if (flag == "--width") {
      args.width = number();
    } else if (flag == "--height") {
      args.height = number();
    } else if (flag == "--repeats") {
      args.repeats = static_cast<int>(number());
    } else if (flag == "--warmup") {
      args.warmup = static_cast<int>(number());
    } else if (flag == "--threads") {
      args.threads = static_cast<int>(number());
    } else if (flag == "--decode-chunk") {
      args.decodeChunk = number();
    } else if (flag == "--dtype") {
      args.dtype = value();
      if (args.dtype != "fp32" && args.dtype != "bf16" && args.dtype != "auto")
        throw std::invalid_argument("--dtype: fp32, bf16 or auto");
    } else if (flag == "--grad-mode") {
      const std::string mode = value();
      if (mode != "inference" && mode != "no-grad") throw std::invalid_argument("--grad-mode: inference or no-grad");
      args.inferenceMode = mode == "inference";
    } else if (flag == "--profile") {
      args.profilePath = value();
    } else if (flag == "--json") {
      args.json = true;
    } else if (flag == "--help" || flag == "-h") {
      args.help = true;
    } else {
      throw std::invalid_argument("unknown option " + flag);
    }
  }
  if (args.what != "step" && args.what != "decode") throw std::invalid_argument("--what: step or decode");
  if (args.frames < 1 || args.repeats < 1 || args.decodeChunk < 1)
    throw std::invalid_argument("--frames, --repeats and --decode-chunk must be at least 1");
  if (args.width % 8 != 0 || args.height % 8 != 0 || args.width == 0 || args.height == 0)
    throw std::invalid_argument("--width and --height must be positive multiples of 8");
  return args;
}

using sm::bench::cpuSeconds;
using sm::bench::currentRssGiB;
using sm::bench::maxRssGiB;
using sm::bench::median;
using sm::bench::resetPeakRss;

// One DDIM step (eta 0, epsilon prediction) of AnimateDiff's schedule: betas
// linear from 0.00085 to 0.012 over 1000 training steps, 25 inference steps with
// leading spacing and steps_offset 1, so the first step goes from t = 961 to 921.
// ref: diffusers v0.35.2 src/diffusers/schedulers/scheduling_ddim.py:342 (DDIMScheduler.step)
struct DDIMStep {
  int64_t timestep = 0;
  double alphaProd = 1.0;
  double alphaProdPrev = 1.0;

  static DDIMStep first(int inferenceSteps) {
    constexpr int64_t kTrainSteps = 1000;
    const auto betas = torch::linspace(0.00085, 0.012, kTrainSteps, torch::kFloat32);
    const auto alphasCumprod = torch::cumprod(1.0 - betas, 0);
    const int64_t ratio = kTrainSteps / inferenceSteps;
    DDIMStep step;
    step.timestep = (inferenceSteps - 1) * ratio + 1;
    step.alphaProd = alphasCumprod[step.timestep].item<double>();
    step.alphaProdPrev = alphasCumprod[step.timestep - ratio].item<double>();
    return step;
  }

  torch::Tensor operator()(const torch::Tensor& noisePred, const torch::Tensor& sample) const {
    const auto predOriginal = (sample - std::sqrt(1.0 - alphaProd) * noisePred) / std::sqrt(alphaProd);
    return std::sqrt(alphaProdPrev) * predOriginal + std::sqrt(1.0 - alphaProdPrev) * noisePred;
  }
};

// A benchmark: the model is built by the constructor; run() is what is timed.
struct Workload {
  std::function<torch::Tensor()> run;
  std::string description;
};

Workload denoisingStep(const BenchArgs& args, torch::ScalarType dtype) {
  constexpr double kGuidanceScale = 7.5;
  sm::models::UNet3D unet(sm::models::UNetConfig{}, sm::models::MotionModuleConfig{});
  unet->to(dtype);
  unet->eval();
  const DDIMStep ddim = DDIMStep::first(25);
  auto latents = torch::randn({1, 4, args.frames, args.height / 8, args.width / 8});  // [1, 4, F, h, w]
  // [negative; positive], as the pipeline concatenates them, in the UNet's dtype.
  auto promptEmbeds = torch::randn({2, 77, 768}).to(dtype);
  auto timestep = torch::tensor(ddim.timestep, torch::kInt64);
  Workload w;
  w.description = "denoising step (CFG batch 2, UNet + motion module v2, DDIM t=" + std::to_string(ddim.timestep) + ")";
  w.run = [=]() mutable {
    auto modelInput = torch::cat({latents, latents}).to(dtype);                              // [2, 4, F, h, w]
    auto noisePred = unet->forward(modelInput, timestep, promptEmbeds).to(torch::kFloat32);  // [2, 4, F, h, w]
    auto halves = noisePred.chunk(2);
    auto guided = halves[0] + kGuidanceScale * (halves[1] - halves[0]);  // [1, 4, F, h, w]
    return ddim(guided, latents);
  };
  return w;
}

Workload vaeDecode(const BenchArgs& args, torch::ScalarType dtype) {
  sm::models::AutoencoderKL vae(sm::models::VAEConfig{});
  vae->to(dtype);
  vae->eval();
  const double scaling = vae->config().scaling_factor;
  const int64_t chunk = args.decodeChunk;
  auto latents = torch::randn({1, 4, args.frames, args.height / 8, args.width / 8});  // [1, 4, F, h, w]
  Workload w;
  w.description = "VAE decode (chunks of " + std::to_string(chunk) + " frames)";
  w.run = [=]() mutable {
    const int64_t b = latents.size(0), frames = latents.size(2);
    auto z = (latents / scaling)
                 .to(dtype)
                 .permute({0, 2, 1, 3, 4})
                 .reshape({b * frames, 4, latents.size(3), latents.size(4)});
    auto images = vae->decodeSliced(z, chunk);  // [b*F, 3, H, W]
    return images.view({b, frames, images.size(1), images.size(2), images.size(3)})
        .permute({0, 2, 1, 3, 4});  // [b, 3, F, H, W]
  };
  return w;
}

int runBench(const BenchArgs& args) {
  const int threads = sm::engine::configureThreads(args.threads);
  torch::manual_seed(0);
  const auto buildStart = std::chrono::steady_clock::now();
  const torch::ScalarType unetDtype = sm::engine::selectDtype(args.dtype, torch::kCPU);
  const torch::ScalarType vaeDtype = sm::engine::dtypeAroundUNet(unetDtype, torch::kCPU);
  Workload work = args.what == "step" ? denoisingStep(args, unetDtype) : vaeDecode(args, vaeDtype);
  const double buildSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - buildStart).count();
  const double rssBuilt = currentRssGiB();
  const double peakBuild = maxRssGiB();
  const bool peakReset = resetPeakRss();

  std::optional<c10::InferenceMode> inference;
  std::optional<torch::NoGradGuard> noGrad;
  if (args.inferenceMode)
    inference.emplace();
  else
    noGrad.emplace();
  std::vector<double> times, cpuTimes;
  bool finite = true;
  for (int i = 0; i < args.warmup + args.repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const double cpuStart = cpuSeconds();
    auto out = work.run();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = cpuSeconds() - cpuStart;
    finite = finite && torch::isfinite(out).all().item<bool>();
    if (i >= args.warmup) {
      times.push_back(seconds);
      cpuTimes.push_back(cpu);
    }
    if (!args.json)
      std::fprintf(stderr, "  %s %d: %.2f s (CPU %.2f s)\n", i < args.warmup ? "warmup" : "run", i + 1, seconds, cpu);
  }
  const double peakRun = peakReset ? maxRssGiB() : -1.0;
  if (!args.profilePath.empty()) {
    torch::autograd::profiler::RecordProfile profile(args.profilePath);
    work.run();
  }
  const double peak = std::max(peakBuild, maxRssGiB());
  const double med = median(times);

  if (args.json) {
    nlohmann::json j{{"impl", "stillmoving"},
                     {"what", args.what},
                     {"frames", args.frames},
                     {"width", args.width},
                     {"height", args.height},
                     {"threads", threads},
                     {"warmup", args.warmup},
                     {"repeats", args.repeats},
                     {"grad_mode", args.inferenceMode ? "inference" : "no-grad"},
                     {"dtype_asked", args.dtype},
                     {"dtype", sm::engine::dtypeName(args.what == "step" ? unetDtype : vaeDtype)},
                     {"times_s", times},
                     {"median_s", med},
                     {"min_s", *std::min_element(times.begin(), times.end())},
                     {"cpu_s", cpuTimes},
                     {"median_cpu_s", median(cpuTimes)},
                     {"build_s", buildSeconds},
                     {"rss_built_gib", rssBuilt},
                     {"peak_rss_build_gib", peakBuild},
                     {"peak_rss_run_gib", peakReset ? nlohmann::json(peakRun) : nlohmann::json(nullptr)},
                     {"peak_rss_gib", peak},
                     {"finite", finite},
                     {"torch", sm::engine::libtorchVersion()}};
    std::cout << j.dump() << "\n";
  } else {
    std::printf("stillmoving %s, %s: %lld frames %lldx%lld, %d threads, LibTorch %s\n", work.description.c_str(),
                sm::engine::dtypeName(args.what == "step" ? unetDtype : vaeDtype).c_str(),
                static_cast<long long>(args.frames), static_cast<long long>(args.width),
                static_cast<long long>(args.height), threads, sm::engine::libtorchVersion().c_str());
    std::printf("  median %.2f s (CPU %.2f s) over %d runs (after %d warmup)%s\n", med, median(cpuTimes), args.repeats,
                args.warmup, finite ? "" : "  [output not finite]");
    std::printf("  RSS after build %.2f GiB; peak RSS %.2f GiB (building %.2f, timed part %.2f)\n", rssBuilt, peak,
                peakBuild, peakRun);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  BenchArgs args;
  try {
    args = parseArgs(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stillmoving-bench: %s\n%s", e.what(), kUsage);
    return 2;
  }
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  try {
    return runBench(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stillmoving-bench: %s\n", e.what());
    return 1;
  }
}
