// stillmoving-bench-train: times one Still-Moving training step: a rank-32
// Motion Adapter (or Spatial Adapters) on the frozen fp32 SD 1.5 UNet +
// AnimateDiff v2 motion modules (random weights; or the tiny test fixtures),
// the diffusion loss on random latents and a random text embedding, backward
// and an AdamW step: what StillMovingTrainer does per optimizer step, without
// the dataset. Reports seconds per step, peak RSS and, on CUDA, the caching
// allocator's peak. Run by hand (bench/README.md); bench/gpu_check runs it on a GPU.
// ref: diffusers v0.35.2 examples/text_to_image/train_text_to_image.py:1000-1080 (training step)
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 9)
#include <ATen/DeviceAccelerator.h>
#define SM_BENCH_DEVICE_STATS 1
#endif

#include "bench/bench_util.h"
#include "core/adapters/motion_adapter.h"
#include "core/adapters/spatial_adapters.h"
#include "core/diffusion/noise_schedule.h"
#include "core/engine/device.h"
#include "core/engine/memory_guard.h"
#include "core/engine/runtime.h"
#include "core/models/motion/motion_module_config.h"
#include "core/models/unet/unet_3d.h"
#include "core/models/unet/unet_config.h"
#include "core/models/unet/unet_loader.h"
#include "core/training/adamw_state.h"
#include "core/training/autocast.h"
#include "core/training/diffusion_loss.h"
#include "core/util/error.h"

#ifndef SM_FIXTURES_DIR
#define SM_FIXTURES_DIR "tests/data/fixtures"
#endif

namespace {

constexpr const char* kUsage =
    "usage: stillmoving-bench-train [--size full|tiny] [--adapter motion|spatial] [--rank 32]\n"
    "                               [--frames 16] [--width 256] [--height 256] [--steps 2] [--warmup 1]\n"
    "                               [--gradient-checkpointing on|off] [--device cpu|cuda]\n"
    "                               [--precision fp32|bf16] [--threads N] [--fixtures DIR]\n"
    "  One training step: diffusion loss (batch 1) through the frozen fp32 UNet3D with the adapter\n"
    "  attached, backward, AdamW. --adapter motion trains a Motion Adapter at a = 1; --adapter spatial\n"
    "  trains Spatial Adapters (all groups) beside a frozen Motion Adapter at a = 1, as the trainer does.\n"
    "  --size full: SD 1.5 + motion module v2 with random weights; tiny: the test fixtures\n"
    "  (sd15_tiny_diffusers + motion_adapter_tiny_v2_diffusers under --fixtures).\n"
    "  --precision bf16: autocast to bf16 on the device (weights, adapters and AdamW stay fp32); on\n"
    "                    the CPU fast only with AMX or AVX512-BF16 (stillmoving version --verbose).\n"
    "  --threads 0 (default): one per physical core. The last line of stdout is a JSON summary.\n";

struct TrainBenchArgs {
  std::string size = "full";
  std::string adapter = "motion";
  int64_t rank = 32;
  int64_t frames = 16;
  int64_t width = 256;
  int64_t height = 256;
  int steps = 2;
  int warmup = 1;
  bool gradientCheckpointing = true;
  std::string device = "cpu";
  std::string precision = "fp32";
  int threads = 0;
  std::string fixtures = SM_FIXTURES_DIR;
  bool help = false;
};

TrainBenchArgs parseArgs(int argc, char** argv) {
  TrainBenchArgs args;
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
    auto choice = [&](std::initializer_list<const char*> allowed) {
      const std::string v = value();
      for (const char* a : allowed)
        if (v == a) return v;
      throw std::invalid_argument(flag + ": unknown value " + v);
    };
    if (flag == "--size") {
      args.size = choice({"full", "tiny"});
    } else if (flag == "--adapter") {
      args.adapter = choice({"motion", "spatial"});
    } else if (flag == "--rank") {
      args.rank = number();
    } else if (flag == "--frames") {
      args.frames = number();
    } else if (flag == "--width") {
      args.width = number();
    } else if (flag == "--height") {
      args.height = number();
    } else if (flag == "--steps") {
      args.steps = static_cast<int>(number());
    } else if (flag == "--warmup") {
      args.warmup = static_cast<int>(number());
    } else if (flag == "--gradient-checkpointing") {
      args.gradientCheckpointing = choice({"on", "off"}) == "on";
    } else if (flag == "--device") {
      args.device = choice({"cpu", "cuda"});
    } else if (flag == "--precision") {
      args.precision = choice({"fp32", "bf16"});
    } else if (flag == "--threads") {
      args.threads = static_cast<int>(number());
    } else if (flag == "--fixtures") {
      args.fixtures = value();
    } else if (flag == "--help" || flag == "-h") {
      args.help = true;
    } else {
      throw std::invalid_argument("unknown option " + flag);
    }
  }
  if (args.frames < 1 || args.steps < 1 || args.rank < 1)
    throw std::invalid_argument("--frames, --steps and --rank must be at least 1");
  if (args.width % 8 != 0 || args.height % 8 != 0 || args.width == 0 || args.height == 0)
    throw std::invalid_argument("--width and --height must be positive multiples of 8");
  return args;
}

