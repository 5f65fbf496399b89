// gpu_check: what only a GPU can show, on the tiny test fixtures, in one run
// (bench/gpu_check/README.md). Prints one PASS / FAIL / SKIP line per check and a
// closing "gpu_check: N passed, N failed, N skipped"; exits 1 when a check failed.
//   a  the UNet3D forward (video mode) on CUDA in fp32 / fp16 / bf16 against the CPU's fp32
//   b  Motion Adapter + Spatial Adapters made on the CPU, attached to the fp16 CUDA UNet:
//      the same output as on the CPU; merged equals unmerged
//   c  a training step (bf16 autocast, gradient checkpointing): the CPU's loss, finite
//      non-zero adapter gradients, AdamW changes the adapters and nothing else
//   d  an absurd allocation inside engine::guardMemory gives sm::OutOfMemoryError
// Without a usable GPU the CUDA checks print SKIP with the reason and the CPU halves run.
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/adapters/motion_adapter.h"
#include "core/adapters/spatial_adapters.h"
#include "core/diffusion/noise_schedule.h"
#include "core/engine/device.h"
#include "core/engine/memory_guard.h"
#include "core/engine/runtime.h"
#include "core/models/unet/unet_loader.h"
#include "core/training/adamw_state.h"
#include "core/training/autocast.h"
#include "core/training/diffusion_loss.h"
#include "core/util/error.h"

#ifndef SM_FIXTURES_DIR
#define SM_FIXTURES_DIR "tests/data/fixtures"
#endif

namespace {

using sm::adapters::LowRankAdapter;
using sm::models::UNet3D;

// --- Reporting ---------------------------------------------------------------

struct Tally {
  int passed = 0, failed = 0, skipped = 0;

  bool check(const std::string& name, bool ok, const std::string& detail) {
    std::printf("%s %s: %s\n", ok ? "PASS" : "FAIL", name.c_str(), detail.c_str());
    std::fflush(stdout);
    ++(ok ? passed : failed);
    return ok;
  }
  void skip(const std::string& name, const std::string& why) {
    std::printf("SKIP %s: %s\n", name.c_str(), why.c_str());
    std::fflush(stdout);
    ++skipped;
  }
  static void info(const std::string& name, const std::string& detail) {
    std::printf("INFO %s: %s\n", name.c_str(), detail.c_str());
    std::fflush(stdout);
  }
  /// Runs one group of checks; an exception fails it (the next group still runs).
  void section(const std::string& name, const std::function<void()>& body) {
    try {
      body();
    } catch (const std::exception& e) {
      check(name, false, std::string("threw: ") + e.what());
    }
  }
};

std::string fmt(const char* format, double a, double b = 0, double c = 0, double d = 0) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, format, a, b, c, d);
  return buffer;
}

/// How far `got` is from `ref`, in float64 on the CPU.
struct Diff {
  double maxAbs = NAN, relL2 = NAN, refMaxAbs = NAN;
  bool finite = false;
  bool within(double relTolerance) const { return finite && relL2 <= relTolerance; }
  std::string str() const { return fmt("max abs err %.3g (ref max %.3g), rel L2 err %.3g", maxAbs, refMaxAbs, relL2); }
};

Diff compare(const torch::Tensor& got, const torch::Tensor& ref) {
  const torch::Tensor g = got.detach().to(torch::kCPU, torch::kFloat64);
  const torch::Tensor r = ref.detach().to(torch::kCPU, torch::kFloat64);
  Diff d;
  if (g.sizes() != r.sizes()) return d;
  d.finite = torch::isfinite(g).all().item<bool>();
  const torch::Tensor diff = g - r;
  d.maxAbs = diff.abs().max().item<double>();
  d.refMaxAbs = r.abs().max().item<double>();
  d.relL2 = diff.norm().item<double>() / std::max(r.norm().item<double>(), 1e-30);
  return d;
}

double cosine(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor x = a.to(torch::kFloat64), y = b.to(torch::kFloat64);
  return (x * y).sum().item<double>() / std::max(x.norm().item<double>() * y.norm().item<double>(), 1e-300);
}

// --- Models and adapters -----------------------------------------------------

struct Context {
  std::string fixtures;
  bool cuda = false;
  std::string noCudaReason;
  torch::Device gpu{torch::kCUDA, 0};
};

