// The shared primitives of core/nn and the weight loader, against direct
// formulas from the architecture facts.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/engine/named_tensors.h"
#include "core/jobs/job.h"
#include "core/models/load_weights.h"
#include "core/nn/attention.h"
#include "core/nn/cross_attention_reuse.h"
#include "core/nn/feed_forward.h"
#include "core/nn/resnet_block.h"
#include "core/nn/sampling.h"
#include "core/nn/timestep_embedding.h"
#include "core/util/error.h"

namespace sm {
namespace {

TEST(NN, AttentionEqualsPerHeadSoftmaxAttention) {
  torch::manual_seed(0);
  nn::Attention attn(nn::AttentionOptions{16, 8, 4, false, true});
  auto x = torch::randn({2, 5, 16});
  auto ctx = torch::randn({2, 7, 8});
  auto q = attn->to_q(x), k = attn->to_k(ctx), v = attn->to_v(ctx);
  std::vector<torch::Tensor> heads;
  for (int h = 0; h < 4; ++h) {
    auto qh = q.slice(2, h * 4, h * 4 + 4), kh = k.slice(2, h * 4, h * 4 + 4), vh = v.slice(2, h * 4, h * 4 + 4);
    heads.push_back(torch::softmax(qh.matmul(kh.transpose(1, 2)) / 2.0, -1).matmul(vh));  // d^-1/2 = 1/2
  }
  auto expected = attn->to_out[0]->as<nn::AdaptableLinear>()->forward(torch::cat(heads, -1));
  EXPECT_LT((attn(x, ctx) - expected).abs().max().item<float>(), 1e-5);
  EXPECT_EQ(attn->named_parameters().size(), 5u);  // q, k, v without bias; to_out.0 weight and bias
  EXPECT_TRUE(attn->named_parameters().contains("to_out.0.bias"));
}

// One context row per video of F frames: the keys and values are projected once and serve
// every frame, with exactly the values of the context repeated for each frame.
TEST(NN, AttentionWithOneContextRowPerVideoEqualsTheRepeatedContext) {
  torch::manual_seed(1);
  nn::Attention attn(nn::AttentionOptions{32, 24, 4, false, true});
  const torch::Tensor x = torch::randn({2 * 6, 10, 32});  // 2 videos of 6 frames, rows b*F + f
  const torch::Tensor ctx = torch::randn({2, 7, 24});
  torch::NoGradGuard noGrad;
  EXPECT_TRUE(torch::equal(attn(x, ctx), attn(x, ctx.repeat_interleave(6, 0))));
  EXPECT_THROW(attn(x, torch::randn({5, 7, 24})), c10::Error);  // 5 rows cannot serve 12
}

// Within a CrossAttentionReuse scope, a layer projects a context once and reuses it for
// the same tensor (the same values in another tensor count as new); self-attention and
// training (gradients on) never reuse; the scope closes with its object.
TEST(NN, CrossAttentionReuseProjectsEachContextOnceWithinItsScope) {
  torch::manual_seed(2);
  nn::Attention cross(nn::AttentionOptions{16, 8, 2, false, true});
  nn::Attention self(nn::AttentionOptions{16, 0, 2, false, true});
  const torch::Tensor x = torch::randn({4, 5, 16});
  const torch::Tensor ctx = torch::randn({2, 3, 8});
  const torch::Tensor outside = cross(x, ctx).detach();
  EXPECT_EQ(nn::CrossAttentionReuse::current(), nullptr);
  {
    const nn::CrossAttentionReuse reuse;
    EXPECT_EQ(nn::CrossAttentionReuse::current(), &reuse);
    {
      torch::NoGradGuard noGrad;
      for (int step = 0; step < 3; ++step) EXPECT_TRUE(torch::equal(cross(x, ctx), outside)) << step;
      EXPECT_EQ(reuse.computed(), 1);
      EXPECT_EQ(reuse.reused(), 2);
      EXPECT_TRUE(torch::equal(cross(x, ctx.clone()), outside));
      EXPECT_EQ(reuse.computed(), 2);
      (void)self(x);
      EXPECT_EQ(reuse.computed() + reuse.reused(), 4);
    }
    // Gradients on: projected every time, and they reach to_k.
    cross(x, ctx).sum().backward();
    EXPECT_EQ(reuse.computed() + reuse.reused(), 4);
    ASSERT_TRUE(cross->to_k->weight.grad().defined());
    {
      const nn::CrossAttentionReuse inner;
      EXPECT_EQ(nn::CrossAttentionReuse::current(), &inner);
    }
    EXPECT_EQ(nn::CrossAttentionReuse::current(), &reuse);
  }
  EXPECT_EQ(nn::CrossAttentionReuse::current(), nullptr);
}

// Large attention without gradients runs in slices with a cancellation check between them:
// the values are exactly one call's, and a cancelled job stops inside the call.
TEST(NN, SlicedAttentionEqualsOneCallAndStopsWhenCancelled) {
  torch::manual_seed(3);
  nn::Attention attn(nn::AttentionOptions{32, 0, 4, false, true});
  for (const auto& shape : {std::vector<int64_t>{40, 2048, 32}, std::vector<int64_t>{1, 8192, 32}}) {
    const torch::Tensor x = torch::randn(shape);   // by batch elements, then by query rows of one image
    const torch::Tensor whole = attn->forward(x);  // gradients on: one call
    torch::NoGradGuard noGrad;
    EXPECT_TRUE(torch::equal(attn->forward(x), whole.detach())) << shape[0] << "x" << shape[1];
  }
  auto token = std::make_shared<jobs::CancelToken>();
  token->cancel();
  const jobs::CancelScope scope(token);
  torch::NoGradGuard noGrad;
  EXPECT_THROW(attn->forward(torch::randn({40, 2048, 32})), Cancelled);
  EXPECT_NO_THROW(attn->forward(torch::randn({2, 16, 32})));  // small: one call, nothing to stop
}

TEST(NN, TimestepFeaturesAreCosFirstWithSDFrequencies) {
  auto t = torch::tensor({0.0f, 999.0f, 17.5f});
  auto f = nn::timestepFeatures(t, 8, /*flipSinToCos=*/true, 0);
  ASSERT_EQ(f.sizes(), (std::vector<int64_t>{3, 8}));
  for (int i = 0; i < 4; ++i) {
    const double freq = std::exp(-std::log(10000.0) * i / 4.0);
    EXPECT_NEAR(f[1][i].item<float>(), std::cos(999.0 * freq), 1e-4);
    EXPECT_NEAR(f[1][4 + i].item<float>(), std::sin(999.0 * freq), 1e-4);
    EXPECT_NEAR(f[2][i].item<float>(), std::cos(17.5 * freq), 1e-5);
  }
}

TEST(NN, VaeDownsamplePadsRightAndBottomOnly) {
  nn::Downsample2D vae(1, 0), unet(1, 1);
  torch::NoGradGuard noGrad;
  vae->conv->weight.fill_(0);
  vae->conv->weight[0][0][0][0] = 1;  // picks the top-left tap
  vae->conv->bias.fill_(0);
  auto x = torch::arange(16, torch::kFloat32).view({1, 1, 4, 4});
  auto y = vae(x);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(y[0][0][0][0].item<float>(), 0.0f);   // x[0][0]: no padding on the left/top
  EXPECT_EQ(y[0][0][1][1].item<float>(), 10.0f);  // x[2][2]
  EXPECT_EQ(unet(x).sizes(), (std::vector<int64_t>{1, 1, 2, 2}));
}

TEST(NN, ResnetBlockHasDiffusersKeysAndShortcutOnlyWhenWidthChanges) {
  nn::ResnetBlock2D same(nn::ResnetBlockOptions{8, 8, 16, 4, 1e-5});
  nn::ResnetBlock2D wider(nn::ResnetBlockOptions{8, 16, 0, 4, 1e-6});
  EXPECT_FALSE(same->named_parameters().contains("conv_shortcut.weight"));
  EXPECT_TRUE(same->named_parameters().contains("time_emb_proj.weight"));
  EXPECT_TRUE(wider->named_parameters().contains("conv_shortcut.weight"));
  EXPECT_FALSE(wider->named_parameters().contains("time_emb_proj.weight"));
  auto y = same(torch::randn({2, 8, 6, 6}), torch::randn({2, 16}));
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 8, 6, 6}));
}

