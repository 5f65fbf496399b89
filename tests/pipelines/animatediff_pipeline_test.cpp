// The text-to-video pipeline on the tiny fixtures: determinism, progress and
// cancel, long videos through context windows, the adapter hook, model
// packaging, and request checks. Parity with diffusers is in pipeline_parity_test.cpp.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "core/adapters/unet_adapter.h"
#include "core/engine/memory_guard.h"
#include "core/pipelines/animatediff_pipeline.h"
#include "core/util/error.h"
#include "tests/pipelines/tiny_pipeline.h"

namespace sm::pipelines {
namespace {

using test::tinyPipeline;

GenerationRequest smallRequest() {
  GenerationRequest r;
  r.prompt = "a photo of a cat";
  r.negativePrompt = "blurry";
  r.frames = 4;
  r.width = 64;
  r.height = 64;
  r.steps = 2;
  r.seed = 5;
  return r;
}

TEST(AnimateDiffPipeline, SameSeedGivesTheSameVideoAndAnotherSeedAnother) {
  auto& pipe = tinyPipeline();
  GenerationRequest r = smallRequest();
  const GenerationResult a = pipe.generate(r);
  const GenerationResult b = pipe.generate(r);
  EXPECT_EQ(a.latents.sizes(), (std::vector<int64_t>{1, 4, 4, 8, 8}));
  EXPECT_EQ(a.video.sizes(), (std::vector<int64_t>{1, 4, 3, 64, 64}));
  EXPECT_TRUE(torch::equal(a.latents, b.latents));
  EXPECT_TRUE(torch::equal(a.video, b.video));
  EXPECT_GE(a.video.min().item<float>(), 0.0f);
  EXPECT_LE(a.video.max().item<float>(), 1.0f);
  r.seed = 6;
  EXPECT_GT((pipe.generate(r).latents - a.latents).abs().max().item<float>(), 1e-2);
}

TEST(AnimateDiffPipeline, ReportsEveryStepAndCancelStopsWithinOneStep) {
  auto& pipe = tinyPipeline();
  GenerationRequest r = smallRequest();
  r.steps = 5;
  std::vector<jobs::Progress> events;
  auto cancel = std::make_shared<jobs::CancelToken>();
  jobs::JobListener listener;
  listener.onProgress = [&](const jobs::Progress& p) {
    events.push_back(p);
    if (p.stage == "denoising" && p.done == 2) cancel->cancel();
  };
  jobs::JobContext job(listener, cancel);
  EXPECT_THROW(pipe.generate(r, job), Cancelled);
  int64_t maxDone = 0;
  for (const auto& e : events) {
    ASSERT_EQ(e.stage, "denoising");  // never reached decoding
    EXPECT_EQ(e.total, 5);
    maxDone = std::max(maxDone, e.done);
    if (e.done > 0) {
      EXPECT_GT(e.secondsPerUnit, 0.0);
      EXPECT_NEAR(e.etaSeconds, e.secondsPerUnit * static_cast<double>(5 - e.done), 1e-9);
    }
  }
  EXPECT_EQ(maxDone, 2);

  // Uncancelled: 0..5 for denoising, then the decode's chunks.
  events.clear();
  jobs::JobListener counting;
  counting.onProgress = [&](const jobs::Progress& p) { events.push_back(p); };
  jobs::JobContext full(counting);
  pipe.generate(r, full);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().stage, "denoising");
  EXPECT_EQ(events.back().stage, "decoding");
  EXPECT_EQ(events.back().done, events.back().total);
}

TEST(AnimateDiffPipeline, SixtyFourFramesGoThroughContextWindows) {
  auto& pipe = tinyPipeline();
  ASSERT_EQ(pipe.unet()->maxFrames(), 32);  // v2: 64 frames do not fit in one pass
  GenerationRequest r = smallRequest();
  r.frames = 64;
  r.steps = 1;
  EXPECT_EQ(pipe.contextLength(r), 16);
  const torch::Tensor latents = pipe.denoise(r);
  EXPECT_EQ(latents.sizes(), (std::vector<int64_t>{1, 4, 64, 8, 8}));
  EXPECT_TRUE(torch::isfinite(latents).all().item<bool>());
  // Without windows the motion module refuses 64 frames.
  r.context.length = 0;
  EXPECT_EQ(pipe.contextLength(r), 32);  // clamped to what the module accepts
  r.context.length = 64;
  EXPECT_EQ(pipe.contextLength(r), 32);
}

TEST(AnimateDiffPipeline, WindowedPredictionIsTheWeightedMeanOfTheWindows) {
  auto& pipe = tinyPipeline();
  c10::InferenceMode inference;
  GenerationRequest r = smallRequest();
  r.guidance = 1.0;  // one half: the windows' mean is all there is to check
  r.frames = 20;
  r.context.length = 16;
  r.context.overlap = 4;
  r.context.fuse = ContextFuse::Flat;
  torch::manual_seed(0);
  const torch::Tensor latents = torch::randn({1, 4, 20, 8, 8});
  const torch::Tensor embeddings = pipe.promptEmbeddings(r);
  const torch::Tensor got = pipe.predictNoise(latents, 500, embeddings, r, jobs::silentJob());

  const torch::Tensor t = torch::tensor(500.0f);
  const torch::Tensor first = pipe.unet()->forward(latents.slice(2, 0, 16), t, embeddings);
  const torch::Tensor second = pipe.unet()->forward(latents.slice(2, 4, 20), t, embeddings);
  torch::Tensor expected = torch::zeros_like(latents);
  expected.slice(2, 0, 4).copy_(first.slice(2, 0, 4));
  expected.slice(2, 4, 16).copy_((first.slice(2, 4, 16) + second.slice(2, 0, 12)) / 2);
  expected.slice(2, 16, 20).copy_(second.slice(2, 12, 16));
  EXPECT_LE((got - expected).abs().max().item<float>(), 1e-5);

  // A video no longer than the context is one pass, windows or not.
  r.frames = 8;
  const torch::Tensor shortLatents = latents.slice(2, 0, 8);
  const torch::Tensor windowed = pipe.predictNoise(shortLatents, 500, embeddings, r, jobs::silentJob());
  EXPECT_TRUE(torch::equal(windowed, pipe.unet()->forward(shortLatents, t, embeddings)));
}

// Records what the pipeline does with an adapter; changes no weight.
class RecordingAdapter : public adapters::UNetAdapter {
 public:
  explicit RecordingAdapter(adapters::AdapterKind kind) : kind_(kind) {}
  adapters::AdapterKind kind() const override { return kind_; }
  std::string describe() const override { return "recording adapter"; }
  void attach(models::UNet3D&) override { ++attached; }
  void detach(models::UNet3D&) override { ++detached; }
  void merge(models::UNet3D&) override {}
  void setScale(double s) override {
    scale_ = s;
    scalesSet.push_back(s);
  }
  double scale() const override { return scale_; }
  int attached = 0, detached = 0;
  std::vector<double> scalesSet;