UNet3D loadTiny(const Context& ctx, torch::Device device, torch::ScalarType dtype) {
  sm::models::UNet3DLoadOptions options;
  options.device = device;
  options.dtype = dtype;
  UNet3D unet = sm::models::loadUNet3D(ctx.fixtures + "/sd15_tiny_diffusers",
                                       ctx.fixtures + "/motion_adapter_tiny_v2_diffusers", options);
  unet->eval();
  return unet;
}

struct Inputs {
  torch::Tensor sample, timestep, text;  // [1, 4, F, h, w], scalar, [1, 77, ctx]; float32 on the CPU
};

Inputs makeInputs(const UNet3D& unet) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(1);
  Inputs in;
  in.sample = torch::randn({1, 4, 8, 16, 16}, generator);
  in.timestep = torch::tensor(421, torch::kInt64);
  in.text = torch::randn({1, 77, unet->config().cross_attention_dim}, generator);
  return in;
}

torch::Tensor forward(UNet3D& unet, const Inputs& in, torch::Device device, torch::ScalarType dtype) {
  torch::NoGradGuard noGrad;
  torch::Tensor out =
      unet->forward(in.sample.to(device, dtype), in.timestep.to(device), in.text.to(device, dtype));  // [1, 4, F, h, w]
  return out.to(torch::kCPU, torch::kFloat32);
}

/// Gives every B (lora_B) a random value, so the adapter does something.
void randomizeUp(const LowRankAdapter& adapter, uint64_t seed, double stddev) {
  torch::NoGradGuard noGrad;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (const auto& [name, t] : adapter.parameters())
    if (name.find(".lora_B.") != std::string::npos) {
      torch::Tensor value = torch::randn(t.sizes(), generator) * stddev;
      const_cast<torch::Tensor&>(t).copy_(value.to(t.device(), t.scalar_type()));
    }
}

/// A Motion Adapter (scale 0.8) and Spatial Adapters, both rank 8, made on
/// `unet` with fixed seeds and random B: the same values on every call.
struct AdapterPair {
  std::shared_ptr<sm::adapters::MotionAdapter> motion;
  std::shared_ptr<sm::adapters::SpatialAdapters> spatial;

  static AdapterPair make(UNet3D& unet, double motionScale = 0.8) {
    AdapterPair p;
    p.motion = sm::adapters::MotionAdapter::create(unet, {.rank = 8, .seed = 1});
    p.spatial = sm::adapters::SpatialAdapters::create(unet, {.rank = 8, .groups = {}, .seed = 2});
    randomizeUp(*p.motion, 11, 0.05);
    randomizeUp(*p.spatial, 12, 0.05);
    p.motion->setScale(motionScale);
    return p;
  }
  void attach(UNet3D& unet) const {
    motion->attach(unet);
    spatial->attach(unet);
  }
  void detach(UNet3D& unet) const {
    motion->detach(unet);
    spatial->detach(unet);
  }
  void merge(UNet3D& unet) const {
    motion->merge(unet);
    spatial->merge(unet);
  }
  sm::engine::NamedTensors parameters() const {
    sm::engine::NamedTensors all = motion->parameters();
    for (auto& item : spatial->parameters()) all.push_back(item);
    return all;
  }
};

// Relative L2 tolerances of a whole tiny-UNet forward against the CPU's fp32.
// fp32 on CUDA: cuDNN convolutions may use TF32 (LibTorch's default), ~1e-3.
double forwardTolerance(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kFloat16: return 1.5e-2;
    case torch::kBFloat16: return 8e-2;
    default: return 5e-3;
  }
}

// --- a: forward parity -------------------------------------------------------

