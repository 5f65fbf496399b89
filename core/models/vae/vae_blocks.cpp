#include "core/models/vae/vae_blocks.h"

#include <torch/nn/functional/activation.h>

#include "core/jobs/job.h"
#include "core/nn/resnet_block.h"
#include "core/nn/sampling.h"

namespace sm::models {

namespace F = torch::nn::functional;

namespace {

nn::ResnetBlock2D vaeResnet(int64_t in, int64_t out, int64_t groups) {
  nn::ResnetBlockOptions o;
  o.inChannels = in;
  o.outChannels = out;
  o.groups = groups;
  o.eps = kVAENormEps;
  return nn::ResnetBlock2D(o);
}

nn::AttentionOptions vaeAttentionOptions(int64_t channels) {
  nn::AttentionOptions o;
  o.queryDim = channels;
  o.heads = 1;  // attention_head_dim = channels
  o.qkvBias = true;
  o.outBias = true;
  return o;
}

torch::nn::GroupNorm vaeGroupNorm(int64_t groups, int64_t channels) {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, channels).eps(kVAENormEps));
}

torch::nn::Conv2d conv3x3(int64_t in, int64_t out) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1));
}

}  // namespace

// ref: diffusers@0.35.2 src/diffusers/models/attention_processor.py (AttnProcessor2_0, L2694)
VAEAttentionImpl::VAEAttentionImpl(int64_t channels, int64_t groups)
    : nn::AttentionImpl(vaeAttentionOptions(channels)) {
  group_norm = register_module("group_norm", vaeGroupNorm(groups, channels));
}

torch::Tensor VAEAttentionImpl::forward(const torch::Tensor& x) {
  const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  auto seq = group_norm(x).view({b, c, h * w}).transpose(1, 2);  // [b, h*w, c]
  auto out = nn::AttentionImpl::forward(seq);                    // [b, h*w, c]
  out = out.transpose(1, 2).reshape({b, c, h, w});               // [b, c, h, w]
  return out + x;
}

VAEMidBlockImpl::VAEMidBlockImpl(int64_t channels, int64_t groups, bool addAttention) {
  resnets = register_module(
      "resnets", torch::nn::ModuleList(vaeResnet(channels, channels, groups), vaeResnet(channels, channels, groups)));
  attentions = register_module("attentions", torch::nn::ModuleList());
  if (addAttention) attentions->push_back(VAEAttention(channels, groups));
}

torch::Tensor VAEMidBlockImpl::forward(torch::Tensor x) {
  x = resnets[0]->as<nn::ResnetBlock2D>()->forward(x);
  if (!attentions->is_empty()) x = attentions[0]->as<VAEAttention>()->forward(x);
  return resnets[1]->as<nn::ResnetBlock2D>()->forward(x);
}

DownEncoderBlock2DImpl::DownEncoderBlock2DImpl(int64_t in, int64_t out, int64_t numLayers, int64_t groups,
                                               bool addDownsample) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  for (int64_t j = 0; j < numLayers; ++j) resnets->push_back(vaeResnet(j == 0 ? in : out, out, groups));
  if (addDownsample)
    downsamplers = register_module("downsamplers", torch::nn::ModuleList(nn::Downsample2D(out, /*padding=*/0)));
}

torch::Tensor DownEncoderBlock2DImpl::forward(torch::Tensor x) {
  for (const auto& r : *resnets) x = r->as<nn::ResnetBlock2D>()->forward(x);
  if (downsamplers) x = downsamplers[0]->as<nn::Downsample2D>()->forward(x);
  return x;
}

UpDecoderBlock2DImpl::UpDecoderBlock2DImpl(int64_t in, int64_t out, int64_t numLayers, int64_t groups,
                                           bool addUpsample) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  for (int64_t j = 0; j < numLayers; ++j) resnets->push_back(vaeResnet(j == 0 ? in : out, out, groups));
  if (addUpsample) upsamplers = register_module("upsamplers", torch::nn::ModuleList(nn::Upsample2D(out)));
}

torch::Tensor UpDecoderBlock2DImpl::forward(torch::Tensor x) {
  for (const auto& r : *resnets) x = r->as<nn::ResnetBlock2D>()->forward(x);
  if (upsamplers) x = upsamplers[0]->as<nn::Upsample2D>()->forward(x);
  return x;
}

VAEEncoderImpl::VAEEncoderImpl(const VAEConfig& config) {
  const auto& ch = config.block_out_channels;
  const int64_t n = static_cast<int64_t>(ch.size());
  const int64_t groups = config.norm_num_groups;
  conv_in = register_module("conv_in", conv3x3(config.in_channels, ch[0]));
  down_blocks = register_module("down_blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < n; ++i)
    down_blocks->push_back(
        DownEncoderBlock2D(i == 0 ? ch[0] : ch[i - 1], ch[i], config.layers_per_block, groups, i < n - 1));
  mid_block = register_module("mid_block", VAEMidBlock(ch[n - 1], groups, config.mid_block_add_attention));
  conv_norm_out = register_module("conv_norm_out", vaeGroupNorm(groups, ch[n - 1]));
  conv_out = register_module("conv_out", conv3x3(ch[n - 1], 2 * config.latent_channels));  // double_z
}

torch::Tensor VAEEncoderImpl::forward(const torch::Tensor& x) {
  auto h = conv_in(x);
  for (const auto& block : *down_blocks) {
    jobs::throwIfCancelledHere();  // a large image's pass takes long on a CPU
    h = block->as<DownEncoderBlock2D>()->forward(h);
  }
  h = mid_block(h);
  return conv_out(F::silu(conv_norm_out(h)));
}

VAEDecoderImpl::VAEDecoderImpl(const VAEConfig& config) {
  const auto& ch = config.block_out_channels;
  const int64_t n = static_cast<int64_t>(ch.size());
  const int64_t groups = config.norm_num_groups;
  conv_in = register_module("conv_in", conv3x3(config.latent_channels, ch[n - 1]));
  mid_block = register_module("mid_block", VAEMidBlock(ch[n - 1], groups, config.mid_block_add_attention));
  up_blocks = register_module("up_blocks", torch::nn::ModuleList());
  // Channels reversed; each up block has layers_per_block + 1 resnets.
  for (int64_t i = 0; i < n; ++i) {
    const int64_t in = i == 0 ? ch[n - 1] : ch[n - i];
    up_blocks->push_back(UpDecoderBlock2D(in, ch[n - 1 - i], config.layers_per_block + 1, groups, i < n - 1));
  }
  conv_norm_out = register_module("conv_norm_out", vaeGroupNorm(groups, ch[0]));
  conv_out = register_module("conv_out", conv3x3(ch[0], config.out_channels));
}

torch::Tensor VAEDecoderImpl::forward(const torch::Tensor& z) {
  auto h = mid_block(conv_in(z));
  for (const auto& block : *up_blocks) {
    jobs::throwIfCancelledHere();
    h = block->as<UpDecoderBlock2D>()->forward(h);
  }
  return conv_out(F::silu(conv_norm_out(h)));
}

}  // namespace sm::models