using sm::bench::cpuSeconds;
using sm::bench::currentRssGiB;
using sm::bench::maxRssGiB;
using sm::bench::median;
using sm::bench::resetPeakRss;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

/// The CUDA caching allocator's counters (through the device-generic
/// at::accelerator API, so no CUDA header is needed); absent without it.
struct CudaMemory {
  double peakAllocatedGiB = -1.0, peakReservedGiB = -1.0, allocatedGiB = -1.0;
};

void resetCudaPeak(torch::Device device) {
#ifdef SM_BENCH_DEVICE_STATS
  if (device.is_cuda()) at::accelerator::resetPeakStats(device.index());
#else
  (void)device;
#endif
}

std::optional<CudaMemory> cudaMemory(torch::Device device) {
#ifdef SM_BENCH_DEVICE_STATS
  if (!device.is_cuda()) return std::nullopt;
  const auto stats = at::accelerator::getDeviceStats(device.index());
  constexpr size_t kAggregate = 0;  // StatType::AGGREGATE
  CudaMemory m;
  m.peakAllocatedGiB = static_cast<double>(stats.allocated_bytes[kAggregate].peak) / kGiB;
  m.peakReservedGiB = static_cast<double>(stats.reserved_bytes[kAggregate].peak) / kGiB;
  m.allocatedGiB = static_cast<double>(stats.allocated_bytes[kAggregate].current) / kGiB;
  return m;
#else
  (void)device;
  return std::nullopt;
#endif
}