void checkForward(Tally& tally, const Context& ctx, std::map<torch::ScalarType, UNet3D>& cudaModels) {
  UNet3D cpu = loadTiny(ctx, torch::kCPU, torch::kFloat32);
  const Inputs in = makeInputs(cpu);
  const torch::Tensor ref = forward(cpu, in, torch::kCPU, torch::kFloat32);
  const bool refOk = ref.sizes() == in.sample.sizes() && torch::isfinite(ref).all().item<bool>();
  tally.check("a/cpu-fp32-forward", refOk,
              "output [1, 4, 8, 16, 16] finite" + fmt(", |max| %.3g", ref.abs().max().item<double>()));

  // The CPU's bf16 forward against its fp32: the same comparison without a GPU.
  UNet3D cpuBf16 = loadTiny(ctx, torch::kCPU, torch::kBFloat16);
  const Diff bf16 = compare(forward(cpuBf16, in, torch::kCPU, torch::kBFloat16), ref);
  tally.check("a/cpu-bf16-forward-vs-cpu-fp32", bf16.within(forwardTolerance(torch::kBFloat16)),
              bf16.str() + fmt(" (tolerance %.3g)", forwardTolerance(torch::kBFloat16)));

  if (!ctx.cuda) {
    tally.skip("a/cuda-forward-vs-cpu", "no usable CUDA GPU: " + ctx.noCudaReason);
    return;
  }
  Tally::info("a/cuda-settings", std::string("cuDNN TF32 ") + (at::globalContext().allowTF32CuDNN() ? "on" : "off") +
                                     ", cuBLAS TF32 " + (at::globalContext().allowTF32CuBLAS() ? "on" : "off"));
  for (torch::ScalarType dtype : {torch::kFloat32, torch::kFloat16, torch::kBFloat16}) {
    const std::string name = "a/cuda-" + sm::engine::dtypeName(dtype) + "-forward-vs-cpu-fp32";
    tally.section(name, [&] {
      UNet3D gpu = loadTiny(ctx, ctx.gpu, dtype);
      const Diff d = compare(forward(gpu, in, ctx.gpu, dtype), ref);
      tally.check(name, d.within(forwardTolerance(dtype)), d.str() + fmt(" (tolerance %.3g)", forwardTolerance(dtype)));
      cudaModels.emplace(dtype, gpu);
    });
  }
}

// --- b: adapters on the fp16 GPU UNet ----------------------------------------

void checkAdapters(Tally& tally, const Context& ctx, std::map<torch::ScalarType, UNet3D>& cudaModels) {
  UNet3D cpu = loadTiny(ctx, torch::kCPU, torch::kFloat32);
  const Inputs in = makeInputs(cpu);
  const torch::Tensor plain = forward(cpu, in, torch::kCPU, torch::kFloat32);
  const AdapterPair adapters = AdapterPair::make(cpu);
  adapters.attach(cpu);
  const torch::Tensor adapted = forward(cpu, in, torch::kCPU, torch::kFloat32);
  const Diff effect = compare(adapted, plain);
  tally.check(
      "b/cpu-adapters-change-the-output", effect.finite && effect.relL2 > 0.05,
      fmt("adapted vs plain rel L2 %.3g (motion %g layers, spatial %g layers)", effect.relL2,
          static_cast<double>(adapters.motion->layerCount()), static_cast<double>(adapters.spatial->layerCount())));

  {
    UNet3D cpuMerged = loadTiny(ctx, torch::kCPU, torch::kFloat32);
    const AdapterPair twin = AdapterPair::make(cpuMerged);
    // Both attached before either merges: merging the Motion Adapter changes the
    // motion modules that the Spatial Adapters' fingerprint names.
    twin.attach(cpuMerged);
    twin.merge(cpuMerged);
    const Diff d = compare(forward(cpuMerged, in, torch::kCPU, torch::kFloat32), adapted);
    tally.check("b/cpu-merged-equals-unmerged", d.within(1e-5), d.str() + " (tolerance 1e-05)");
  }
  if (!ctx.cuda) {
    tally.skip("b/cuda-fp16-adapters", "no usable CUDA GPU: " + ctx.noCudaReason);
    return;
  }
  auto found = cudaModels.find(torch::kFloat16);
  UNet3D half = found != cudaModels.end() ? found->second : loadTiny(ctx, ctx.gpu, torch::kFloat16);
  adapters.detach(cpu);
  adapters.attach(half);  // A and B become fp16 copies on the GPU
  const sm::engine::NamedTensors moved = adapters.parameters();
  const auto& [firstName, first] = moved.front();
  tally.check("b/cuda-adapters-moved", first.is_cuda() && first.scalar_type() == torch::kFloat16,
              firstName + " is " + first.device().str() + " " + sm::engine::dtypeName(first.scalar_type()));
  const torch::Tensor unmerged = forward(half, in, ctx.gpu, torch::kFloat16);
  const Diff d = compare(unmerged, adapted);
  tally.check("b/cuda-fp16-adapted-vs-cpu-fp32", d.within(1.5e-2) && d.relL2 < effect.relL2 / 5,
              d.str() + fmt(" (tolerance 1.5e-2; the adapters' own effect is %.3g)", effect.relL2));
  adapters.merge(half);
  const Diff m = compare(forward(half, in, ctx.gpu, torch::kFloat16), unmerged);
  tally.check("b/cuda-fp16-merged-equals-unmerged", m.within(1e-2),
              m.str() + " (tolerance 1e-2: fp16 weight rounding)");
  const Diff mc = compare(forward(half, in, ctx.gpu, torch::kFloat16), adapted);
  tally.check("b/cuda-fp16-merged-vs-cpu-fp32", mc.within(1.5e-2), mc.str() + " (tolerance 1.5e-2)");
  cudaModels.erase(torch::kFloat16);  // its weights now hold the adapters
}

