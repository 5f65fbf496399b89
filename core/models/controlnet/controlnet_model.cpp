#include "core/models/controlnet/controlnet_model.h"

#include <torch/nn/functional/activation.h>
#include <torch/torch.h>

#include "core/jobs/job.h"
#include "core/util/error.h"

namespace sm::models {
namespace {

namespace F = torch::nn::functional;

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2));
}

}  // namespace

ControlNetConditioningEmbeddingImpl::ControlNetConditioningEmbeddingImpl(int64_t conditioningChannels,
                                                                         const std::vector<int>& widths,
                                                                         int64_t outChannels) {
  conv_in = register_module("conv_in", conv(conditioningChannels, widths.front(), 3));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    blocks->push_back(conv(widths[i], widths[i], 3));
    blocks->push_back(conv(widths[i], widths[i + 1], 3, 2));
  }
  conv_out = register_module("conv_out", conv(widths.back(), outChannels, 3));
}

torch::Tensor ControlNetConditioningEmbeddingImpl::forward(const torch::Tensor& condition) {
  torch::Tensor x = F::silu(conv_in(condition));
  for (const auto& block : *blocks) x = F::silu(block->as<torch::nn::Conv2dImpl>()->forward(x));
  return conv_out(x);
}

ControlNetModelImpl::ControlNetModelImpl(const ControlNetConfig& config) : config_(config) {
  config_.validate();
  const UNetConfig& u = config_.unet;
  if (u.mid_block_type != "UNetMidBlock2DCrossAttn")
    throw ConfigError("ControlNet config: mid_block_type '" + u.mid_block_type + "' is not supported");
  const auto& ch = u.block_out_channels;
  const size_t n = ch.size();
  const int64_t temb = u.timeEmbeddingDim();
  auto blockOptions = [&](int64_t channels, bool crossAttention, int heads) {
    BlockOptions o;
    o.outChannels = channels;
    o.tembChannels = temb;
    o.groups = u.norm_num_groups;
    o.eps = u.norm_eps;
    if (crossAttention)
      o.attention = Transformer2DOptions{channels,
                                         heads,
                                         u.cross_attention_dim,
                                         u.transformer_layers_per_block,
                                         u.norm_num_groups,
                                         u.use_linear_projection};
    return o;
  };
  conv_in = register_module("conv_in", conv(u.in_channels, ch[0], 3));
  time_embedding = register_module("time_embedding", nn::TimestepEmbedding(ch[0], temb));
  down_blocks = register_module("down_blocks", torch::nn::ModuleList());
  for (size_t i = 0; i < n; ++i)
    down_blocks->push_back(DownBlock(i == 0 ? ch[0] : ch[i - 1], u.layers_per_block, i + 1 < n,
                                     blockOptions(ch[i], u.hasCrossAttention(i), u.attention_head_dim[i])));
  mid_block = register_module("mid_block", MidBlock(blockOptions(ch[n - 1], true, u.attention_head_dim[n - 1])));
  controlnet_cond_embedding = register_module(
      "controlnet_cond_embedding", ControlNetConditioningEmbedding(config_.conditioning_channels,
                                                                   config_.conditioning_embedding_out_channels, ch[0]));
  controlnet_down_blocks = register_module("controlnet_down_blocks", torch::nn::ModuleList());
  for (int64_t c : config_.downResidualChannels()) controlnet_down_blocks->push_back(conv(c, c, 1));
  controlnet_mid_block = register_module("controlnet_mid_block", conv(ch[n - 1], ch[n - 1], 1));
}

torch::Tensor ControlNetModelImpl::embedCondition(const torch::Tensor& condition) {
  TORCH_CHECK(condition.dim() == 4 && condition.size(1) == config_.conditioning_channels,
              "ControlNet: condition must be [n, ", config_.conditioning_channels, ", H, W], got ", condition.sizes());
  return controlnet_cond_embedding(config_.bgr ? condition.flip(1) : condition);
}

ControlNetResiduals ControlNetModelImpl::forward(const torch::Tensor& sample, const torch::Tensor& timestep,
                                                 const torch::Tensor& context, const torch::Tensor& embeddedCondition,
                                                 double scale) {
  TORCH_CHECK(sample.dim() == 4, "ControlNet: sample must be [n, C, h, w], got ", sample.sizes());
  const int64_t n = sample.size(0);
  TORCH_CHECK(embeddedCondition.size(0) == n && context.size(0) > 0 && n % context.size(0) == 0, "ControlNet: ", n,
              " samples, ", embeddedCondition.size(0), " conditions and ", context.size(0), " text embeddings");
  TORCH_CHECK(embeddedCondition.size(2) == sample.size(2) && embeddedCondition.size(3) == sample.size(3),
              "ControlNet: the condition embeds to ", embeddedCondition.sizes(), " for latents ", sample.sizes());
  const UNetConfig& u = config_.unet;
  BlockInputs in;
  in.frames = 1;
  in.runMotion = false;
  auto t = timestep.to(sample.device()).reshape({-1});
  TORCH_CHECK(t.numel() == 1 || t.numel() == n, "ControlNet: ", t.numel(), " timesteps for ", n, " samples");
  const torch::Tensor features = nn::timestepFeatures(t.expand({n}), u.block_out_channels[0], u.flip_sin_to_cos,
                                                      static_cast<double>(u.freq_shift));
  in.temb = time_embedding(features.to(sample.scalar_type()));
  in.context = context;

  torch::Tensor x = conv_in(sample) + embeddedCondition;
  std::vector<torch::Tensor> skips{x};
  for (const auto& block : *down_blocks) {
    jobs::throwIfCancelledHere();
    x = std::dynamic_pointer_cast<DownBlockImpl>(block)->forward(x, in, skips);
  }
  x = mid_block(x, in);

  ControlNetResiduals out;
  TORCH_CHECK(skips.size() == controlnet_down_blocks->size(), "ControlNet: ", skips.size(), " skips for ",
              controlnet_down_blocks->size(), " zero convs");
  auto finish = [&](torch::Tensor r) {
    if (config_.global_pool_conditions) r = r.mean({2, 3}, /*keepdim=*/true);
    return scale == 1.0 ? r : r * scale;
  };
  for (size_t k = 0; k < skips.size(); ++k)
    out.down.push_back(finish(controlnet_down_blocks[k]->as<torch::nn::Conv2dImpl>()->forward(skips[k])));
  out.mid = finish(controlnet_mid_block(x));
  return out;
}

void initializeFromUNet(ControlNetModelImpl& net, UNet3DImpl& unet) {
  torch::NoGradGuard noGrad;
  const auto source = unet.named_parameters();
  for (auto& p : net.named_parameters()) {
    const std::string& name = p.key();
    if (name.rfind("controlnet_", 0) == 0) {
      // Zero convs and the embedding's output: zero; its other convs keep their random start.
      if (name.rfind("controlnet_cond_embedding.", 0) != 0 || name.find(".conv_out.") != std::string::npos)
        p.value().zero_();
      continue;
    }
    const torch::Tensor* from = source.find(name);
    if (!from || from->sizes() != p.value().sizes())
      throw ConfigError("ControlNet initialisation: the UNet has no " + name + " of shape " +
                        shapeToString(p.value().sizes().vec()));
    p.value().copy_(*from);
  }
}

}  // namespace sm::models