 private:
  adapters::AdapterKind kind_;
  double scale_ = 1.0;
};

TEST(AnimateDiffPipeline, AdapterScalesComeFromTheRequestForOneCallOnly) {
  auto& pipe = tinyPipeline();
  GenerationRequest r = smallRequest();
  r.steps = 1;
  const torch::Tensor plain = pipe.denoise(r);
  r.motionScale = 1.5;
  EXPECT_TRUE(torch::equal(pipe.denoise(r), plain));  // no adapter: the slider is inert

  auto motion = std::make_shared<RecordingAdapter>(adapters::AdapterKind::Motion);
  auto spatial = std::make_shared<RecordingAdapter>(adapters::AdapterKind::Spatial);
  pipe.addAdapter(motion);
  pipe.addAdapter(spatial);
  EXPECT_EQ(motion->attached, 1);
  r.motionScale = -0.75;
  r.spatialStrength = 0.5;
  pipe.denoise(r);
  // Set for the call from the request, then put back: the adapters keep nothing of it.
  EXPECT_EQ(motion->scalesSet, (std::vector<double>{-0.75, 1.0}));
  EXPECT_EQ(spatial->scalesSet, (std::vector<double>{0.5, 1.0}));
  EXPECT_EQ(motion->scale(), 1.0);
  pipe.clearAdapters();
  EXPECT_EQ(motion->detached, 1);
  EXPECT_EQ(spatial->detached, 1);
  EXPECT_TRUE(pipe.adapters().empty());
}

TEST(AnimateDiffPipeline, SingleFileLdmBaseAndOriginalMotionModuleEqualTheDiffusersFolders) {
  ModelSet ldm;
  ldm.base = test::fixture("sd15_tiny_ldm.safetensors");
  ldm.motionModule = test::fixture("mm_tiny_v2_original.ckpt");
  // The tiny text encoder knows 1000 tokens, not CLIP's 49408: without its own
  // tokenizer the load is refused, naming the file.
  try {
    AnimateDiffPipeline::load(ldm, {});
    FAIL() << "the embedded CLIP vocabulary does not fit the tiny text encoder";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer"), std::string::npos) << e.what();
  }
  ldm.tokenizer = test::fixture("sd15_tiny_diffusers/tokenizer");
  // Weights cannot show GroupNorm's group count or head widths: inference
  // picks 8 groups for widths (8, 16, 24, 24) where the tiny UNet has 4 (SD 1.5's
  // 32 is inferred right), so the tiny configs are given.
  PipelineLoadOptions options;
  options.unetConfig = tinyPipeline().unet()->config();
  options.textEncoderConfig = tinyPipeline().textEncoder()->config();  // 8-wide heads, not SD's 64
  options.vaeConfig = tinyPipeline().vae()->config();
  auto fromLdm = AnimateDiffPipeline::load(ldm, options);
  GenerationRequest r = smallRequest();
  const torch::Tensor a = fromLdm->generate(r).video;
  const torch::Tensor b = tinyPipeline().generate(r).video;
  EXPECT_LE((a - b).abs().max().item<float>(), 1e-6);
}

TEST(AnimateDiffPipeline, LoRAStrengthZeroChangesNothingAndOneChangesTheVideo) {
  GenerationRequest r = smallRequest();
  r.steps = 1;
  const torch::Tensor plain = tinyPipeline().denoise(r);
  ModelSet sources = test::tinySources();
  sources.loras = {{test::fixture("lora_tiny_kohya.safetensors"), 0.0f}};
  EXPECT_TRUE(torch::equal(AnimateDiffPipeline::load(sources, {})->denoise(r), plain));
  sources.loras = {{test::fixture("lora_tiny_peft.safetensors"), 1.0f}};
  EXPECT_GT((AnimateDiffPipeline::load(sources, {})->denoise(r) - plain).abs().max().item<float>(), 1e-4);
}

TEST(AnimateDiffPipeline, InjectingACustomizedCheckpointReplacesTheSpatialWeights) {
  ModelSet sources = test::tinySources();
  sources.custom = test::fixture("sd15_tiny_ldm.ckpt");  // the same weights: the video must not change
  std::vector<std::string> logs;
  jobs::JobListener listener;
  listener.onLog = [&](jobs::LogLevel, const std::string& m) { logs.push_back(m); };
  jobs::JobContext job(listener);
  auto pipe = AnimateDiffPipeline::load(sources, {}, job);
  GenerationRequest r = smallRequest();
  r.steps = 1;
  EXPECT_TRUE(torch::equal(pipe->denoise(r), tinyPipeline().denoise(r)));
  bool injected = false;
  for (const auto& m : logs) injected |= m.find("injected") != std::string::npos;
  EXPECT_TRUE(injected);

  sources.custom = test::fixture("mm_tiny_v3_original.safetensors");
  try {
    AnimateDiffPipeline::load(sources, {});
    FAIL() << "a motion module is no customized T2I";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("mm_tiny_v3_original.safetensors"), std::string::npos) << e.what();
  }
}