// --- c: a training step ------------------------------------------------------

struct StepResult {
  double loss = NAN;
  torch::Tensor grad;  // every adapter gradient, flattened, float64 CPU
  int tensors = 0, finiteGrads = 0, nonzeroGrads = 0, changed = 0;
  bool downNonzero = false, upNonzero = false;
  bool modelUnchanged = true, modelHasNoGrad = true;
  double seconds = 0;
};

/// Autocast on the CPU (bf16), only to estimate what autocast does to the loss without a GPU.
struct CpuAutocast {
  explicit CpuAutocast(bool on) : on_(on) {
    if (!on_) return;
    at::autocast::set_autocast_enabled(c10::DeviceType::CPU, true);
    at::autocast::set_autocast_dtype(c10::DeviceType::CPU, c10::kBFloat16);
    at::autocast::increment_nesting();
  }
  ~CpuAutocast() {
    if (!on_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(c10::DeviceType::CPU, false);
  }
  bool on_;
};

StepResult trainingStep(const Context& ctx, torch::Device device, bool bf16, bool checkpointing, bool cpuBf16 = false) {
  UNet3D unet = loadTiny(ctx, device, torch::kFloat32);
  for (auto& p : unet->parameters()) p.requires_grad_(false);
  unet->train();
  unet->setGradientCheckpointing(checkpointing);
  const AdapterPair adapters = AdapterPair::make(unet, 1.0);
  adapters.attach(unet);
  const sm::engine::NamedTensors trainable = adapters.parameters();
  for (const auto& [name, p] : trainable) p.requires_grad_(true);
  torch::optim::AdamW optimizer(sm::training::trainableTensors(trainable), torch::optim::AdamWOptions(1e-3));

  std::vector<torch::Tensor> modelBefore, trainableBefore;
  for (const auto& p : unet->parameters()) modelBefore.push_back(p.detach().clone());
  for (const auto& [name, p] : trainable) trainableBefore.push_back(p.detach().clone());

  auto inputs = at::make_generator<at::CPUGeneratorImpl>(3);
  const torch::Tensor latents = torch::randn({1, 4, 8, 16, 16}, inputs).to(device);  // [1, 4, F, h, w]
  const torch::Tensor text = torch::randn({1, 77, unet->config().cross_attention_dim}, inputs).to(device);
  const sm::diffusion::NoiseSchedule schedule{sm::diffusion::NoiseScheduleConfig{}};
  auto generator = at::make_generator<at::CPUGeneratorImpl>(42);

  StepResult r;
  const auto start = std::chrono::steady_clock::now();
  torch::Tensor loss;
  {
    sm::training::AutocastGuard autocast(device, torch::kBFloat16, bf16);
    CpuAutocast cpuAutocast(cpuBf16);
    loss = sm::training::diffusionLoss(unet, schedule, latents, text, generator);
  }
  loss.backward();
  r.loss = loss.item<double>();

  std::vector<torch::Tensor> grads;
  for (const auto& [name, p] : trainable) {
    ++r.tensors;
    if (!p.grad().defined()) continue;
    const torch::Tensor g = p.grad().detach().to(torch::kCPU, torch::kFloat64);
    grads.push_back(g.reshape({-1}));
    if (torch::isfinite(g).all().item<bool>()) ++r.finiteGrads;
    const bool nonzero = g.abs().max().item<double>() > 0;
    if (nonzero) ++r.nonzeroGrads;
    if (nonzero && name.find(".lora_A.") != std::string::npos) r.downNonzero = true;
    if (nonzero && name.find(".lora_B.") != std::string::npos) r.upNonzero = true;
  }
  r.grad = grads.empty() ? torch::zeros({1}, torch::kFloat64) : torch::cat(grads);

  optimizer.step();
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (size_t i = 0; i < trainable.size(); ++i)
    if (!torch::equal(trainable[i].second.detach(), trainableBefore[i])) ++r.changed;
  size_t i = 0;
  for (const auto& p : unet->parameters()) {
    if (!torch::equal(p.detach(), modelBefore[i++])) r.modelUnchanged = false;
    if (p.grad().defined()) r.modelHasNoGrad = false;
  }
  return r;
}

void checkStepInvariants(Tally& tally, const std::string& prefix, const StepResult& r) {
  tally.check(prefix + "-loss-finite", std::isfinite(r.loss) && r.loss > 0,
              fmt("loss %.6f in %.2f s", r.loss, r.seconds));
  tally.check(prefix + "-adapter-grads", r.finiteGrads == r.tensors && r.nonzeroGrads == r.tensors,
              fmt("%g of %g adapter tensors have finite grads, %g non-zero", r.finiteGrads, r.tensors, r.nonzeroGrads) +
                  (r.downNonzero && r.upNonzero ? " (A and B)" : " (not both A and B)"));
  tally.check(prefix + "-adamw-changes-adapters-only", r.changed == r.tensors && r.modelUnchanged && r.modelHasNoGrad,
              fmt("%g of %g adapter tensors changed; ", r.changed, r.tensors) +
                  (r.modelUnchanged ? "model weights unchanged" : "MODEL WEIGHTS CHANGED") +
                  (r.modelHasNoGrad ? ", no model gradient" : ", a model weight got a gradient"));
}

std::string lossVs(const StepResult& got, const StepResult& ref) {
  return fmt("loss %.6f vs %.6f (rel %.3g), grad cosine %.6f", got.loss, ref.loss,
             std::abs(got.loss - ref.loss) / std::abs(ref.loss), cosine(got.grad, ref.grad));
}

void checkTraining(Tally& tally, const Context& ctx) {
  const StepResult cpu = trainingStep(ctx, torch::kCPU, false, true);
  checkStepInvariants(tally, "c/cpu-fp32-checkpointed", cpu);
  {
    const StepResult plain = trainingStep(ctx, torch::kCPU, false, false);
    const double rel = std::abs(plain.loss - cpu.loss) / std::abs(cpu.loss);
    const double cos = cosine(plain.grad, cpu.grad);
    tally.check("c/cpu-checkpointing-equals-plain", rel < 1e-6 && cos > 1 - 1e-6, lossVs(cpu, plain));
  }
  // What bf16 autocast alone does to the loss and the gradients (CPU autocast):
  // the scale of the differences the CUDA bf16 step below is allowed.
  Tally::info("c/cpu-autocast-bf16-vs-fp32", lossVs(trainingStep(ctx, torch::kCPU, false, true, true), cpu));

  if (!ctx.cuda) {
    tally.skip("c/cuda-training-step", "no usable CUDA GPU: " + ctx.noCudaReason);
    return;
  }
  tally.section("c/cuda-fp32", [&] {
    const StepResult fp32 = trainingStep(ctx, ctx.gpu, false, true);
    checkStepInvariants(tally, "c/cuda-fp32-checkpointed", fp32);
    tally.check("c/cuda-fp32-vs-cpu-fp32",
                std::abs(fp32.loss - cpu.loss) <= 2e-3 * std::abs(cpu.loss) && cosine(fp32.grad, cpu.grad) > 0.995,
                lossVs(fp32, cpu) + " (tolerance rel 2e-3, cosine > 0.995: cuDNN TF32)");
  });
  tally.section("c/cuda-bf16", [&] {
    const StepResult bf16 = trainingStep(ctx, ctx.gpu, true, true);
    checkStepInvariants(tally, "c/cuda-bf16-checkpointed", bf16);
    tally.check("c/cuda-bf16-vs-cpu-fp32",
                std::abs(bf16.loss - cpu.loss) <= 3e-2 * std::abs(cpu.loss) && cosine(bf16.grad, cpu.grad) > 0.9,
                lossVs(bf16, cpu) + " (tolerance rel 3e-2, cosine > 0.9; CPU autocast gives ~0.97)");
    const StepResult plain = trainingStep(ctx, ctx.gpu, true, false);
    tally.check("c/cuda-bf16-checkpointing-vs-plain",
                std::abs(plain.loss - bf16.loss) <= 1e-3 * std::abs(bf16.loss) && cosine(plain.grad, bf16.grad) > 0.999,
                lossVs(bf16, plain) + " (tolerance rel 1e-3, cosine > 0.999)");
  });
}

// --- d: out of memory --------------------------------------------------------

void expectOutOfMemory(Tally& tally, const std::string& name, torch::Device device) {
  constexpr int64_t kAbsurd = int64_t{1} << 44;  // float32: 64 TiB
  try {
    sm::engine::guardMemory("allocating 64 TiB", device, [&] { return torch::empty({kAbsurd}, device); });
    // Linux with memory overcommit grants untouched CPU pages (seen on the
    // H100 machine): not our failure. The CPU path is tested in sm_core_tests.
    if (device.is_cpu())
      tally.skip(name, "the OS granted 64 TiB of untouched pages (overcommit)");
    else
      tally.check(name, false, "a 64 TiB allocation on " + device.str() + " succeeded");
  } catch (const sm::OutOfMemoryError& e) {
    const std::string what = e.what();
    tally.check(name, what.find("out of memory on " + device.str()) != std::string::npos,
                "sm::OutOfMemoryError: " + what.substr(0, 240));
  } catch (const std::exception& e) {
    tally.check(name, false, std::string("another exception: ") + e.what());
  }
}

void checkOutOfMemory(Tally& tally, const Context& ctx) {
  expectOutOfMemory(tally, "d/cpu-absurd-allocation", torch::kCPU);
  if (!ctx.cuda) {
    tally.skip("d/cuda-absurd-allocation", "no usable CUDA GPU: " + ctx.noCudaReason);
    return;
  }
  expectOutOfMemory(tally, "d/cuda-absurd-allocation", ctx.gpu);
  tally.section("d/cuda-usable-after-oom", [&] {
    const double sum = torch::ones({1 << 20}, ctx.gpu).sum().item<double>();
    tally.check("d/cuda-usable-after-oom", sum == 1 << 20, fmt("a 1 Mi-element sum after the failure gives %.0f", sum));
  });
}

}  // namespace

