#include "core/models/unet/unet_blocks.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/normalization.h>
#include <torch/torch.h>

#include "core/nn/resnet_block.h"
#include "core/nn/sampling.h"

namespace sm::models {
namespace {

namespace F = torch::nn::functional;

// ResnetBlock2D, with its two GroupNorms optionally across frames. The per-frame
// path is the shared block's own forward.
torch::Tensor runResnet(const torch::nn::ModuleList& resnets, size_t i, const torch::Tensor& x, const BlockInputs& in) {
  auto& r = *resnets->ptr(i)->as<nn::ResnetBlock2D>();
  if (!in.spatialNormAcrossFrames || in.frames == 1) return r.forward(x, in.temb);
  auto h = r.conv1(F::silu(groupNormAcrossFrames(*r.norm1, x, in.frames)));
  h = h + r.time_emb_proj(F::silu(in.temb)).unsqueeze(-1).unsqueeze(-1);  // [n, c, 1, 1]
  h = r.conv2(F::silu(groupNormAcrossFrames(*r.norm2, h, in.frames)));
  return (r.conv_shortcut ? r.conv_shortcut(x) : x) + h;
}

// Spatial attention then motion module of layer i, those present.
torch::Tensor runLayerExtras(const torch::nn::ModuleList& attentions, const torch::nn::ModuleList& motion, size_t i,
                             torch::Tensor x, const BlockInputs& in) {
  if (attentions) x = attentions->ptr(i)->as<Transformer2DModel>()->forward(x, in.context);
  if (motion && in.runMotion)
    x = motion->ptr(i)->as<AnimateDiffTransformer3D>()->forward(x, in.frames, in.motionNormPerFrame);
  return x;
}

nn::ResnetBlock2D makeResnet(int64_t in, const BlockOptions& o) {
  return nn::ResnetBlock2D(nn::ResnetBlockOptions{in, o.outChannels, o.tembChannels, o.groups, o.eps});
}

// attentions / motion_modules lists of `layers` entries, registered only when the block has them.
void addLayerExtras(torch::nn::Module& block, torch::nn::ModuleList& attentions, torch::nn::ModuleList& motion,
                    int layers, const BlockOptions& o) {
  if (o.attention) {
    Transformer2DOptions a = *o.attention;
    a.channels = o.outChannels;
    attentions = block.register_module("attentions", torch::nn::ModuleList());
    for (int j = 0; j < layers; ++j) attentions->push_back(Transformer2DModel(a));
  }
  if (o.motion) {
    MotionModuleOptions m = *o.motion;
    m.channels = o.outChannels;
    motion = block.register_module("motion_modules", torch::nn::ModuleList());
    for (int j = 0; j < layers; ++j) motion->push_back(AnimateDiffTransformer3D(m));
  }
}

}  // namespace

torch::Tensor groupNormAcrossFrames(torch::nn::GroupNormImpl& norm, const torch::Tensor& x, int64_t frames) {
  const int64_t bf = x.size(0), c = x.size(1), height = x.size(2), width = x.size(3);
  auto video = x.view({bf / frames, frames, c, height, width}).permute({0, 2, 1, 3, 4});  // [b, c, f, h, w]
  auto out = norm.forward(video);
  return out.permute({0, 2, 1, 3, 4}).reshape({bf, c, height, width});  // [b*f, c, h, w]
}

DownBlockImpl::DownBlockImpl(int64_t inChannels, int layers, bool downsample, const BlockOptions& o) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  for (int j = 0; j < layers; ++j) resnets->push_back(makeResnet(j == 0 ? inChannels : o.outChannels, o));
  addLayerExtras(*this, attentions, motion_modules, layers, o);
  if (downsample) {
    // downsample_padding 1: a symmetric pad inside the strided conv.
    downsamplers = register_module("downsamplers", torch::nn::ModuleList(nn::Downsample2D(o.outChannels, 1)));
  }
}

torch::Tensor DownBlockImpl::forward(torch::Tensor x, const BlockInputs& in, std::vector<torch::Tensor>& skips) {
  for (size_t i = 0; i < resnets->size(); ++i) {
    x = runResnet(resnets, i, x, in);
    x = runLayerExtras(attentions, motion_modules, i, x, in);
    skips.push_back(x);
  }
  if (downsamplers) {
    x = downsamplers[0]->as<nn::Downsample2D>()->forward(x);
    skips.push_back(x);
  }
  return x;
}

MidBlockImpl::MidBlockImpl(const BlockOptions& o) {
  resnets =
      register_module("resnets", torch::nn::ModuleList(makeResnet(o.outChannels, o), makeResnet(o.outChannels, o)));
  addLayerExtras(*this, attentions, motion_modules, 1, o);
}

torch::Tensor MidBlockImpl::forward(torch::Tensor x, const BlockInputs& in) {
  x = runResnet(resnets, 0, x, in);
  x = runLayerExtras(attentions, motion_modules, 0, x, in);
  return runResnet(resnets, 1, x, in);
}

UpBlockImpl::UpBlockImpl(int64_t prevChannels, const std::vector<int64_t>& skipChannels, bool upsample,
                         const BlockOptions& o) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  for (size_t j = 0; j < skipChannels.size(); ++j)
    resnets->push_back(makeResnet((j == 0 ? prevChannels : o.outChannels) + skipChannels[j], o));
  addLayerExtras(*this, attentions, motion_modules, static_cast<int>(skipChannels.size()), o);
  if (upsample) upsamplers = register_module("upsamplers", torch::nn::ModuleList(nn::Upsample2D(o.outChannels)));
}

torch::Tensor UpBlockImpl::forward(torch::Tensor x, const BlockInputs& in, std::vector<torch::Tensor>& skips,
                                   std::optional<std::vector<int64_t>> upsampleSize) {
  for (size_t i = 0; i < resnets->size(); ++i) {
    TORCH_CHECK(!skips.empty(), "UNet up block: skip stack exhausted");
    x = torch::cat({x, skips.back()}, 1);  // [n, c + c_skip, h, w]: current first, skip second
    skips.pop_back();
    x = runResnet(resnets, i, x, in);
    x = runLayerExtras(attentions, motion_modules, i, x, in);
  }
  if (upsamplers) x = upsamplers[0]->as<nn::Upsample2D>()->forward(x, std::move(upsampleSize));
  return x;
}

}  // namespace sm::models