TEST(NN, FeedForwardIsGegluWithFourTimesWidth) {
  torch::manual_seed(1);
  nn::FeedForward ff(4);
  auto x = torch::randn({3, 4});
  auto proj = ff->net[0]->as<nn::GEGLU>()->proj(x);
  auto expected = ff->net[2]->as<nn::AdaptableLinear>()->forward(proj.slice(1, 0, 16) * torch::gelu(proj.slice(1, 16)));
  EXPECT_LT((ff(x) - expected).abs().max().item<float>(), 1e-6);
  EXPECT_TRUE(ff->named_parameters().contains("net.0.proj.weight"));
  EXPECT_TRUE(ff->named_parameters().contains("net.2.weight"));
}

io::StateDictIndex indexFor(const engine::NamedTensors& tensors) {
  io::StateDictIndex index;
  index.path = "weights.safetensors";
  for (const auto& [name, t] : tensors) {
    io::TensorInfo info;
    info.name = name;
    info.shape = t.sizes().vec();
    info.data = static_cast<const std::byte*>(t.data_ptr());
    info.storageBytes = t.numel() * sizeof(float);
    index.add(info);
  }
  return index;
}

TEST(LoadWeights, CopiesValuesAndReportsMissingMismatchedAndUnexpectedKeys) {
  nn::Attention attn(nn::AttentionOptions{4, 0, 2, false, true});
  auto q = torch::randn({4, 4}), k = torch::randn({4, 4}), v = torch::randn({4, 4}), o = torch::randn({4, 4}),
       b = torch::randn({4}), extra = torch::randn({2});
  auto report = models::loadWeights(*attn, indexFor({{"to_q.weight", q},
                                                     {"to_k.weight", k},
                                                     {"to_v.weight", v},
                                                     {"to_out.0.weight", o},
                                                     {"to_out.0.bias", b},
                                                     {"stray", extra}}));
  EXPECT_EQ(report.loaded, 5u);
  EXPECT_EQ(report.unexpected, std::vector<std::string>{"stray"});
  EXPECT_TRUE(torch::equal(attn->to_q->weight, q));
  EXPECT_TRUE(torch::equal(attn->to_out[0]->as<nn::AdaptableLinear>()->bias, b));
  try {
    models::loadWeights(*attn, indexFor({{"to_q.weight", q}, {"to_k.weight", k}}));
    FAIL() << "accepted missing keys";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("3 weights missing: 'to_v.weight'"), std::string::npos) << e.what();
  }
  auto wrong = torch::randn({4, 3});
  EXPECT_THROW(models::loadWeights(*attn, indexFor({{"to_q.weight", wrong}})), ShapeError);
  models::LoadOptions optional;
  optional.optional = [](const std::string& name) { return name != "to_q.weight"; };
  EXPECT_EQ(models::loadWeights(*attn, indexFor({{"to_q.weight", q}}), optional).leftAtInit.size(), 4u);
}

}  // namespace
}  // namespace sm

namespace sm {
namespace {

TEST(LoadWeights, TargetOptionsConvertEachParameterAsItIsLoaded) {
  nn::Attention attn(nn::AttentionOptions{4, 0, 2, false, true});
  auto q = torch::randn({4, 4}), k = torch::randn({4, 4}), v = torch::randn({4, 4}), o = torch::randn({4, 4});
  models::LoadOptions options;
  options.target = torch::TensorOptions().dtype(torch::kBFloat16);
  options.optional = [](const std::string& name) { return name == "to_out.0.bias"; };
  models::loadWeights(
      *attn, indexFor({{"to_q.weight", q}, {"to_k.weight", k}, {"to_v.weight", v}, {"to_out.0.weight", o}}), options);
  for (const auto& p : attn->named_parameters()) EXPECT_EQ(p.value().scalar_type(), torch::kBFloat16) << p.key();
  EXPECT_TRUE(torch::equal(attn->to_q->weight, q.to(torch::kBFloat16)));
}

}  // namespace
}  // namespace sm