int main(int argc, char** argv) {
  Context ctx;
  ctx.fixtures = SM_FIXTURES_DIR;
  std::set<char> parts = {'a', 'b', 'c', 'd'};
  int threads = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--fixtures" && i + 1 < argc) {
      ctx.fixtures = argv[++i];
    } else if (flag == "--only" && i + 1 < argc) {
      parts.clear();
      for (char c : std::string(argv[++i]))
        if (c != ',') parts.insert(c);
    } else if (flag == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: gpu_check [--fixtures DIR] [--only a,b,c,d] [--threads N]\n");
      return 2;
    }
  }
  const int used = sm::engine::configureThreads(threads);
  ctx.noCudaReason = sm::engine::loadCudaBackend();
  ctx.cuda = ctx.noCudaReason.empty() && torch::cuda::is_available();
  if (ctx.noCudaReason.empty() && !ctx.cuda) ctx.noCudaReason = "the CUDA backend loaded but sees no device";
  std::printf("gpu_check: LibTorch %s, %d CPU threads, CUDA %s, fixtures %s\n", sm::engine::libtorchVersion().c_str(),
              used,
              ctx.cuda ? (std::to_string(torch::cuda::device_count()) + " device(s), cuDNN " +
                          (torch::cuda::cudnn_is_available() ? "yes" : "no"))
                             .c_str()
                       : ("unusable (" + ctx.noCudaReason + ")").c_str(),
              ctx.fixtures.c_str());
  if (!ctx.cuda)
    std::printf("SKIP cuda: no usable CUDA GPU (%s); the CUDA checks are skipped\n", ctx.noCudaReason.c_str());

  Tally tally;
  std::map<torch::ScalarType, UNet3D> cudaModels;
  if (parts.count('a')) tally.section("a/forward", [&] { checkForward(tally, ctx, cudaModels); });
  if (parts.count('b')) tally.section("b/adapters", [&] { checkAdapters(tally, ctx, cudaModels); });
  cudaModels.clear();
  if (parts.count('c')) tally.section("c/training", [&] { checkTraining(tally, ctx); });
  if (parts.count('d')) tally.section("d/out-of-memory", [&] { checkOutOfMemory(tally, ctx); });

  std::printf("gpu_check: %d passed, %d failed, %d skipped\n", tally.passed, tally.failed, tally.skipped);
  return tally.failed == 0 ? 0 : 1;
}