void synchronize(torch::Device device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// The frozen fp32 UNet3D on `device`, in training mode.
sm::models::UNet3D buildUNet(const TrainBenchArgs& args, torch::Device device) {
  sm::models::UNet3D unet{nullptr};
  if (args.size == "tiny") {
    sm::models::UNet3DLoadOptions options;
    options.device = device;
    options.dtype = torch::kFloat32;
    unet = sm::models::loadUNet3D(args.fixtures + "/sd15_tiny_diffusers",
                                  args.fixtures + "/motion_adapter_tiny_v2_diffusers", options);
  } else {
    torch::manual_seed(0);
    unet = sm::models::UNet3D(sm::models::UNetConfig{}, sm::models::MotionModuleConfig{});
    unet->to(device);
  }
  for (auto& p : unet->parameters()) p.requires_grad_(false);
  unet->train();
  unet->setGradientCheckpointing(args.gradientCheckpointing);
  return unet;
}

struct StepTimes {
  double total = 0, cpu = 0, forward = 0, backward = 0, optimizer = 0, loss = 0;
};

int runBench(const TrainBenchArgs& args) {
  const int threads = sm::engine::configureThreads(args.threads);
  const torch::Device device = sm::engine::selectDevice(args.device);
  const bool bf16 = args.precision == "bf16";

  const auto buildStart = std::chrono::steady_clock::now();
  sm::models::UNet3D unet = buildUNet(args, device);
  std::shared_ptr<sm::adapters::LowRankAdapter> trained;
  std::shared_ptr<sm::adapters::MotionAdapter> motion = sm::adapters::MotionAdapter::create(unet, {.rank = args.rank});
  motion->setScale(1.0);
  motion->attach(unet);
  if (args.adapter == "spatial") {
    // The trainer's second stage: the Motion Adapter (trained, frozen here) at
    // a = 1 while the Spatial Adapters learn.
    auto spatial = sm::adapters::SpatialAdapters::create(unet, {.rank = args.rank, .groups = {}, .seed = 1});
    spatial->attach(unet);
    trained = spatial;
  } else {
    trained = motion;
  }
  const sm::engine::NamedTensors trainable = trained->parameters();
  int64_t trainableCount = 0;
  for (const auto& [name, p] : trainable) {
    p.requires_grad_(true);
    trainableCount += p.numel();
  }
  int64_t frozenCount = 0;
  for (const auto& p : unet->parameters()) frozenCount += p.numel();
  torch::optim::AdamW optimizer(sm::training::trainableTensors(trainable), torch::optim::AdamWOptions(1e-4));
  const sm::diffusion::NoiseSchedule schedule{sm::diffusion::NoiseScheduleConfig{}};

  const int64_t context = unet->config().cross_attention_dim;
  auto inputGenerator = at::make_generator<at::CPUGeneratorImpl>(1234);
  const torch::Tensor latents =
      torch::randn({1, 4, args.frames, args.height / 8, args.width / 8}, inputGenerator).to(device);  // [1, 4, F, h, w]
  const torch::Tensor text = torch::randn({1, 77, context}, inputGenerator).to(device);               // [1, 77, ctx]
  synchronize(device);
  const double buildSeconds = secondsSince(buildStart);
  const double rssBuilt = currentRssGiB();
  const double peakBuild = maxRssGiB();
  const std::optional<CudaMemory> cudaBuilt = cudaMemory(device);
  const bool peakReset = resetPeakRss();
  resetCudaPeak(device);

  const std::string what = "training step of " + trained->describe() + " (" + args.size + " UNet3D, " +
                           std::to_string(args.frames) + " frames " + std::to_string(args.width) + "x" +
                           std::to_string(args.height) + ", " + device.str() + " " + args.precision +
                           ", gradient checkpointing " + (args.gradientCheckpointing ? "on" : "off") + ")";
  std::fprintf(stderr, "stillmoving-bench-train: %s, %d threads, LibTorch %s\n", what.c_str(), threads,
               sm::engine::libtorchVersion().c_str());
  std::fprintf(stderr, "  built in %.1f s: %lld frozen parameters, %lld trainable in %zu adapter layers\n",
               buildSeconds, static_cast<long long>(frozenCount), static_cast<long long>(trainableCount),
               trained->layerCount());

  std::vector<StepTimes> timed;
  std::vector<double> losses;
  bool finite = true;
  for (int i = 0; i < args.warmup + args.steps; ++i) {
    StepTimes t;
    const auto start = std::chrono::steady_clock::now();
    const double cpuStart = cpuSeconds();
    optimizer.zero_grad();
    auto generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(i) + 1);
    sm::engine::guardMemory("a training step", device, [&] {
      torch::Tensor loss;
      {
        sm::training::AutocastGuard autocast(device, torch::kBFloat16, bf16);
        loss = sm::training::diffusionLoss(unet, schedule, latents, text, generator);
      }
      synchronize(device);
      t.forward = secondsSince(start);
      const auto backwardStart = std::chrono::steady_clock::now();
      loss.backward();
      synchronize(device);
      t.backward = secondsSince(backwardStart);
      const auto stepStart = std::chrono::steady_clock::now();
      optimizer.step();
      synchronize(device);
      t.optimizer = secondsSince(stepStart);
      t.loss = loss.item<double>();
      return 0;
    });
    t.total = secondsSince(start);
    t.cpu = cpuSeconds() - cpuStart;
    finite = finite && std::isfinite(t.loss);
    const bool warm = i < args.warmup;
    if (!warm) {
      timed.push_back(t);
      losses.push_back(t.loss);
    }
    std::fprintf(
        stderr, "  %s %d: %.3f s (forward %.3f, backward %.3f, AdamW %.4f; CPU %.1f s) loss %.5f  RSS %.2f GiB\n",
        warm ? "warmup" : "step", i + 1, t.total, t.forward, t.backward, t.optimizer, t.cpu, t.loss, currentRssGiB());
  }
  const double peakRun = peakReset ? maxRssGiB() : -1.0;
  const double peak = std::max(peakBuild, maxRssGiB());
  const std::optional<CudaMemory> cudaRun = cudaMemory(device);

  std::vector<double> totals, cpus, forwards, backwards;
  for (const StepTimes& t : timed) {
    totals.push_back(t.total);
    cpus.push_back(t.cpu);
    forwards.push_back(t.forward);
    backwards.push_back(t.backward);
  }
  const double med = median(totals);
  std::printf("stillmoving %s\n", what.c_str());
  std::printf("  median %.3f s per step (forward %.3f, backward %.3f; CPU %.1f s) over %d steps after %d warmup\n", med,
              median(forwards), median(backwards), median(cpus), args.steps, args.warmup);
  std::printf("  RSS after build %.2f GiB; peak RSS %.2f GiB (building %.2f, steps %.2f)\n", rssBuilt, peak, peakBuild,
              peakRun);
  if (cudaRun)
    std::printf("  CUDA: peak allocated %.2f GiB, peak reserved %.2f GiB during the steps (%.2f GiB after build)\n",
                cudaRun->peakAllocatedGiB, cudaRun->peakReservedGiB, cudaBuilt ? cudaBuilt->allocatedGiB : -1.0);
  if (!finite) std::printf("  [loss not finite]\n");

  nlohmann::json j{{"impl", "stillmoving"},
                   {"what", "train-step"},
                   {"size", args.size},
                   {"adapter", args.adapter},
                   {"rank", args.rank},
                   {"frames", args.frames},
                   {"width", args.width},
                   {"height", args.height},
                   {"device", device.str()},
                   {"precision", args.precision},
                   {"gradient_checkpointing", args.gradientCheckpointing},
                   {"threads", threads},
                   {"warmup", args.warmup},
                   {"steps", args.steps},
                   {"times_s", totals},
                   {"forward_s", forwards},
                   {"backward_s", backwards},
                   {"median_s", med},
                   {"cpu_s", cpus},
                   {"losses", losses},
                   {"finite", finite},
                   {"trainable_params", trainableCount},
                   {"frozen_params", frozenCount},
                   {"build_s", buildSeconds},
                   {"rss_built_gib", rssBuilt},
                   {"peak_rss_build_gib", peakBuild},
                   {"peak_rss_run_gib", peakReset ? nlohmann::json(peakRun) : nlohmann::json(nullptr)},
                   {"peak_rss_gib", peak},
                   {"torch", sm::engine::libtorchVersion()}};
  if (cudaRun) {
    j["cuda_peak_allocated_gib"] = cudaRun->peakAllocatedGiB;
    j["cuda_peak_reserved_gib"] = cudaRun->peakReservedGiB;
    j["cuda_allocated_built_gib"] = cudaBuilt ? cudaBuilt->allocatedGiB : -1.0;
  }
  std::fflush(stdout);
  std::cout << j.dump() << std::endl;
  return finite ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  TrainBenchArgs args;
  try {
    args = parseArgs(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stillmoving-bench-train: %s\n%s", e.what(), kUsage);
    return 2;
  }
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  try {
    return runBench(args);
  } catch (const sm::OutOfMemoryError& e) {
    std::fprintf(stderr, "stillmoving-bench-train: %s\n", e.what());
    std::cout << nlohmann::json{{"impl", "stillmoving"}, {"what", "train-step"}, {"error", "out-of-memory"}}.dump()
              << std::endl;
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stillmoving-bench-train: %s\n", e.what());
    return 1;
  }
}