TEST(AnimateDiffPipeline, BadRequestsThrowConfigErrorNamingTheParameter) {
  auto& pipe = tinyPipeline();
  auto expectError = [&](GenerationRequest r, const std::string& fragment) {
    try {
      pipe.generate(r);
      FAIL() << "expected ConfigError mentioning " << fragment;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  GenerationRequest r = smallRequest();
  r.frames = 0;
  expectError(r, "frames");
  r = smallRequest();
  r.width = 65;
  expectError(r, "width must be a multiple of 8");
  r = smallRequest();
  r.steps = 0;
  expectError(r, "steps");
  r = smallRequest();
  r.clipSkip = 2;  // the tiny text encoder has 2 layers
  expectError(r, "clip skip 2");
  r = smallRequest();
  r.context.overlap = 16;
  r.frames = 40;
  expectError(r, "context overlap");
}

TEST(AnimateDiffPipeline, NoMotionModuleIsRefusedForVideos) {
  ModelSet sources = test::tinySources();
  sources.motionModule.clear();
  auto pipe = AnimateDiffPipeline::load(sources, {});
  EXPECT_THROW(pipe->generate(smallRequest()), ConfigError);
}

// A bf16 UNet on the CPU (what --dtype auto picks on CPUs with AMX or AVX512-BF16):
// the text encoder, the VAE and the sampler stay fp32, and the video stays close to
// the fp32 one of the same seed.
TEST(AnimateDiffPipeline, Bf16UNetOnTheCpuKeepsTextEncoderVaeAndLatentsInFp32) {
  PipelineLoadOptions options;
  options.dtype = torch::kBFloat16;
  auto pipe = AnimateDiffPipeline::load(test::tinySources(), options);
  EXPECT_EQ(pipe->dtype(), torch::kBFloat16);
  EXPECT_EQ(pipe->latentDtype(), torch::kFloat32);
  for (const auto& p : pipe->unet()->parameters()) ASSERT_EQ(p.scalar_type(), torch::kBFloat16);
  for (const auto& p : pipe->vae()->parameters()) ASSERT_EQ(p.scalar_type(), torch::kFloat32);
  for (const auto& p : pipe->textEncoder()->parameters()) ASSERT_EQ(p.scalar_type(), torch::kFloat32);
  const GenerationResult low = pipe->generate(smallRequest());
  const GenerationResult full = tinyPipeline().generate(smallRequest());
  EXPECT_EQ(low.latents.scalar_type(), torch::kFloat32);
  // The same noise (drawn in fp32 either way); the UNet's rounding is all that differs.
  const double mse = (low.video - full.video).pow(2).mean().item<double>();
  const double psnr = 10 * std::log10(1.0 / std::max(mse, 1e-12));
  EXPECT_GT(psnr, 30) << "bf16 vs fp32 video PSNR " << psnr << " dB";
  EXPECT_FALSE(torch::equal(low.latents, full.latents)) << "the UNet did not run in bf16";
}

TEST(MemoryGuard, AllocationFailuresBecomeOutOfMemoryErrorsSayingWhatToChange) {
  const std::string work = "denoising 1 video(s) of 64 frames at 512x512";
  auto expectAdvice = [&](const auto& failing, torch::Device device, bool mentionsFp16) {
    try {
      engine::guardMemory(work, device, failing);
      ADD_FAILURE() << "no OutOfMemoryError";
    } catch (const OutOfMemoryError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(device.str()), std::string::npos) << m;
      EXPECT_NE(m.find("64 frames"), std::string::npos) << m;
      EXPECT_NE(m.find("--frames"), std::string::npos) << m;
      EXPECT_EQ(m.find("--dtype fp16") != std::string::npos, mentionsFp16) << m;
    }
  };
  // What the CPU allocator really throws when a tensor does not fit.
  expectAdvice(
      []() -> int {
        TORCH_CHECK(false, "DefaultCPUAllocator: can't allocate memory: you tried to allocate 1");
        return 0;
      },
      torch::kCPU, false);
  expectAdvice([]() -> int { throw std::bad_alloc(); }, torch::kCPU, false);
  expectAdvice(
      []() -> int {
        TORCH_CHECK_WITH(OutOfMemoryError, false, "CUDA out of memory. Tried to allocate 2 GiB");
        return 0;
      },
      torch::Device(torch::kCUDA, 0), true);
  // Other errors pass through untouched, and results come back.
  EXPECT_THROW(engine::guardMemory(work, torch::kCPU,
                                   []() -> int {
                                     TORCH_CHECK(false, "shape mismatch");
                                     return 0;
                                   }),
               c10::Error);
  EXPECT_EQ(engine::guardMemory(work, torch::kCPU, [] { return 7; }), 7);
}

}  // namespace
}  // namespace sm::pipelines
